"""Filter page figures: ranking histogram with threshold lines, strong vs weak entropy scatter, kept per group."""

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

KEPT = "#2a9d8f"
DROPPED = "#b0b7c3"
# Enough points to show the shape. Drawn as SVG: WebGL (Scattergl) cost a Chromium without a GPU seconds per draw, and
# more SVG points cost the redraw on every threshold move (bench/bench_browser.py).
MAX_POINTS = 2_000
MIN_BINS, MAX_BINS = 5, 80
# One colour per drop reason (core/selection.py's), the same on every rerun; a threshold's by its side.
REASON_COLOURS = {
    "no correct rationale": "#6d597a",
    "no chosen": "#b5838d",
    "no rejected": "#8d99ae",
    "over quota": "#b0b7c3",
    "below min": "#e9c46a",
    "above max": "#f4a261",
}


def bin_edges(values: np.ndarray) -> np.ndarray:
    """Bin edges that read well at any size: numpy's "auto" rule (Sturges for a handful of scenes,
    Freedman-Diaconis for many) kept between MIN_BINS and MAX_BINS; one unit-wide bin when every value is equal."""
    if values.size == 0:
        return np.array([0.0, 1.0])
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.array([low - 0.5, low + 0.5])
    edges = np.histogram_bin_edges(values, bins="auto")
    bins = len(edges) - 1
    if bins > MAX_BINS or bins < MIN_BINS:
        edges = np.histogram_bin_edges(values, bins=min(max(bins, MIN_BINS), MAX_BINS))
    return edges


def ranking_histogram(
    values: np.ndarray,
    *,
    column: str,
    low: float | None,
    high: float | None,
    cut: float | None,
    reasons: np.ndarray | None = None,
):
    """Histogram of the ranking column (binned here, not in the browser), stacked by outcome: kept, then each drop
    reason in its own colour; min/max thresholds and the last kept value as lines. reasons: per value, its drop
    reason or "" when kept (None: all one colour)."""
    values = np.asarray(values, dtype=float)
    reasons = np.full(values.shape, "", dtype=object) if reasons is None else np.asarray(reasons, dtype=object)
    finite = np.isfinite(values)
    values, reasons = values[finite], reasons[finite]
    fig = go.Figure()
    if values.size:
        edges = bin_edges(values)
        centres, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
        codes, names = pd.factorize(reasons)
        # One pass: each value's bin (np.histogram's rule: the last bin is closed), counted per reason code.
        bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(centres) - 1)
        table = np.bincount(codes * len(centres) + bins, minlength=len(names) * len(centres)).reshape(len(names), -1)
        for code, why in sorted(enumerate(names.tolist()), key=lambda pair: (pair[1] != "", pair[1])):
            counts = table[code]
            colour = KEPT if why == "" else REASON_COLOURS.get(why, REASON_COLOURS.get(why[:9], DROPPED))
            name = "kept" if why == "" else f"dropped: {why}"
            fig.add_trace(go.Bar(x=centres, y=counts, width=widths, marker_color=colour, name=html.escape(name)))
    for value, label, colour in ((low, "min", "#e76f51"), (high, "max", "#e76f51"), (cut, "last kept", KEPT)):
        if value is not None:
            fig.add_vline(x=value, line_color=colour, line_width=2, annotation_text=label)
    fig.update_layout(
        height=320,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        bargap=0,
        barmode="stack",
        legend={"orientation": "h", "y": -0.25},
        title=f"{html.escape(column)} (all scored train scenes)",
    )
    fig.update_xaxes(title=html.escape(column))
    fig.update_yaxes(title="scenes")
    return fig


def entropy_scatter(frame: pd.DataFrame, kept_ids: np.ndarray, *, seed: int = 0):
    """strong_E vs weak_E, kept vs dropped; sampled down to MAX_POINTS so the browser stays fast."""
    title = "expected entropy: strong vs weak"
    if len(frame) > MAX_POINTS:
        title += f" (a random {MAX_POINTS:,} of {len(frame):,} scenes)"
        frame = frame.sample(MAX_POINTS, random_state=seed)
    kept = np.isin(frame["scene_id"].to_numpy(), kept_ids)
    fig = go.Figure()
    for mask, name, colour in ((~kept, "dropped", DROPPED), (kept, "kept", KEPT)):
        part = frame[mask]
        fig.add_trace(
            go.Scatter(
                x=part["strong_E"], y=part["weak_E"], mode="markers", name=name, marker={"color": colour, "size": 4}
            )
        )
    fig.update_layout(height=300, margin={"l": 0, "r": 0, "t": 30, "b": 0}, title=title)
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
