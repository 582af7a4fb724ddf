"""Order-keeping random interleaving of scorer lists, duplicates dropped (vectorised over all targets)."""

import numpy as np


def compact(items: np.ndarray, sources: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move kept entries to the front of each row (order kept); the rest becomes -1."""
    pos = np.argsort(~keep, axis=1, kind="stable")
    out_items = np.take_along_axis(np.where(keep, items, -1), pos, axis=1)
    out_sources = np.take_along_axis(np.where(keep, sources, -1), pos, axis=1)
    return out_items, out_sources


def first_occurrence(items: np.ndarray) -> np.ndarray:
    """True where an entry is >= 0 and its value did not appear earlier in its row."""
    order = np.argsort(items, axis=1, kind="stable")
    ordered = np.take_along_axis(items, order, axis=1)
    repeat = np.zeros_like(ordered, dtype=bool)
    repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    dup = np.empty_like(repeat)
    np.put_along_axis(dup, order, repeat, axis=1)
    return ~dup & (items >= 0)


def interleave_in_order(lists: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge lists (n, S, K) following labels (n, S*K): the j-th time source s is named, take lists[:, s, j].

    Returns (items, sources), each (n, S*K): duplicates and -1 pads dropped, kept entries first, -1 after.
    """
    n, n_sources, _ = lists.shape
    onehot = labels[..., None] == np.arange(n_sources)
    occurrence = np.take_along_axis(np.cumsum(onehot, axis=1), labels[..., None], axis=2)[..., 0] - 1
    items = lists[np.arange(n)[:, None], labels, occurrence]
    return compact(items, labels, first_occurrence(items))


def interleave(lists: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A uniformly random interleaving of each row's lists that keeps every list's own order."""
    n, n_sources, k = lists.shape
    base = np.repeat(np.arange(n_sources), k)
    labels = base[np.argsort(rng.random((n, n_sources * k)), axis=1)]
    return interleave_in_order(lists, labels)
