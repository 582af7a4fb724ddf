"""Review page piece: how the scene's scores and predictions compare. Always shown, as two escaped markdown tables:
each key score of the scene with its percentile among the dataset's scored scenes, and each role's predictions (mean
probability of the true option, how many rationales sampled it, the likeliest option; each rationale's own
distribution is in its panel). On demand (an expander whose body is built only when opened, and which stays open from
scene to scene): the scene's one plotly figure, the dataset's histograms with this scene marked above, each role's
rationales below as a heatmap (a row per rationale, a column per option).

Why the figure waits to be asked for: drawing it cost Chromium 0.3-0.6 s of CPU on every move to another scene (Review
Next over 100,000 scenes: 0.90 s of browser CPU with it, 0.27-0.37 s without, /proc-measured A/B), and the first
chart of a tab loads Streamlit's 4.7 MB plotly bundle. One figure, not three: every plotly chart costs a fixed
~0.1-0.25 s to draw on each move, whatever its size. Built as plain dicts in one Figure call (make_subplots and the
add_* helpers validate the whole figure again for every piece)."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from scipy.stats import percentileofscore
from sqlmodel import Session

from core.markdown_table import markdown_table
from pages.ui import db_path, session
from storage.browse_detail import score_histograms, score_values
from storage.constants import DEFAULT_RANK, ROLES, letter
from storage.scores import data_version

TRUE_COLOUR = "#2a9d8f"
OTHER_COLOUR = "#b0b7c3"
PROB_COLOUR = "#264653"  # a probability of 1 in the heatmaps; 0 is white
SCORE_PLOTS = (DEFAULT_RANK, "strong_E", "weak_E", "diff_hit")
GAP = 0.04  # between panels, as a share of the width
ROW = 250  # pixels per row
PLOTS_OPEN = "review_plots"  # session key: the figure's expander is open


@st.cache_data(show_spinner=False, max_entries=16)
def _histograms(db: str, dataset_id: int, version: tuple) -> dict:
    with session() as s:
        return score_histograms(session=s, columns=list(SCORE_PLOTS), dataset_id=dataset_id)


@st.cache_data(show_spinner=False, max_entries=4)
def _values(db: str, version: tuple) -> dict[int, dict[str, np.ndarray]]:
    """Per dataset, each key score's finite values over its scored scenes: every dataset in one query (~0.3 s per
    100,000 scenes) the first time Review shows a score, not a query on the first scene shown of each dataset."""
    with session() as s:
        values = score_values(session=s, columns=list(SCORE_PLOTS), with_dataset=True)
    out = {}
    for dataset in np.unique(values[:, 0]):
        rows = values[values[:, 0] == dataset, 1:]
        out[int(dataset)] = {
            name: column[np.isfinite(column)] for name, column in zip(SCORE_PLOTS, rows.T, strict=True)
        }
    return out


def score_table(*, session: Session, dataset_id: int, score: dict) -> str:
    """The key scores of the scene, each with its percentile among the dataset's scored scenes (ties count half, as
    scipy's percentileofscore kind="mean")."""
    values = _values(db_path(), data_version(session=session)).get(dataset_id, {})
    rows = []
    for name in SCORE_PLOTS:
        value, among = score.get(name), values.get(name, np.empty(0))
        known = value is not None and np.isfinite(value) and among.size > 0
        rows.append(
            {
                "score": name,
                "value": f"{value:.3g}" if value is not None and np.isfinite(value) else "—",
                "percentile": f"{percentileofscore(among, value, kind='mean'):.1f}" if known else "—",
                "of scenes": f"{among.size:,}",
            }
        )
    return markdown_table(rows, ("score", "value", "percentile", "of scenes"))


