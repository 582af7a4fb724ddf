"""Evaluate page figures: per-segment bars with interval whiskers, reliability diagram, position bias.

Run and dataset names are data: they are HTML-escaped before plotly sees them (plotly renders tags in labels).
"""

import html

import pandas as pd
import plotly.graph_objects as go

LAYOUT = {"height": 340, "margin": {"l": 0, "r": 0, "t": 40, "b": 0}, "legend": {"orientation": "h", "y": -0.2}}


def segment_bars(frame: pd.DataFrame, *, metric: str, title: str):
    """One bar per (segment, run) with its 95% interval as whiskers."""
    fig = go.Figure()
    for run, part in frame.groupby("run", sort=False):
        value = part["value"].astype(float)
        fig.add_trace(
            go.Bar(
                x=[html.escape(str(s)) for s in part["segment"]],
                y=value,
                name=html.escape(str(run)),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["hi"].astype(float) - value).tolist(),
                    "arrayminus": (value - part["lo"].astype(float)).tolist(),
                },
                customdata=part["scenes"],
                hovertemplate="%{x}: %{y:.3f} (%{customdata} scenes)",
            )
        )
    fig.update_layout(title=title, barmode="group", **LAYOUT)
    fig.update_yaxes(title=metric)
    return fig


def reliability_diagram(frame: pd.DataFrame):
    """Accuracy of the argmax against the mean max probability per confidence bin; the diagonal is calibration."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="calibrated", line={"dash": "dot", "color": "#999"})
    )
    for run, part in frame.groupby("run", sort=False):
        fig.add_trace(
            go.Scatter(
                x=part["confidence"],
                y=part["accuracy"],
                mode="lines+markers",
                name=html.escape(str(run)),
                customdata=part["rows"],
                hovertemplate="confidence %{x:.2f}: accuracy %{y:.2f} (%{customdata} rows)",
            )
        )
    fig.update_layout(title="reliability (argmax accuracy vs confidence)", **LAYOUT)
    fig.update_xaxes(title="confidence (max probability)", range=[0, 1])
    fig.update_yaxes(title="accuracy", range=[0, 1])
    return fig


def position_bars(frame: pd.DataFrame):
    """Accuracy by the letter of the true option: a simulator that favours a position shows it here."""
    fig = go.Figure()
    for run, part in frame.groupby("run", sort=False):
        fig.add_trace(
            go.Bar(
                x=part["option"],
                y=part["accuracy"],
                name=html.escape(str(run)),
                customdata=part[["scenes", "pick_share", "truth_share"]].to_numpy(),
                hovertemplate="truth at %{x}: accuracy %{y:.3f} (%{customdata[0]} scenes); "
                "picks %{x} in %{customdata[1]:.0%} of rows, truth there in %{customdata[2]:.0%}",
            )
        )
    fig.update_layout(title="accuracy by the true option's position", barmode="group", **LAYOUT)
    fig.update_yaxes(title="accuracy", range=[0, 1])
    return fig
