"""Candidate scorers (random, popularity, collaborative, content) and batched top-K ranking.

Every scorer turns a batch of targets into a dense (batch x n_items) score matrix with numpy/scipy; the ranking
masks items the user ever interacted with and items released after the target time, then keeps the top K.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.extmath import randomized_svd

SVD_DIMS = 64
POPULARITY_BUCKETS = 64
SCORE_CELLS = 2_000_000  # batch rows x items per dense score matrix (16 MB of float64)


@dataclass
class Catalog:
    """What scorers learn from: the whole dataset, in item/user index space (0..n-1)."""

    n_items: int
    user_items: sp.csr_matrix  # users x items, 1 where the user ever interacted with the item
    inter_item: np.ndarray  # item index of every interaction
    inter_ts: np.ndarray  # timestamp of every interaction
    release_ts: np.ndarray  # float per item, NaN when unknown
    item_texts: list[str]


@dataclass
class Targets:
    """A batch of targets: user index, target time and history item indices (-1 padded, oldest first)."""

    user: np.ndarray
    ts: np.ndarray
    history: np.ndarray


class RandomScorer:
    """Uniform random order over all items."""

    def __init__(self, catalog: Catalog, rng: np.random.Generator) -> None:
        self.n_items = catalog.n_items
        self.rng = rng

    def score(self, targets: Targets) -> np.ndarray:
        return self.rng.random((len(targets.user), self.n_items))


class PopularityScorer:
    """Interactions per item before the target time (at the start of its time bucket; exact for <= 64 times)."""

    def __init__(self, catalog: Catalog, rng: np.random.Generator) -> None:
        times = np.sort(catalog.inter_ts)
        times = times[np.r_[True, times[1:] != times[:-1]]] if len(times) else times  # unique (np.unique is slow)
        buckets = max(2, min(POPULARITY_BUCKETS, 20_000_000 // max(catalog.n_items, 1)))
        if len(times) > buckets:
            times = times[np.unique(np.linspace(0, len(times) - 1, buckets).round().astype(np.int64))]
        self.edges = times
        first_after = np.searchsorted(times, catalog.inter_ts, side="right")  # first edge later than the event
        cells = (len(times) + 1) * catalog.n_items
        inc = np.bincount(first_after * catalog.n_items + catalog.inter_item, minlength=cells)
        inc = inc.reshape(len(times) + 1, catalog.n_items).astype(np.int32)
        self.before = np.cumsum(inc, axis=0, dtype=np.int32)[: len(times)]  # before[e] = count with ts < edges[e]

    def score(self, targets: Targets) -> np.ndarray:
        bucket = np.maximum(np.searchsorted(self.edges, targets.ts, side="right") - 1, 0)
        return self.before[bucket].astype(np.float64)


class CollaborativeScorer:
    """Item vectors from a truncated SVD of the degree-normalised user-item matrix, against the history mean."""

    def __init__(self, catalog: Catalog, rng: np.random.Generator) -> None:
        self.vectors = item_vectors(catalog.user_items)

    def score(self, targets: Targets) -> np.ndarray:
        return history_mean(self.vectors, targets.history) @ self.vectors.T


class ContentScorer:
    """TF-IDF cosine between each item's text and the mean TF-IDF vector of the history items."""

    def __init__(self, catalog: Catalog, rng: np.random.Generator) -> None:
        try:
            vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", max_features=100_000)
            self.matrix = vectorizer.fit_transform(catalog.item_texts).tocsr()
        except ValueError:  # empty vocabulary: no text at all
            self.matrix = sp.csr_matrix((catalog.n_items, 1))

    def score(self, targets: Targets) -> np.ndarray:
        n, k = targets.history.shape
        valid = targets.history >= 0
        pick = sp.csr_matrix(
            (np.ones(valid.sum()), (np.nonzero(valid)[0], targets.history[valid])), shape=(n, self.matrix.shape[0])
        )
        query = normalize(pick @ self.matrix)
        return np.asarray((query @ self.matrix.T).toarray(), dtype=np.float64)


