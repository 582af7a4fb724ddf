"""Filter page figures: ranking histogram with threshold lines, strong vs weak entropy scatter, kept per group."""

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

KEPT = "#2a9d8f"
DROPPED = "#b0b7c3"
MAX_POINTS = 20_000


def ranking_histogram(values: np.ndarray, *, column: str, low: float | None, high: float | None, cut: float | None):
    """Histogram (binned here, not in the browser) with min/max thresholds and the last kept value as lines."""
    values = values[np.isfinite(values)]
    fig = go.Figure()
    if values.size:
        counts, edges = np.histogram(values, bins=60)
        fig.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, marker_color=DROPPED, name="scenes"))
    for value, label, colour in ((low, "min", "#e76f51"), (high, "max", "#e76f51"), (cut, "last kept", KEPT)):
        if value is not None:
            fig.add_vline(x=value, line_color=colour, line_width=2, annotation_text=label)
    fig.update_layout(
        height=300, margin={"l": 0, "r": 0, "t": 30, "b": 0}, bargap=0, showlegend=False, title=f"{column} (all scored)"
    )
    return fig


def entropy_scatter(frame: pd.DataFrame, kept_ids: np.ndarray, *, seed: int = 0):
    """strong_E vs weak_E, kept vs dropped; sampled down to MAX_POINTS so the browser stays fast."""
    if len(frame) > MAX_POINTS:
        frame = frame.sample(MAX_POINTS, random_state=seed)
    kept = np.isin(frame["scene_id"].to_numpy(), kept_ids)
    fig = go.Figure()
    for mask, name, colour in ((~kept, "dropped", DROPPED), (kept, "kept", KEPT)):
        part = frame[mask]
        fig.add_trace(
            go.Scattergl(
                x=part["strong_E"], y=part["weak_E"], mode="markers", name=name, marker={"color": colour, "size": 4}
            )
        )
    fig.update_layout(height=300, margin={"l": 0, "r": 0, "t": 30, "b": 0}, title="expected entropy: strong vs weak")
    fig.update_xaxes(title="strong_E")
    fig.update_yaxes(title="weak_E")
    return fig


def group_table(kept_by_group: dict[tuple[str, int], int]) -> pd.DataFrame:
    """Kept counts as a dataset x exposure-length table."""
    if not kept_by_group:
        return pd.DataFrame()
    rows = [{"dataset": d, "exposure": c, "kept": n} for (d, c), n in kept_by_group.items()]
    table = pd.DataFrame(rows).pivot_table(index="dataset", columns="exposure", values="kept", fill_value=0)
    table.columns = [f"{c} options" for c in table.columns]
    return table.astype(int).reset_index()


def group_bars(kept_by_group: dict[tuple[str, int], int]):
    """Bars of kept scenes per exposure length, one trace per dataset."""
    fig = go.Figure()
    datasets = sorted({d for d, _ in kept_by_group})
    for name in datasets:
        pairs = sorted((c, n) for (d, c), n in kept_by_group.items() if d == name)
        fig.add_trace(
            go.Bar(x=[c for c, _ in pairs], y=[n for _, n in pairs], name=html.escape(name))
        )  # plotly reads tags
    fig.update_layout(
        height=300, margin={"l": 0, "r": 0, "t": 30, "b": 0}, title="kept per exposure length", barmode="group"
    )
    fig.update_xaxes(title="options on screen", dtick=1)
    return fig
