"""Evaluate page figure: per-segment bars with interval whiskers, the reliability diagram and position bias, as one
plotly figure of three panels. One figure, not three charts: the browser pays a fixed cost per chart (a plotly
graph mounted, drawn and redrawn on every run), measured with bench/bench_browser.py (README performance).

Run and dataset names are data: they are HTML-escaped before plotly sees them (plotly renders tags in labels).
Each run has one colour and one legend entry in every panel (a click on it hides the run everywhere).
"""

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# Streamlit's default categorical colours (light theme): explicit, so a run keeps its colour across the panels.
COLOURS = ("#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700", "#ffd16a", "#6d3fc0", "#d5dae5")
RELIABILITY = "reliability (argmax accuracy vs confidence)"
POSITION = "accuracy by the true option's position"


class _Runs:
    """Colour and legend entry of each run: the legend shows a run once, its traces share one legend group."""

    def __init__(self) -> None:
        self.colours: dict[str, str] = {}

    def style(self, run: object) -> dict:
        name = html.escape(str(run))
        first = name not in self.colours
        colour = self.colours.setdefault(name, COLOURS[len(self.colours) % len(COLOURS)])
        return {"name": name, "legendgroup": name, "showlegend": first, "marker": {"color": colour}}


def _segment_bars(frame: pd.DataFrame, runs: _Runs) -> list:
    """One bar per (segment, run) with its 95% interval as whiskers."""
    traces = []
    for run, part in frame.groupby("run", sort=False):
        value = part["value"].astype(float)
        traces.append(
            go.Bar(
                x=[html.escape(str(s)) for s in part["segment"]],
                y=value,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["hi"].astype(float) - value).tolist(),
                    "arrayminus": (value - part["lo"].astype(float)).tolist(),
                },
                customdata=part["scenes"],
                hovertemplate="%{x}: %{y:.3f} (%{customdata} scenes)",
                **runs.style(run),
            )
        )
    return traces


def _reliability(frame: pd.DataFrame, runs: _Runs) -> list:
    """Accuracy of the argmax against the mean max probability per confidence bin; the diagonal is calibration."""
    diagonal = go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="calibrated", line={"dash": "dot", "color": "#999"})
    traces = [diagonal]
    for run, part in frame.groupby("run", sort=False):
        style = runs.style(run)
        traces.append(
            go.Scatter(
                x=part["confidence"],
                y=part["accuracy"],
                mode="lines+markers",
                line={"color": style["marker"]["color"]},
                customdata=part["rows"],
                hovertemplate="confidence %{x:.2f}: accuracy %{y:.2f} (%{customdata} rows)",
                **style,
            )
        )
    return traces


def _position_bars(frame: pd.DataFrame, runs: _Runs) -> list:
    """Accuracy by the letter of the true option: a simulator that favours a position shows it here."""
    return [
        go.Bar(
            x=part["option"],
            y=part["accuracy"],
            customdata=part[["scenes", "pick_share", "truth_share"]].to_numpy(),
            hovertemplate="truth at %{x}: accuracy %{y:.3f} (%{customdata[0]} scenes); "
            "picks %{x} in %{customdata[1]:.0%} of rows, truth there in %{customdata[2]:.0%}",
            **runs.style(run),
        )
        for run, part in frame.groupby("run", sort=False)
    ]


def evaluation_figure(
    segments: pd.DataFrame, reliability: pd.DataFrame, positions: pd.DataFrame, *, metric: str, title: str
):
    """Three panels: `metric` per segment (full width, titled `title`), then reliability and position bias."""
    fig = make_subplots(
        rows=2,
        cols=2,
        specs=[[{"colspan": 2}, None], [{}, {}]],
        subplot_titles=(html.escape(title), RELIABILITY, POSITION),
        vertical_spacing=0.16,
        horizontal_spacing=0.08,
    )
    runs = _Runs()
    for trace in _segment_bars(segments, runs):
        fig.add_trace(trace, row=1, col=1)
    for trace in _reliability(reliability, runs):
        fig.add_trace(trace, row=2, col=1)
    for trace in _position_bars(positions, runs):
        fig.add_trace(trace, row=2, col=2)
    fig.update_layout(
        barmode="group", height=720, margin={"l": 0, "r": 0, "t": 40, "b": 0}, legend={"orientation": "h", "y": -0.1}
    )
    fig.update_yaxes(title=html.escape(metric), row=1, col=1)
    fig.update_xaxes(title="confidence (max probability)", range=[0, 1], row=2, col=1)
    fig.update_yaxes(title="accuracy", range=[0, 1], row=2, col=1)
    fig.update_xaxes(title="true option", row=2, col=2)
    fig.update_yaxes(title="accuracy", range=[0, 1], row=2, col=2)
    return fig