def roles_table(rationales: list[dict], *, item_pos: int) -> str | None:
    """One row per role with predictions: how many of its rationales are predicted, their mean probability of the true
    option, how many sampled it, and the option most likely on average. None when no rationale is predicted."""
    true = letter(item_pos)
    rows = []
    for role in ROLES:
        predicted = [item for item in rationales if item["rationale"].role == role and item["probs"] is not None]
        if not predicted:
            continue
        width = max(len(item["probs"]) for item in predicted)
        probs = np.array([np.pad(item["probs"], (0, width - len(item["probs"]))) for item in predicted])
        mean = probs.mean(axis=0)
        top = int(mean.argmax())
        rows.append(
            {
                "role": role,
                "predicted": len(predicted),
                "p(true)": f"{mean[item_pos]:.2f}",
                "sampled true": sum(item["behavior_index"] == item_pos for item in predicted),
                "most likely": f"{letter(top)} {mean[top]:.2f}",
            }
        )
    if not rows:
        return None
    headers = {"p(true)": f"mean p({true})", "sampled true": f"sampled {true}", "most likely": "most likely (mean p)"}
    return markdown_table(rows, ("role", "predicted", "p(true)", "sampled true", "most likely"), headers=headers)


def _domains(count: int) -> list[tuple[float, float]]:
    width = (1 - GAP * (count - 1)) / count
    return [(k * (width + GAP), k * (width + GAP) + width) for k in range(count)]


def _title(text: str, *, x: float, y: float) -> dict:
    return {"text": text, "xref": "paper", "yref": "paper", "x": x, "y": y, "showarrow": False, "xanchor": "center",
            "yanchor": "bottom", "yshift": 18, "font": {"size": 16}}  # fmt: skip


def _scores(fig: dict, histograms: dict, score: dict, *, rows: tuple[float, float]) -> None:
    """The score panels on axes 1..4: the dataset's histogram, this scene as a labelled line."""
    for k, (name, (left, right)) in enumerate(zip(SCORE_PLOTS, _domains(len(SCORE_PLOTS)), strict=True), start=1):
        suffix = "" if k == 1 else str(k)
        x, y = f"x{suffix}", f"y{suffix}"
        fig["layout"][f"xaxis{suffix}"] = {"domain": [left, right], "anchor": y, "title": {"text": name}}
        fig["layout"][f"yaxis{suffix}"] = {"domain": list(rows), "anchor": x}
        counts, centres = histograms[name]
        if counts:
            width = centres[1] - centres[0] if len(centres) > 1 else None  # bins touch, as a histogram's do
            fig["data"].append({"type": "bar", "x": centres, "y": counts, "width": width, "xaxis": x, "yaxis": y,
                                "marker": {"color": OTHER_COLOUR}})  # fmt: skip
        value = score[name]
        line = {"type": "line", "xref": x, "yref": f"{y} domain", "x0": value, "x1": value, "y0": 0, "y1": 1}
        fig["layout"]["shapes"].append(line | {"line": {"color": TRUE_COLOUR, "width": 3}})
        fig["layout"]["annotations"].append(_title(name, x=(left + right) / 2, y=rows[1]))
        mark = {"text": f"this scene: {value:.3g}", "xref": x, "yref": f"{y} domain", "x": value, "y": 1}
        fig["layout"]["annotations"].append(
            mark | {"showarrow": False, "yanchor": "bottom", "font": {"color": TRUE_COLOUR}}
        )
    fig["layout"]["yaxis"]["title"] = {"text": "scenes in the dataset"}


