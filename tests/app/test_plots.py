"""AppTest: the Filter histogram is stacked kept / dropped by reason with labelled axes and bins that fit the set's
size; Review's one figure marks and labels "this scene" on the score panels and draws each role's distributions."""

import base64

import numpy as np
import pandas as pd
import plotly.io as pio
from sqlmodel import Session, select

from pages.filter_plots import MAX_BINS, MAX_POINTS, bin_edges, entropy_scatter, ranking_histogram
from storage.browse_detail import decode_probs
from storage.models import Prediction, Rationale, Scene
from tests.app.pages_helpers import open_page


def _total(y) -> int:
    """The sum of a trace's values as the browser gets them (plotly may send a typed array: dtype + base64)."""
    if isinstance(y, dict):
        y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    return int(np.asarray(y).sum())


def _figures(at):
    return [pio.from_json(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_filter_histogram_colours_kept_and_each_drop_reason(workspace):
    at = open_page("filter")
    hist = _figures(at)[0]
    bars = {trace.name: _total(trace.y) for trace in hist.data}
    assert bars == {"kept": 4, "dropped: no correct rationale": 2, "dropped: no rejected": 2}
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


def test_entropy_scatter_draws_a_sample_of_large_sets_as_svg():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"scene_id": np.arange(10_000), "strong_E": rng.random(10_000), "weak_E": rng.random(10_000)})
    kept = np.arange(0, 10_000, 4)  # every fourth scene kept
    fig = entropy_scatter(frame, kept)
    assert [(t.type, t.name) for t in fig.data] == [("scatter", "dropped"), ("scatter", "kept")]  # SVG, not WebGL
    shown = {t.name: len(t.x) for t in fig.data}
    assert shown["dropped"] + shown["kept"] == MAX_POINTS == 2_000
    assert 400 < shown["kept"] < 600  # a random sample keeps the kept share (a quarter)
    assert fig.layout.title.text == "expected entropy: strong vs weak (a random 2,000 of 10,000 scenes)"
    small = entropy_scatter(frame.head(10), kept)
    assert sum(len(t.x) for t in small.data) == 10 and small.layout.title.text == "expected entropy: strong vs weak"


def test_review_marks_this_scene_on_each_score_plot(workspace):
    at = open_page("review", scene=str(workspace[1]))
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
    """One figure for the scene: below the score panels, a panel per role with a bar group per rationale (the stored
    probabilities), the true option shaded, the sampled behaviour dotted."""
    scene_id = workspace[1]
    with Session(engine) as s:
        item_pos = s.get(Scene, scene_id).item_pos
        rows = s.exec(
            select(Rationale.role, Rationale.sample_index, Prediction.probs, Prediction.behavior_index)
            .join(Prediction, Prediction.rationale_id == Rationale.id)
            .where(Rationale.scene_id == scene_id)
        ).all()
    at = open_page("review", scene=str(scene_id))
    [fig] = _figures(at)  # the scene's only chart
    bars = {t.name: t for t in fig.data if t.name}
    assert sorted(bars) == sorted(f"{role} #{k}" for role, k, _, _ in rows) and len(rows) == 4
    for role, k, probs, sampled in rows:
        trace = bars[f"{role} #{k}"]
        assert np.allclose(np.asarray(trace.y, dtype=float), decode_probs(probs), atol=1e-12)
        assert (trace.xaxis, trace.yaxis) == (("x5", "y5") if role == "strong" else ("x6", "y6"))
        assert [j for j, t in enumerate(trace.text) if t == "●"] == [sampled]
        colours = trace.marker.color
        assert [j for j, c in enumerate(colours) if c != colours[(item_pos + 1) % len(colours)]] == [item_pos]
    titles = {a.text for a in fig.layout.annotations}
    assert {"strong: 2 predicted", "weak: 2 predicted"} <= titles
    shaded = [(sh.xref, sh.x0, sh.x1) for sh in fig.layout.shapes if sh.type == "rect"]
    assert shaded == [("x5", item_pos - 0.5, item_pos + 0.5), ("x6", item_pos - 0.5, item_pos + 0.5)]
