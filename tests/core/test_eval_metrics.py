"""Evaluation metrics pinned on a hand-computed fixture; bootstrap and paired intervals against a plain loop."""

import math

import numpy as np
import pandas as pd
import pytest

from core.evaluation.metrics import (
    METRICS,
    Rows,
    intervals,
    paired_difference,
    point,
    resample_weights,
    row_values,
    scene_stats,
    segment_intervals,
)
from core.evaluation.summary import decode_probs, run_data, summarize

# Scene 1: 3 options, truth A, two repeats (behaviours A then B); scene 2: 2 options, truth B, one repeat;
# scene 3: 4 options, truth D, one repeat.
PROBS = [[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.9, 0.1], [0.1, 0.2, 0.3, 0.4]]
SCENES, TRUE, BEHAVIOR = [1, 1, 2, 3], [0, 0, 1, 3], [0, 1, 0, 3]


def fixture_rows() -> Rows:
    counts = np.array([len(p) for p in PROBS])
    blobs = [np.asarray(p, dtype=np.float64).tobytes() for p in PROBS]
    return Rows(np.array(SCENES), np.array(TRUE), np.array(BEHAVIOR), decode_probs(blobs, counts))


def test_every_metric_on_the_hand_computed_fixture():
    got = point(scene_stats(fixture_rows()))
    # accuracy: scene means 1/2, 0, 1 -> 1/2; argmax: 1, 0, 1 -> 2/3
    assert got["accuracy"] == 0.5
    assert got["argmax_accuracy"] == pytest.approx(2 / 3, rel=1e-15)
    # log loss over 4 rows: (ln 2 + ln 2 + ln 10 + ln 2.5) / 4 = ln(100) / 4
    assert got["log_loss"] == pytest.approx(math.log(100) / 4, rel=1e-15)
    # brier: 0.25 + 0.09 + 0.04 = 0.38 twice, 0.81 + 0.81 = 1.62, 0.01 + 0.04 + 0.09 + 0.36 = 0.5 -> 2.88 / 4
    assert got["brier"] == pytest.approx(0.72, rel=1e-15)
    # ece: bin [0.5, 0.6) hits 2, conf 1.0; bin [0.9, 1] hits 0, conf 0.9; bin [0.4, 0.5) hits 1, conf 0.4
    # (|2 - 1.0| + |0 - 0.9| + |1 - 0.4|) / 4 = 2.5 / 4
    assert got["ece"] == pytest.approx(0.625, rel=1e-15)


def test_rows_of_the_fixture():
    values = row_values(fixture_rows())
    assert values["hit"].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert values["argmax_hit"].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert values["bin"].tolist() == [5, 5, 9, 4]
    assert values["brier"].tolist() == pytest.approx([0.38, 0.38, 1.62, 0.5], rel=1e-15)


def test_bins_are_closed_on_the_left_and_the_last_holds_one():
    confidence = np.array([0.0, 0.0999, 0.1, 0.3, 0.5, 0.8999, 0.9, 1.0])
    rows = Rows(np.arange(8), np.zeros(8, int), np.zeros(8, int), np.column_stack([confidence, np.zeros(8)]))
    assert row_values(rows)["bin"].tolist() == [0, 0, 1, 3, 5, 8, 9, 9]


def test_a_tie_takes_the_first_option_as_argmax_and_log_loss_is_floored():
    rows = Rows(np.array([7]), np.array([1]), np.array([1]), np.array([[0.5, 0.5, 0.0]]))
    assert point(scene_stats(rows))["argmax_accuracy"] == 0.0
    rows = Rows(np.array([7]), np.array([2]), np.array([0]), np.array([[0.5, 0.5, 0.0]]))
    assert point(scene_stats(rows))["log_loss"] == pytest.approx(-math.log(1e-10), rel=1e-15)


def test_no_rows_gives_no_metric():
    rows = Rows(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), np.zeros((0, 0)))
    stats = scene_stats(rows)
    assert point(stats) == dict.fromkeys(METRICS)
    assert intervals(stats) == dict.fromkeys(METRICS)


def _replicate(rows: Rows, weights: np.ndarray, scenes: np.ndarray) -> Rows:
    """Rows of a resample, written out: each scene's rows repeated as often as it was drawn, as a new scene."""
    parts, new_id = [], 0
    for scene, times in zip(scenes, weights.astype(int), strict=True):
        mask = rows.scene_id == scene
        for _ in range(times):
            parts.append((np.full(mask.sum(), new_id), rows.true[mask], rows.behavior[mask], rows.probs[mask]))
            new_id += 1
    ids, true, behavior, probs = (np.concatenate(column) for column in zip(*parts, strict=True))
    return Rows(ids, true, behavior, probs)


def _random_rows(seed: int, scenes: int) -> Rows:
    rng = np.random.default_rng(seed)
    repeats = rng.integers(1, 4, size=scenes)
    ids = np.repeat(np.arange(100, 100 + scenes), repeats)
    n = len(ids)
    probs = rng.dirichlet(np.ones(4), size=n)
    return Rows(ids, rng.integers(0, 4, size=n), rng.integers(0, 4, size=n), probs)


