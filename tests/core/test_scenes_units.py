"""Exact values for the pieces of scene construction on tiny hand-made data."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core.scenes.exposure import from_impressions
from core.scenes.interleave import first_occurrence, interleave, interleave_in_order
from core.scenes.scorers import (
    Catalog,
    CollaborativeScorer,
    ContentScorer,
    PopularityScorer,
    RandomScorer,
    Targets,
    banned_mask,
    rank_candidates,
    top_k,
)
from core.scenes.targets import build_timeline, eligible_positions, history_positions


def catalog(rows, n_items=4, ts=None, release=None, texts=None) -> Catalog:
    users, items = zip(*rows, strict=True)
    matrix = sp.csr_matrix((np.ones(len(rows)), (users, items)), shape=(max(users) + 1, n_items))
    return Catalog(
        n_items=n_items,
        user_items=matrix,
        inter_item=np.array(items),
        inter_ts=np.array(ts if ts is not None else [0] * len(rows)),
        release_ts=np.array(release if release is not None else [np.nan] * n_items, dtype=float),
        item_texts=texts or [""] * n_items,
    )


def targets(user, ts, history) -> Targets:
    return Targets(user=np.array(user), ts=np.array(ts), history=np.array(history))


def test_interleave_follows_the_labels_and_drops_duplicates_and_pads():
    lists = np.array([[[1, 2, 3], [3, 4, -1]]])
    items, sources = interleave_in_order(lists, np.array([[0, 1, 1, 0, 0, 1]]))
    assert items.tolist() == [[1, 3, 4, 2, -1, -1]]
    assert sources.tolist() == [[0, 1, 1, 0, -1, -1]]


def test_interleave_keeps_each_list_order_and_every_item_once():
    rng = np.random.default_rng(7)
    lists = np.stack([rng.permutation(12)[:5] for _ in range(6)]).reshape(2, 3, 5)
    for _ in range(20):
        items, sources = interleave(lists, rng)
        for row in range(2):
            kept = items[row][items[row] >= 0].tolist()
            assert sorted(kept) == sorted(set(lists[row].ravel().tolist()))
            for s in range(3):
                own = [i for i, src in zip(items[row], sources[row], strict=True) if src == s]
                positions = [lists[row, s].tolist().index(i) for i in own]
                assert positions == sorted(positions)


def test_interleave_is_random_but_seeded():
    lists = np.arange(2 * 4 * 8).reshape(2, 4, 8)
    first = interleave(lists, np.random.default_rng(1))[1]
    assert np.array_equal(first, interleave(lists, np.random.default_rng(1))[1])
    assert not np.array_equal(first, interleave(lists, np.random.default_rng(2))[1])


def test_first_occurrence():
    assert first_occurrence(np.array([[4, 2, 4, -1, 2, 7]])).tolist() == [[True, True, False, False, False, True]]


def test_top_k_breaks_ties_by_index_and_pads_masked():
    scores = np.array([[0.5, 0.9, 0.5, -np.inf], [1.0, 2.0, 3.0, 4.0]])
    assert top_k(scores, 3).tolist() == [[1, 0, 2], [3, 2, 1]]
    assert top_k(scores, 6).tolist() == [[1, 0, 2, -1, -1, -1], [3, 2, 1, 0, -1, -1]]


def test_popularity_counts_interactions_strictly_before_the_target_time():
    cat = catalog([(0, 0), (1, 0), (1, 1), (2, 2), (2, 0)], ts=[10, 20, 20, 30, 40])
    scorer = PopularityScorer(cat, np.random.default_rng(0))
    scores = scorer.score(targets([0, 0, 0], [20, 30, 40], [[0], [0], [0]]))
    assert scores.tolist() == [[1, 0, 0, 0], [2, 1, 0, 0], [2, 1, 1, 0]]


def test_collaborative_scores_equal_the_normalised_cooccurrence_at_full_rank():
    cat = catalog([(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 3)])
    scores = CollaborativeScorer(cat, np.random.default_rng(0)).score(targets([0], [0], [[0]]))
    expected = [1 / 4 + 1 / 6, 1 / 4 + 1 / 6, 1 / math.sqrt(6) / math.sqrt(3), 0.0]
    assert scores[0] == pytest.approx(expected, abs=1e-12)


def test_collaborative_uses_the_mean_of_the_history_vectors():
    cat = catalog([(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 3)])
    scorer = CollaborativeScorer(cat, np.random.default_rng(0))
    both = scorer.score(targets([0], [0], [[0, 3]]))
    single = scorer.score(targets([0, 0], [0, 0], [[0, -1], [3, -1]]))
    assert both[0] == pytest.approx(single.mean(axis=0), abs=1e-12)


def test_content_is_tfidf_cosine_to_the_history():
    texts = ["space opera", "space war", "love letters", "war drums"]
    cat = catalog([(0, 0)], texts=texts)
    scores = ContentScorer(cat, np.random.default_rng(0)).score(targets([0], [0], [[0, -1]]))
    common, rare = math.log(5 / 3) + 1, math.log(5 / 2) + 1  # smooth idf, df 2 and df 1 out of 4
    cos01 = common**2 / (math.sqrt(common**2 + rare**2) * math.sqrt(2 * common**2))
    assert scores[0] == pytest.approx([1.0, cos01, 0.0, 0.0], abs=1e-12)


def test_random_scorer_draws_from_the_generator():
    cat = catalog([(0, 0)], n_items=5)
    got = RandomScorer(cat, np.random.default_rng(3)).score(targets([0, 0], [0, 0], [[0], [0]]))
    assert np.array_equal(got, np.random.default_rng(3).random((2, 5)))


def test_banned_mask_and_ranking_skip_interacted_and_unreleased_items():
    cat = catalog([(0, 0), (0, 2), (1, 1)], n_items=5, release=[np.nan, np.nan, np.nan, 50, 10])
    mask = banned_mask(cat, targets([0, 1], [20, 60], [[0], [1]]))
    assert mask.tolist() == [[True, False, True, True, False], [False, True, False, False, False]]
    pop = PopularityScorer(cat, np.random.default_rng(0))
    ranked = rank_candidates(cat, [pop], targets([0, 1], [20, 60], [[0], [1]]), 4)
    assert ranked[:, 0].tolist() == [[1, 4, -1, -1], [0, 2, 3, 4]]


def test_impressions_are_used_as_given():
    got = from_impressions([5, 3, 5, 9], 3, {3, 5, 9}, np.random.default_rng(0), 2, 12)
    assert (got.items, got.sources, got.item_pos) == ([5, 3, 9], ["impression", "target", "impression"], 1)
    assert from_impressions([4], 4, {4}, np.random.default_rng(0), 2, 12) is None


def test_long_impressions_keep_the_click_and_the_shown_order():
    shown = list(range(100, 130))
    got = from_impressions(shown, 117, set(shown), np.random.default_rng(0), 2, 6)
    assert len(got.items) == 6 and got.items == sorted(got.items) and got.items[got.item_pos] == 117


def test_a_click_missing_from_its_impression_is_inserted():
    got = from_impressions([1, 2, 3], 9, {1, 2, 3, 9}, np.random.default_rng(0), 2, 12)
    assert sorted(got.items) == [1, 2, 3, 9] and got.items[got.item_pos] == 9
    assert [i for i in got.items if i != 9] == [1, 2, 3]


def test_timeline_counts_strictly_earlier_interactions_with_ties():
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "user_id": [7, 7, 7, 7, 7, 8],
            "item_id": [10, 11, 12, 13, 14, 10],
            "timestamp": [100, 200, 200, 300, 400, 50],
            "has_impressions": [False] * 6,
        }
    )
    timeline = build_timeline(frame, np.array([10, 11, 12, 13, 14]))
    assert timeline.ids.tolist() == [1, 2, 3, 4, 5, 6]
    assert timeline.n_before.tolist() == [0, 1, 1, 3, 4, 0]
    assert timeline.item.tolist() == [0, 1, 2, 3, 4, 0]
    assert eligible_positions(timeline, np.array([5])).tolist() == [3]
    hist = history_positions(timeline, np.array([3, 4]), np.random.default_rng(0), 10, 10)
    assert hist.tolist() == [[0, 1, 2] + [-1] * 7, [0, 1, 2, 3] + [-1] * 6]
    short = history_positions(timeline, np.array([4]), np.random.default_rng(0), 2, 2)
    assert short.tolist() == [[2, 3]]
