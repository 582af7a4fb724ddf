"""AppTest: the Filter histogram is stacked kept / dropped by reason with labelled axes and bins that fit the set's
size; Review's one figure marks and labels "this scene" on the score panels and draws each role's distributions."""

import base64

import numpy as np
import pandas as pd
import plotly.io as pio
from sqlalchemy import text
from sqlmodel import Session, select

from pages.charts import FONT, TEMPLATE
from pages.filter_plots import MAP_BINS, MAX_BINS, bin_edges, entropy_map, group_table, ranking_histogram
from pages.review_plots import PLOTS_OPEN
from storage.browse_detail import decode_probs
from storage.constants import letter
from storage.models import Prediction, Rationale, Scene
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import open_page


def _values(y) -> np.ndarray:
    """A trace's values as the browser gets them (plotly may send a typed array: dtype + base64)."""
    if isinstance(y, dict):
        flat = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
        return flat.reshape([int(n) for n in str(y.get("shape", flat.size)).split(",")])  # "rows, columns" when 2-D
    return np.asarray(y)


def _total(y) -> int:
    return int(_values(y).sum())


def _figures(at):
    return [pio.from_json(chart.proto.spec) for chart in at.get("plotly_chart")]


def _review_plots(scene_id: int):
    """Review on the scene with its plots' expander opened, as a reviewer does (closed, nothing is drawn)."""
    at = open_page("review", scene=str(scene_id))
    assert not at.get("plotly_chart")
    at.session_state[PLOTS_OPEN] = True
    return at.run()


def test_filter_histogram_colours_kept_and_each_drop_reason(workspace):
    at = open_page("filter")
    hist = _figures(at)[0]
    bars = {trace.name: _total(trace.y) for trace in hist.data}
    assert bars == {"kept": 4, "dropped: no correct rationale": 2, "dropped: no rejected": 2}
    assert all(_values(trace.y).min() > 0 for trace in hist.data)  # a trace draws only the bins it has
    colours = {trace.name: trace.marker.color for trace in hist.data}
    assert colours == {"kept": "#2a9d8f", "dropped: no correct rationale": "#6d597a", "dropped: no rejected": "#8d99ae"}
    assert hist.layout.barmode == "stack"
    assert (hist.layout.xaxis.title.text, hist.layout.yaxis.title.text) == ("diff_model", "scenes")
    low, high = at.slider(key="th_diff_model").value
    at.slider(key="th_diff_model").set_value((0.5, high)).run()
    bars = {trace.name: _total(trace.y) for trace in _figures(at)[0].data}
    assert bars == {
        "kept": 2,
        "dropped: below min diff_model": 2,
        "dropped: no correct rationale": 2,
        "dropped: no rejected": 2,
    }


def test_bins_fit_small_and_large_sets():
    assert len(bin_edges(np.array([0.1, 0.2, 0.9]))) - 1 == 5  # a handful of scenes: few wide bins
    assert list(bin_edges(np.array([0.3, 0.3]))) == [-0.2, 0.8]  # all equal: one bin around the value
    large = np.random.default_rng(0).normal(size=100_000)
    assert len(bin_edges(large)) - 1 == MAX_BINS
    fig = ranking_histogram(large, column="x", low=None, high=None, cut=None)
    assert _total(fig.data[0].y) == 100_000 and fig.data[0].name == "kept"