SCORER_CLASSES = {
    "random": RandomScorer,
    "popularity": PopularityScorer,
    "collaborative": CollaborativeScorer,
    "content": ContentScorer,
}


def item_vectors(user_items: sp.csr_matrix, dims: int = SVD_DIMS) -> np.ndarray:
    """Item factors V * s of D_u^-1/2 R D_i^-1/2 (exact SVD when small, randomized SVD otherwise)."""
    matrix = sp.csr_matrix(user_items, dtype=np.float64)
    du = np.asarray(matrix.sum(axis=1)).ravel()
    di = np.asarray(matrix.sum(axis=0)).ravel()
    inv_u = np.divide(1.0, np.sqrt(du), out=np.zeros_like(du), where=du > 0)
    inv_i = np.divide(1.0, np.sqrt(di), out=np.zeros_like(di), where=di > 0)
    norm = sp.diags(inv_u) @ matrix @ sp.diags(inv_i)
    small = min(norm.shape)
    if small <= 2 * dims or max(norm.shape) <= 500:
        _, s, vt = np.linalg.svd(norm.toarray(), full_matrices=False)
        s, vt = s[:dims], vt[:dims]
    else:
        _, s, vt = randomized_svd(norm, n_components=min(dims, small - 1), n_iter=4, random_state=0)
    return np.ascontiguousarray((vt.T * s).astype(np.float64))


def history_mean(vectors: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Mean of the vectors of each row's history items (-1 entries ignored)."""
    valid = history >= 0
    summed = (vectors[np.where(valid, history, 0)] * valid[..., None]).sum(axis=1)
    return summed / np.maximum(valid.sum(axis=1), 1)[:, None]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores per row, best first (ties by lower index); -inf entries become -1."""
    n_items = scores.shape[1]
    if k < n_items:
        part = np.argpartition(scores, n_items - k, axis=1)[:, n_items - k :]
    else:
        part = np.broadcast_to(np.arange(n_items), scores.shape)
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=-1)
    idx = np.take_along_axis(part, order, axis=1).astype(np.int64)
    idx[np.take_along_axis(vals, order, axis=1) == -np.inf] = -1
    if idx.shape[1] < k:
        idx = np.pad(idx, ((0, 0), (0, k - idx.shape[1])), constant_values=-1)
    return idx


def banned_mask(catalog: Catalog, targets: Targets) -> np.ndarray:
    """Dense (batch x items) mask: items the user ever interacted with, items released after the target time."""
    mask = catalog.release_ts[None, :] > targets.ts[:, None].astype(np.float64)
    rows, cols = catalog.user_items[targets.user].nonzero()
    mask[rows, cols] = True
    return mask


def make_scorers(names: tuple[str, ...], catalog: Catalog, rng: np.random.Generator) -> list:
    """Prepared scorer objects in the order of names."""
    return [SCORER_CLASSES[name](catalog, rng) for name in names]


def rank_candidates(catalog: Catalog, scorers: list, targets: Targets, k: int, on_batch=None) -> np.ndarray:
    """(n_targets, n_scorers, k) item indices, each scorer's top k among allowed items; -1 where none is left."""
    n = len(targets.user)
    out = np.full((n, len(scorers), k), -1, dtype=np.int64)
    step = max(1, SCORE_CELLS // max(catalog.n_items, 1))
    for start in range(0, n, step):
        rows = slice(start, min(n, start + step))
        batch = Targets(user=targets.user[rows], ts=targets.ts[rows], history=targets.history[rows])
        mask = banned_mask(catalog, batch)
        for s, scorer in enumerate(scorers):
            scores = scorer.score(batch)
            np.copyto(scores, -np.inf, where=mask)
            out[rows, s] = top_k(scores, k)
        if on_batch:
            on_batch(rows.stop - rows.start)
    return out