def test_bootstrap_intervals_equal_a_plain_loop_over_the_same_resamples():
    rows = _random_rows(1, 30)
    stats = scene_stats(rows)
    got = intervals(stats, resamples=200, seed=5)
    weights = resample_weights(np.random.default_rng(5), stats.n, 200)
    loop = {name: [] for name in METRICS}
    for w in weights:
        values = point(scene_stats(_replicate(rows, w, stats.scene_id)))
        for name in METRICS:
            loop[name].append(values[name])
    for name in METRICS:
        expected = np.quantile(loop[name], [0.025, 0.975])
        assert got[name] == pytest.approx(expected.tolist(), rel=1e-12), name


def test_segment_intervals_read_the_same_resamples_of_all_scenes():
    rows = _random_rows(4, 25)
    stats = scene_stats(rows)
    labels = np.where(stats.scene_id % 3 == 0, "x", "y")
    got = segment_intervals(stats, {"by": labels}, resamples=150, seed=2)
    order = np.argsort(labels, kind="stable")  # scenes are resampled in the order of their segments
    weights = resample_weights(np.random.default_rng(2), stats.n, 150)[:, np.argsort(order)]
    for label in ("x", "y"):
        mine = labels == label
        loop = {name: [] for name in METRICS}
        for w in weights:
            if not w[mine].any():
                continue  # a resample without the segment's scenes says nothing about it
            values = point(scene_stats(_replicate(rows, w[mine], stats.scene_id[mine])))
            for name in METRICS:
                loop[name].append(values[name])
        for name in METRICS:
            expected = np.quantile(loop[name], [0.025, 0.975])
            assert got["by"][label][name] == pytest.approx(expected.tolist(), rel=1e-12), (label, name)
    for name in METRICS:  # all scenes, over the same resamples
        values = [point(scene_stats(_replicate(rows, w, stats.scene_id)))[name] for w in weights]
        assert got[None][name] == pytest.approx(np.quantile(values, [0.025, 0.975]).tolist(), rel=1e-12)


def test_identical_scenes_give_a_zero_width_interval():
    rows = Rows(np.arange(10), np.zeros(10, int), np.zeros(10, int), np.tile([0.7, 0.3], (10, 1)))
    got = intervals(scene_stats(rows), resamples=50)
    assert got["accuracy"] == [1.0, 1.0]
    assert got["log_loss"] == pytest.approx([-math.log(0.7)] * 2, rel=1e-15)


def test_paired_difference_on_shared_scenes():
    a, b = _random_rows(2, 40), _random_rows(3, 40)
    b = Rows(b.scene_id + 20, b.true, b.behavior, b.probs)  # scenes 120..139 shared
    sa, sb = scene_stats(a), scene_stats(b)
    got = paired_difference(sa, sb, resamples=300, seed=1)
    shared_a = sa.take(np.isin(sa.scene_id, sb.scene_id))
    shared_b = sb.take(np.isin(sb.scene_id, sa.scene_id))
    for name in METRICS:
        assert got[name]["difference"] == pytest.approx(point(shared_a)[name] - point(shared_b)[name], abs=1e-15)
        assert got[name]["scenes"] == 20
        lo, hi = got[name]["ci"]
        assert lo <= got[name]["difference"] <= hi or name == "ece"  # ece's bootstrap is biased upward
    same = paired_difference(sa, sa, resamples=100)
    assert all(same[name]["ci"] == [0.0, 0.0] and same[name]["difference"] == 0.0 for name in METRICS)
    disjoint = Rows(a.scene_id + 1000, a.true, a.behavior, a.probs)
    assert paired_difference(sa, scene_stats(disjoint)) is None


def test_summary_has_exactly_the_issue_keys_per_segment():
    frame = pd.DataFrame(
        {
            "scene_id": SCENES,
            "repeat": [0, 1, 0, 0],
            "behavior": BEHAVIOR,
            "probs": [np.asarray(p, dtype=np.float64).tobytes() for p in PROBS],
            "item_pos": TRUE,
            "choice_cnt": [3, 3, 2, 4],
            "dataset": ["m", "m", "n", "m"],
        }
    )
    skipped = pd.DataFrame({"dataset": ["n", "o"], "choice_cnt": [2, 5]})
    got = summarize(run_data(frame), skipped, run="r", endpoint="e", mode="direct", resamples=20)
    assert list(got) == [
        "run",
        "endpoint",
        "mode",
        "scenes",
        "skipped",
        *METRICS,
        "ci",
        "by_dataset",
        "by_choice_cnt",
    ]
    assert (got["run"], got["endpoint"], got["mode"], got["scenes"], got["skipped"]) == ("r", "e", "direct", 3, 2)
    assert list(got["by_dataset"]) == ["m", "n", "o"]
    assert list(got["by_choice_cnt"]) == ["2", "3", "4", "5"]
    m = got["by_dataset"]["m"]
    assert list(m) == ["scenes", "skipped", *METRICS, "ci"]
    assert (m["scenes"], m["skipped"], m["accuracy"], m["argmax_accuracy"]) == (2, 0, 0.75, 1.0)
    assert got["by_dataset"]["n"] | {"ci": None} == {
        "scenes": 1,
        "skipped": 1,
        "accuracy": 0.0,
        "argmax_accuracy": 0.0,
        "log_loss": pytest.approx(math.log(10), rel=1e-15),
        "brier": pytest.approx(1.62, rel=1e-15),
        "ece": pytest.approx(0.9, rel=1e-15),
        "ci": None,
    }
    assert got["by_dataset"]["o"] == {"scenes": 0, "skipped": 1, **dict.fromkeys(METRICS), "ci": dict.fromkeys(METRICS)}
    assert got["by_choice_cnt"]["2"]["ci"]["accuracy"] == [0.0, 0.0]