def test_entropy_map_colours_each_cell_by_the_share_kept_over_every_scene():
    frame = pd.DataFrame(
        {"scene_id": range(6), "strong_E": [0, 0, 0, 1, 1, 1], "weak_E": [0, 0, 1, 1, 1, np.nan]}
    )  # scene 5 has no weak entropy: left out
    [heat] = entropy_map(frame, np.array([0, 3, 5])).data
    assert heat.type == "heatmap" and np.asarray(heat.z).shape == (MAP_BINS, MAP_BINS)
    z = np.asarray(heat.z, dtype=float)  # rows: weak_E bins, columns: strong_E bins
    filled = {(int(r), int(c)): z[r, c] for r, c in zip(*np.nonzero(~np.isnan(z)), strict=True)}
    assert filled == {(0, 0): 0.5, (MAP_BINS - 1, 0): 0.0, (MAP_BINS - 1, MAP_BINS - 1): 0.5}
    counts = np.asarray(heat.customdata, dtype=float)  # (kept, scenes) per cell
    assert counts[0, 0].tolist() == [1, 2] and counts[MAP_BINS - 1, MAP_BINS - 1].tolist() == [1, 2]
    assert counts[..., 1].sum() == 5
    assert entropy_map(frame, np.array([0])).layout.title.text == ("share kept (5 scenes)")


def test_kept_counts_have_a_row_per_exposure_length_and_a_column_per_dataset():
    table = group_table({("ml-1m", 5): 7, ("ml-1m", 2): 3, ("<b>beauty</b>", 5): 4})
    assert list(table.columns) == ["options", "<b>beauty</b>", "ml-1m"]
    assert table.to_dict("records") == [
        {"options": 2, "<b>beauty</b>": 0, "ml-1m": 3},
        {"options": 5, "<b>beauty</b>": 4, "ml-1m": 7},
    ]
    assert group_table({}).empty


def test_filter_shows_the_kept_counts_table(workspace):
    at = open_page("filter")
    assert "Kept, by exposure length (options on screen) and dataset" in [c.value for c in at.caption]
    [head] = [m.value.splitlines()[0] for m in at.markdown if m.value.startswith("| options |")]
    assert head.startswith("| options | ")


def test_entropy_map_bins_every_scene_of_a_large_set():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"scene_id": np.arange(10_000), "strong_E": rng.random(10_000), "weak_E": rng.random(10_000)})
    [heat] = entropy_map(frame, np.arange(0, 10_000, 4)).data  # every fourth scene kept
    counts = np.asarray(heat.customdata, dtype=float)
    assert counts[..., 0].sum() == 2_500 and counts[..., 1].sum() == 10_000  # all of them, no sample
    assert not [t for t in entropy_map(frame.head(0), np.array([])).data]  # nothing scored: an empty figure


def test_review_marks_this_scene_on_each_score_plot(workspace):
    at = _review_plots(workspace[1])
    fig = _figures(at)[0]
    labels = [a.text for a in fig.layout.annotations if a.text.startswith("this scene")]
    assert len(labels) == 4 and labels[-1] == "this scene: -1"
    assert fig.layout.yaxis.title.text == "scenes in the dataset"
    assert [fig.layout[f"xaxis{k if k > 1 else ''}"].title.text for k in range(1, 5)] == [
        "diff_model",
        "strong_E",
        "weak_E",
        "diff_hit",
    ]


def test_review_draws_each_roles_distributions_in_the_scene_figure(workspace, engine):
    """One figure for the scene: below the score panels, a heatmap per role with a row per rationale (its stored
    probabilities, in sample order), the true option's column outlined, the sampled behaviour a dot."""
    scene_id = workspace[1]
    with Session(engine) as s:
        item_pos = s.get(Scene, scene_id).item_pos
        rows = s.exec(
            select(Rationale.role, Rationale.sample_index, Prediction.probs, Prediction.behavior_index)
            .join(Prediction, Prediction.rationale_id == Rationale.id)
            .where(Rationale.scene_id == scene_id)
            .order_by(Rationale.role, Rationale.sample_index)
        ).all()
    assert len(rows) == 4
    at = _review_plots(scene_id)
    [fig] = _figures(at)  # the scene's only chart
    assert [(t.type, t.name) for t in fig.data if t.type != "bar"] == [
        ("heatmap", "strong"),
        ("scatter", "strong sampled"),
        ("heatmap", "weak"),
        ("scatter", "weak sampled"),
    ]
    for role, axes in (("strong", ("x5", "y5")), ("weak", ("x6", "y6"))):
        mine = [r for r in rows if r.role == role]
        heat = next(t for t in fig.data if t.name == role)
        dots = next(t for t in fig.data if t.name == f"{role} sampled")
        assert (heat.xaxis, heat.yaxis) == (dots.xaxis, dots.yaxis) == axes
        assert list(heat.y) == [f"#{r.sample_index}" for r in mine]
        assert np.allclose(_values(heat.z), [decode_probs(r.probs) for r in mine], atol=1e-12)
        assert list(heat.x) == [letter(j) for j in range(len(decode_probs(mine[0].probs)))]
        assert list(zip(dots.x, dots.y, strict=True)) == [
            (letter(r.behavior_index), f"#{r.sample_index}") for r in mine
        ]
    titles = {a.text for a in fig.layout.annotations}
    assert {"strong: 2 predicted", "weak: 2 predicted"} <= titles
    shaded = [(sh.xref, sh.x0, sh.x1) for sh in fig.layout.shapes if sh.type == "rect"]
    assert shaded == [("x5", item_pos - 0.5, item_pos + 0.5), ("x6", item_pos - 0.5, item_pos + 0.5)]