def _distributions(fig: dict, by_role: dict[str, list[dict]], *, item_pos: int, rows: tuple[float, float]) -> None:
    """One panel per role on axes 5.. : a heatmap of each rationale's predicted distribution (a row per rationale, a
    column per option, the colour its probability), the true option's column outlined, the sampled behaviour a dot.
    Two traces per role whatever the rationales: drawn as bars, one trace per rationale, the figure's redraw on Next
    took 0.1 s more in Chromium (plotly's cost grows with the traces)."""
    first = len(SCORE_PLOTS) + 1
    for k, (role, (left, right)) in enumerate(zip(ROLES, _domains(len(ROLES)), strict=True), start=first):
        x, y = f"x{k}", f"y{k}"
        predicted = [item for item in by_role.get(role, []) if item["probs"] is not None]
        predicted.sort(key=lambda item: item["rationale"].sample_index)
        width = max((len(item["probs"]) for item in predicted), default=0)
        options = [letter(j) for j in range(width)]
        names = [f"#{item['rationale'].sample_index}" for item in predicted]
        fig["layout"][f"xaxis{k}"] = {
            "domain": [left, right],
            "anchor": y,
            "title": {"text": "option"},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": options,
        }
        fig["layout"][f"yaxis{k}"] = {"domain": list(rows), "anchor": x, "title": {"text": "rationale"},
                                      "type": "category", "autorange": "reversed"}  # fmt: skip
        title = f"{role}: {len(predicted)} predicted" if predicted else f"{role}: no predictions yet"
        fig["layout"]["annotations"].append(_title(title, x=(left + right) / 2, y=rows[1]))
        if not predicted:
            continue
        z = np.full((len(predicted), width), np.nan)
        for row, item in enumerate(predicted):
            z[row, : len(item["probs"])] = item["probs"]
        fig["data"].append({"type": "heatmap", "x": options, "y": names, "z": z, "coloraxis": "coloraxis",
                            "name": role, "xaxis": x, "yaxis": y, "xgap": 1, "ygap": 1,
                            "hovertemplate": "rationale %{y} · option %{x}: p %{z:.3f}<extra></extra>"})  # fmt: skip
        sampled = [(letter(item["behavior_index"]), name) for item, name in zip(predicted, names, strict=True)
                   if item["behavior_index"] is not None]  # fmt: skip
        fig["data"].append({"type": "scatter", "mode": "markers", "x": [a for a, _ in sampled],
                            "y": [n for _, n in sampled], "name": f"{role} sampled", "xaxis": x, "yaxis": y,
                            "marker": {"symbol": "circle", "size": 8, "color": "white",
                                       "line": {"color": PROB_COLOUR, "width": 2}},
                            "hovertemplate": "rationale %{y} sampled %{x}<extra></extra>"})  # fmt: skip
        outline = {"type": "rect", "xref": x, "yref": f"{y} domain", "x0": item_pos - 0.5, "x1": item_pos + 0.5}
        outline |= {"y0": 0, "y1": 1, "line": {"color": TRUE_COLOUR, "width": 3}, "fillcolor": "rgba(0,0,0,0)"}
        fig["layout"]["shapes"].append(outline | {"layer": "above"})
    fig["layout"]["coloraxis"] = {"cmin": 0, "cmax": 1, "colorscale": [[0, "#ffffff"], [1, PROB_COLOUR]],
                                  "colorbar": {"title": {"text": "p"}, "len": rows[1] - rows[0], "y": rows[0],
                                               "yanchor": "bottom"}}  # fmt: skip


def scene_figure(*, session: Session, dataset_id: int, score: dict | None, rationales: list[dict], item_pos: int):
    """The scene's figure (go.Figure), or None when it has neither a score nor a predicted rationale."""
    by_role: dict[str, list[dict]] = {}
    for item in rationales:
        by_role.setdefault(item["rationale"].role, []).append(item)
    predicted = any(item["probs"] is not None for item in rationales)
    if score is None and not predicted:
        return None
    both = score is not None and predicted
    fig = {"data": [], "layout": {"showlegend": False, "bargap": 0.15, "shapes": [],
                                  "annotations": [], "margin": {"l": 0, "r": 0, "t": 40, "b": 0}}}  # fmt: skip
    fig["layout"]["height"] = ROW * 2 + 90 if both else ROW
    top, bottom = ((0.6, 1.0), (0.0, 0.36)) if both else ((0.0, 1.0), (0.0, 1.0))
    if score is not None:
        version = data_version(session=session)  # one index lookup (counting the scores took 30 ms per 100k)
        _scores(fig, _histograms(db_path(), dataset_id, version), score, rows=top)
    if predicted:
        _distributions(fig, by_role, item_pos=item_pos, rows=bottom)
    return go.Figure(fig)
