"""Filter page figures: ranking histogram with threshold lines, the share kept over strong vs weak entropy; the kept
counts per dataset and exposure length as a table."""

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

KEPT = "#2a9d8f"
DROPPED = "#b0b7c3"
MAP_BINS = 30  # per axis of the strong_E x weak_E map
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
            shown = counts > 0  # an empty bin of a trace is no bar: fewer shapes to draw on every move
            colour = KEPT if why == "" else REASON_COLOURS.get(why, REASON_COLOURS.get(why[:9], DROPPED))
            name = "kept" if why == "" else f"dropped: {why}"
            bars = {"x": centres[shown], "y": counts[shown], "width": widths[shown], "marker_color": colour}
            fig.add_trace(go.Bar(**bars, name=html.escape(name)))
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


def entropy_map(frame: pd.DataFrame, kept_ids: np.ndarray):
    """Where the selection keeps scenes in the strong_E x weak_E plane: every scene with both entropies binned (no
    sample), each cell coloured by the share kept; hover gives the counts. One heatmap, drawn as one image: its cost in
    the browser does not grow with the scenes, where each scatter point was an SVG node redrawn on every move."""
    x, y = frame["strong_E"].to_numpy(dtype=float), frame["weak_E"].to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    kept = np.isin(frame["scene_id"].to_numpy(), kept_ids) & ok
    title = f"share kept ({int(ok.sum()):,} scenes)"  # the axes say which entropies; a longer title was cut off
    fig = go.Figure()
    if ok.any():
        x_edges = np.histogram_bin_edges(x[ok], bins=MAP_BINS)
        y_edges = np.histogram_bin_edges(y[ok], bins=MAP_BINS)
        total = np.histogram2d(x[ok], y[ok], bins=[x_edges, y_edges])[0].T  # rows: weak_E bins, columns: strong_E
        inside = np.histogram2d(x[kept], y[kept], bins=[x_edges, y_edges])[0].T
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(total > 0, inside / total, np.nan)  # an empty cell stays blank
        fig.add_trace(
            go.Heatmap(
                x=(x_edges[:-1] + x_edges[1:]) / 2,
                y=(y_edges[:-1] + y_edges[1:]) / 2,
                z=share,
                zmin=0,
                zmax=1,
                colorscale=[[0, DROPPED], [1, KEPT]],
                customdata=np.dstack([inside, total]),
                hovertemplate="strong_E %{x:.2f} · weak_E %{y:.2f}<br>kept %{customdata[0]:.0f} of "
                "%{customdata[1]:.0f}<extra></extra>",
                colorbar={"title": {"text": "kept"}, "tickformat": ".0%"},
            )
        )
    fig.update_layout(height=300, margin={"l": 0, "r": 0, "t": 30, "b": 0}, title=title)
    fig.update_xaxes(title="strong_E")
    fig.update_yaxes(title="weak_E")
    return fig


def group_table(kept_by_group: dict[tuple[str, int], int]) -> pd.DataFrame:
    """Kept counts with a row per exposure length ("options") and a column per dataset: a page has few datasets and
    many lengths, so it fits half the page."""
    if not kept_by_group:
        return pd.DataFrame()
    rows = [{"dataset": d, "options": c, "kept": n} for (d, c), n in kept_by_group.items()]
    table = pd.DataFrame(rows).pivot_table(index="options", columns="dataset", values="kept", fill_value=0)
    table.columns = list(table.columns)
    return table.astype(int).reset_index()