def test_charts_skip_streamlits_browser_theme_for_plotlys_own_template(workspace):
    """Every chart of Review and Filter is sent without Streamlit's theme (applied in the browser on each draw: ~0.3 s
    of Chromium CPU per Review scene) and with plotly's white template and the app's font instead."""
    white = pio.templates[TEMPLATE].layout
    for page, params in (("review", {"scene": str(workspace[1])}), ("filter", {})):
        at = _review_plots(workspace[1]) if page == "review" else open_page(page, **params)
        charts = at.get("plotly_chart")
        assert len(charts) == (1 if page == "review" else 2)  # Filter: the histogram and the entropy map
        for chart in charts:
            assert chart.proto.theme == ""
            layout = pio.from_json(chart.proto.spec).layout
            assert layout.font.family == FONT
            assert layout.template.layout.plot_bgcolor == white.plot_bgcolor == "white"


def test_review_tells_scores_and_predictions_in_tables_and_draws_its_figure_only_when_asked(workspace, engine):
    """Shown on every scene: each key score with its percentile among the dataset's scored scenes (ties count half)
    and each role's predictions; the figure (0.3-0.6 s of browser CPU per scene) only while its expander is open."""
    scene_id = workspace[1]  # 4 options, the true one B; strong picks B (0.64, others 0.12), weak C (0.5, 0.167)
    at = open_page("review", scene=str(scene_id))
    assert not at.get("plotly_chart")
    assert [e.label for e in at.main.expander if e.label.startswith("Plots")] == [
        "Plots: this scene over the dataset's scores; each rationale's distribution"
    ]
    expected = []
    with Session(engine) as s:
        for name in ("diff_model", "strong_E", "weak_E", "diff_hit"):
            mine = s.execute(text(f'SELECT "{name}" FROM score WHERE scene_id = :id'), {"id": scene_id}).scalar_one()
            below, equal, n = s.execute(
                text(f'SELECT SUM("{name}" < :v), SUM("{name}" = :v), COUNT("{name}") FROM score'), {"v": mine}
            ).one()
            expected.append([name, f"{mine:.3g}", f"{100 * (below + equal / 2) / n:.1f}", f"{n:,}"])
    assert n == 8 and table_rows(at, "score", "value", "percentile", "of scenes") == expected
    assert table_rows(at, "role", "predicted", "mean p(B)", "sampled B", "most likely (mean p)") == [
        ["strong", "2", "0.64", "2", "B 0.64"],
        ["weak", "2", "0.17", "0", "C 0.50"],
    ]
    at.session_state[PLOTS_OPEN] = True
    at.run()
    assert len(at.get("plotly_chart")) == 1
    at.query_params["scene"] = str(workspace[2])
    at.run()
    assert len(at.get("plotly_chart")) == 1  # it stays open on the next scene
