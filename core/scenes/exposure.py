"""Exposure lists: scorer candidates filtered and cut to length, or real impressions used as given."""

from dataclasses import dataclass

import numpy as np

from core.scenes.interleave import compact
from core.scenes.scorers import Catalog


@dataclass
class Exposure:
    """One scene's options (item indices or ids), the scorer of each, and the true item's position."""

    items: list[int]
    sources: list[str]
    item_pos: int


def interacted(catalog: Catalog, user: np.ndarray, items: np.ndarray) -> np.ndarray:
    """(n, M) True where user[row] ever interacted with items[row, col] (items >= 0)."""
    matrix = catalog.user_items
    owners = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    known = owners * catalog.n_items + matrix.indices.astype(np.int64)  # sorted: CSR rows, sorted columns
    keys = user[:, None].astype(np.int64) * catalog.n_items + np.maximum(items, 0)
    at = np.minimum(np.searchsorted(known, keys), max(len(known) - 1, 0))
    return (known[at] == keys) if len(known) else np.zeros(keys.shape, dtype=bool)


def from_candidates(
    catalog: Catalog,
    items: np.ndarray,
    sources: np.ndarray,
    user: np.ndarray,
    target_ts: np.ndarray,
    target_item: np.ndarray,
    scorer_names: tuple[str, ...],
    rng: np.random.Generator,
    min_len: int,
    max_len: int,
    position: str = "uniform",
) -> list[Exposure | None]:
    """Drop interacted / later-released items, cut to L-1 negatives (L uniform in [min, max]), insert the target:
    at a uniform place among the L (position "uniform"), or as the reference does, before one of the L-1 negatives
    (position "reference": never last). The same random draws either way.

    None for a target with fewer than min_len - 1 usable candidates.
    """
    catalog.user_items.sort_indices()
    valid = items >= 0
    future = catalog.release_ts[np.maximum(items, 0)] > target_ts[:, None].astype(np.float64)
    keep = valid & ~future & ~interacted(catalog, user, items)
    items, sources = compact(items, sources, keep)
    available = keep.sum(axis=1)
    n = len(user)
    length = np.minimum(rng.integers(min_len, max_len + 1, size=n), available + 1)
    places = length if position == "uniform" else np.maximum(length - 1, 1)
    at = np.minimum((rng.random(n) * places).astype(np.int64), places - 1)
    out: list[Exposure | None] = []
    for row in range(n):
        size = int(length[row])
        if size < min_len:
            out.append(None)
            continue
        pos = int(at[row])
        negatives = items[row, : size - 1].tolist()
        names = [scorer_names[s] for s in sources[row, : size - 1].tolist()]
        out.append(
            Exposure(
                items=[*negatives[:pos], int(target_item[row]), *negatives[pos:]],
                sources=[*names[:pos], "target", *names[pos:]],
                item_pos=pos,
            )
        )
    return out


def from_impressions(
    shown: list[int], target: int, known_items: set[int], rng: np.random.Generator, min_len: int, max_len: int
) -> Exposure | None:
    """The real impression list, in its own order, as the exposure (item ids, not indices).

    Duplicates and unknown items are dropped. When the clicked item is not in the list it is inserted at a
    uniformly random position. A list longer than max_len keeps the clicked item and a uniform sample of
    max_len - 1 other shown items, in the order shown. None when fewer than min_len items remain.
    """
    seen = [item for item in dict.fromkeys(int(x) for x in shown) if item in known_items]
    if target not in seen:
        seen.insert(int(rng.integers(0, len(seen) + 1)), target)
    if len(seen) > max_len:
        others = [i for i, item in enumerate(seen) if item != target]
        kept = set(rng.choice(others, size=max_len - 1, replace=False).tolist())
        seen = [item for i, item in enumerate(seen) if item == target or i in kept]
    if len(seen) < min_len:
        return None
    return Exposure(
        items=seen,
        sources=["target" if item == target else "impression" for item in seen],
        item_pos=seen.index(target),
    )
