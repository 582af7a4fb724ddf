"""History-derived profile facts: what each user did strictly before each target's time, vectorised per batch.

For target position p the earlier interactions are the timeline positions [user start, user start + n_before[p]):
the timeline is sorted by (user, time, id) and n_before counts only strictly earlier times, so nothing at or after
the target time is ever read. Counts and means are prefix-sum differences; favourite labels are one sparse
product (targets x items) @ (items x labels) per chunk.
"""

import numpy as np
import scipy.sparse as sp

from core.scenes.targets import Timeline, user_start
from storage import scenes as store

NNZ_CHUNK = 4_000_000  # earlier interactions per sparse product: bounds memory for heavy users


def earlier_ranges(timeline: Timeline, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi) timeline positions of each target's strictly earlier interactions."""
    lo = user_start(timeline, positions)
    return lo, lo + timeline.n_before[positions]


def range_sums(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of values[lo:hi] for every (lo, hi) pair."""
    prefix = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    return prefix[hi] - prefix[lo]


def years(ts: np.ndarray) -> np.ndarray:
    """Calendar year (UTC) of unix seconds."""
    return ts.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970


def mean_before(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of the non-NaN values in [lo, hi); NaN where there is none."""
    present = ~np.isnan(values)
    count = range_sums(present.astype(np.float64), lo, hi)
    total = range_sums(np.where(present, values, 0.0), lo, hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def label_matrix(item_index: np.ndarray, labels: list[str], n_items: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Items x labels (1 where the item carries the label) and the label vocabulary, sorted by name."""
    vocab, codes = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    matrix = sp.csr_matrix(
        (np.ones(len(codes), dtype=np.int64), (item_index, codes.ravel())), shape=(n_items, len(vocab))
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1
    return matrix, vocab


def top_labels(
    item: np.ndarray, lo: np.ndarray, hi: np.ndarray, labels: sp.csr_matrix, vocab: np.ndarray, top: int
) -> list[list[str]]:
    """Per target, the `top` labels most frequent over items item[lo:hi] (ties: alphabetical)."""
    result: list[list[str]] = []
    lengths = hi - lo
    ends = np.cumsum(lengths)
    start = 0
    while start < len(lo):
        stop = max(start + 1, int(np.searchsorted(ends, (ends[start - 1] if start else 0) + NNZ_CHUNK, "right")))
        result += _top_chunk(item, lo[start:stop], lengths[start:stop], labels, vocab, top)
        start = stop
    return result


def _top_chunk(
    item: np.ndarray, lo: np.ndarray, lengths: np.ndarray, labels: sp.csr_matrix, vocab: np.ndarray, top: int
) -> list[list[str]]:
    """top_labels for one chunk of targets (at most about NNZ_CHUNK history entries in all)."""
    result: list[list[str]] = [[] for _ in range(len(lo))]
    total = int(lengths.sum())
    if total == 0:
        return result
    rows = np.repeat(np.arange(len(lo)), lengths)
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions = np.repeat(lo, lengths) + within
    seen = sp.csr_matrix((np.ones(total, dtype=np.int64), (rows, item[positions])), shape=(len(lo), labels.shape[0]))
    counts = (seen @ labels).tocoo()
    order = np.lexsort((counts.col, -counts.data, counts.row))
    row, col = counts.row[order], counts.col[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row, side="left")
    keep = rank < top
    for r, c in zip(row[keep].tolist(), col[keep].tolist(), strict=True):
        result[r].append(str(vocab[c]))
    return result


def history_values(
    *, session, dataset_id: int, section: dict, timeline: Timeline, positions: np.ndarray, items
) -> list[dict]:
    """Per target position, the values the profile_history parts may name (absent ones left out)."""
    positions = np.asarray(positions, dtype=np.int64)
    lo, hi = earlier_ranges(timeline, positions)
    counts = (hi - lo).tolist()
    since = years(timeline.ts[lo]).tolist()
    values = [{"history_count": n, "active_since": y} if n else {} for n, y in zip(counts, since, strict=True)]
    if not len(positions):
        return values
    users = timeline.user_id[positions]
    if section.get("rating"):
        ids, numbers = store.interaction_numbers(
            session=session, dataset_id=dataset_id, user_ids=users, feature=section["rating"]
        )
        aligned = np.full(len(timeline.ids), np.nan)
        order = np.argsort(timeline.ids)
        at = np.searchsorted(timeline.ids[order], ids)
        aligned[order[at]] = numbers
        for value, mean in zip(values, np.round(mean_before(aligned, lo, hi), 2).tolist(), strict=True):
            if mean == mean:  # not NaN
                value["mean_rating"] = mean
    if section.get("favourites"):
        item_ids, labels = store.item_labels(session=session, dataset_id=dataset_id, feature=section["favourites"])
        if labels:
            db_ids = items["id"].to_numpy(np.int64)
            matrix, vocab = label_matrix(np.searchsorted(db_ids, item_ids), labels, len(db_ids))
            top = top_labels(timeline.item, lo, hi, matrix, vocab, int(section.get("top", 3)))
            for value, found in zip(values, top, strict=True):
                if found:
                    value["favourites"] = found
    return values
