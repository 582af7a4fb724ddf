"""Evaluation metrics (issue 10): exact definitions over a run's rows, one row = one scene × one repeat.

- accuracy: mean over scenes of (mean over that scene's repeats of [behaviour == true option]);
- argmax_accuracy: the same with the distribution's argmax (the first one on a tie) instead of the behaviour;
- log_loss: mean over rows of −ln(max(p_true, 1e-10));
- brier: mean over rows of Σ_i (p_i − [i == true])²;
- ece: 10 equal-width bins [0, 0.1) … [0.9, 1] of each row's max probability;
  Σ_bins |argmax hits in the bin − sum of max probabilities in the bin| / rows.

Every metric is a ratio of sums of per-scene quantities (SceneStats), so any resample of scenes is a weighted sum:
a block of bootstrap resamples is one matrix product (weights × per-scene columns). The point estimate is the same
formula with every weight 1. Segments (per dataset, per option count) are read off the same resamples of all scenes:
a segment's interval is over the resamples that drew at least one of its scenes.
"""

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

METRICS = ("accuracy", "argmax_accuracy", "log_loss", "brier", "ece")
LOG_LOSS_FLOOR = 1e-10
BINS = 10
EDGES = np.arange(1, BINS) / BINS  # 0.1 … 0.9: a max probability p falls in bin #(edges <= p)
RESAMPLES = 1000
LEVEL = 0.95
_BLOCK = 4_000_000  # weights held at once (resamples × scenes), ~32 MB


@dataclass(frozen=True)
class Rows:
    """A run's rows as parallel arrays; probs is zero-padded to the widest scene (rows × max options)."""

    scene_id: np.ndarray
    true: np.ndarray
    behavior: np.ndarray
    probs: np.ndarray


@dataclass(frozen=True)
class SceneStats:
    """Per-scene sums the metrics need, scenes in ascending id order; `columns` is (scenes × 25)."""

    scene_id: np.ndarray
    columns: np.ndarray  # hit mean, argmax-hit mean, 1, rows, log-loss sum, brier sum, bin hits ×10, bin conf ×10

    @property
    def n(self) -> int:
        return len(self.scene_id)

    def take(self, index: np.ndarray) -> "SceneStats":
        """The stats of the scenes at these positions (a boolean mask or indices)."""
        return SceneStats(self.scene_id[index], self.columns[index])


_HIT, _ARGMAX, _ONE, _ROWS, _LOSS, _BRIER = range(6)
_BIN_HITS = slice(6, 6 + BINS)
_BIN_CONF = slice(6 + BINS, 6 + 2 * BINS)


def row_values(rows: Rows) -> dict[str, np.ndarray]:
    """Per row: sampled hit, argmax hit, max probability (confidence), its bin, log loss and Brier score."""
    n = len(rows.true)
    index = np.arange(n)
    probs = rows.probs
    p_true = probs[index, rows.true] if n else np.zeros(0)
    onehot = np.zeros_like(probs)
    onehot[index, rows.true] = 1.0
    confidence = probs.max(axis=1) if n else np.zeros(0)
    return {
        "hit": (rows.behavior == rows.true).astype(np.float64),
        "argmax_hit": (probs.argmax(axis=1) == rows.true).astype(np.float64) if n else np.zeros(0),
        "confidence": confidence,
        "bin": np.searchsorted(EDGES, confidence, side="right"),
        "log_loss": -np.log(np.maximum(p_true, LOG_LOSS_FLOOR)),
        "brier": ((probs - onehot) ** 2).sum(axis=1),
    }


def scene_stats(rows: Rows) -> SceneStats:
    """Aggregate rows to one line of sums per scene."""
    scenes, inverse = np.unique(rows.scene_id, return_inverse=True)
    s = len(scenes)
    values = row_values(rows)
    count = np.bincount(inverse, minlength=s).astype(np.float64)
    columns = np.zeros((s, 6 + 2 * BINS))
    columns[:, _HIT] = np.bincount(inverse, values["hit"], minlength=s) / np.maximum(count, 1)
    columns[:, _ARGMAX] = np.bincount(inverse, values["argmax_hit"], minlength=s) / np.maximum(count, 1)
    columns[:, _ONE] = 1.0
    columns[:, _ROWS] = count
    columns[:, _LOSS] = np.bincount(inverse, values["log_loss"], minlength=s)
    columns[:, _BRIER] = np.bincount(inverse, values["brier"], minlength=s)
    cell = inverse * BINS + values["bin"]
    columns[:, _BIN_HITS] = np.bincount(cell, values["argmax_hit"], minlength=s * BINS).reshape(s, BINS)
    columns[:, _BIN_CONF] = np.bincount(cell, values["confidence"], minlength=s * BINS).reshape(s, BINS)
    return SceneStats(scenes, columns)


def _from_sums(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics from weighted column sums (resamples × 25)."""
    scenes, rows = sums[:, _ONE], sums[:, _ROWS]
    return {
        "accuracy": sums[:, _HIT] / scenes,
        "argmax_accuracy": sums[:, _ARGMAX] / scenes,
        "log_loss": sums[:, _LOSS] / rows,
        "brier": sums[:, _BRIER] / rows,
        "ece": np.abs(sums[:, _BIN_HITS] - sums[:, _BIN_CONF]).sum(axis=1) / rows,
    }


def point(stats: SceneStats) -> dict[str, float | None]:
    """The five metrics of these scenes (None when there is no scene)."""
    if not stats.n:
        return dict.fromkeys(METRICS)
    values = _from_sums(stats.columns.sum(axis=0, keepdims=True))
    return {name: float(values[name][0]) for name in METRICS}


def resample_weights(rng: np.random.Generator, n: int, count: int) -> np.ndarray:
    """count × n multiplicities: row b says how often each of the n scenes was drawn in resample b."""
    kind = np.uint32 if count * n < 2**32 else np.int64  # 32-bit draws are cheaper (the rule decides the draws)
    draws = rng.integers(0, n, size=(count, n), dtype=kind)
    weights = np.empty((count, n))
    # one resample at a time: its draws stay in cache, where one bincount of the whole block first copied all of
    # them to 64 bits (3x the CPU)
    for b in range(count):
        weights[b] = np.bincount(draws[b], minlength=n)
    return weights


def _single_blas() -> threadpool_limits:
    """One BLAS thread for the resample products: they are thin (25 columns), and threaded BLAS on the busy shared
    machine spent 3x the CPU and 2-3x the wall time waiting on its own threads. It also makes the sums' rounding the
    same on every machine, whatever its core count."""
    return threadpool_limits(limits=1, user_api="blas")


def bootstrap_sums(stats: list[SceneStats], *, resamples: int, seed: int) -> list[np.ndarray]:
    """For each stats (same scenes, same order), its column sums under the same scene resamples (resamples × 25)."""
    n = stats[0].n
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK // max(n, 1))
    out: list[list[np.ndarray]] = [[] for _ in stats]
    with _single_blas():
        for start in range(0, resamples, block):
            weights = resample_weights(rng, n, min(block, resamples - start))
            for k, each in enumerate(stats):
                out[k].append(weights @ each.columns)
    return [np.concatenate(parts) for parts in out]


def interval(values: np.ndarray, level: float = LEVEL) -> list[float] | None:
    """The percentile interval [lo, hi] of bootstrap values (NaN = a resample without the segment: left out)."""
    values = values[~np.isnan(values)]
    if not len(values):
        return None
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(values, [tail, 1.0 - tail])
    return [float(lo), float(hi)]


def _intervals(sums: np.ndarray) -> dict[str, list[float] | None]:
    with np.errstate(divide="ignore", invalid="ignore"):  # a resample without the segment's scenes: 0 / 0
        values = _from_sums(sums)
    return {name: interval(values[name]) for name in METRICS}


def intervals(stats: SceneStats, *, resamples: int = RESAMPLES, seed: int = 0) -> dict[str, list[float] | None]:
    """95% scene-level bootstrap intervals of the five metrics (None without scenes)."""
    return segment_intervals(stats, {}, resamples=resamples, seed=seed)[None]


def segment_intervals(
    stats: SceneStats, groupings: dict[str, np.ndarray], *, resamples: int = RESAMPLES, seed: int = 0
) -> dict:
    """Intervals of all scenes (key None) and of each segment of each grouping ({name: {label: intervals}}), every
    one read off the same `resamples` resamples of all scenes; groupings give a label per scene.

    Scenes are ordered by cell (one label of every grouping) and resampled in that order, so a block of resamples
    costs one product per cell (a slice, no copy); all scenes and every segment are then sums of cells.
    """
    names = list(groupings)
    if not stats.n:
        empty = dict.fromkeys(METRICS)
        return {None: empty, **{name: {v: empty for v in np.unique(groupings[name]).tolist()} for name in names}}
    codes = [np.unique(groupings[name], return_inverse=True) for name in names]
    order = np.lexsort([inverse for _, inverse in reversed(codes)]) if names else np.arange(stats.n)
    cell_keys = np.column_stack([inverse[order] for _, inverse in codes]) if names else np.zeros((stats.n, 0), int)
    starts = np.flatnonzero(np.r_[True, (cell_keys[1:] != cell_keys[:-1]).any(axis=1)]) if names else np.array([0])
    bounds = list(zip(starts.tolist(), [*starts[1:].tolist(), stats.n], strict=True))
    columns = stats.columns[order]
    cells: list[list[np.ndarray]] = [[] for _ in bounds]
    rng = np.random.default_rng(seed)
    block = max(1, _BLOCK // stats.n)
    with _single_blas():
        for first in range(0, resamples, block):
            weights = resample_weights(rng, stats.n, min(block, resamples - first))
            for k, (lo, hi) in enumerate(bounds):
                cells[k].append(weights[:, lo:hi] @ columns[lo:hi])
    sums = np.stack([np.concatenate(parts) for parts in cells])  # cells × resamples × columns
    out: dict = {None: _intervals(sums.sum(axis=0))}
    for g, name in enumerate(names):
        labels, _ = codes[g]
        cell_label = cell_keys[starts, g]
        out[name] = {label: _intervals(sums[cell_label == j].sum(axis=0)) for j, label in enumerate(labels.tolist())}
    return out


def paired_difference(
    a: SceneStats, b: SceneStats, *, resamples: int = RESAMPLES, seed: int = 0
) -> dict[str, dict[str, float]] | None:
    """Run a minus run b on their shared scenes: per metric the difference and its paired 95% bootstrap interval.

    Both runs are resampled with the same scenes each time, so what the two have in common (hard scenes) cancels.
    None when they share no scene.
    """
    shared = np.intersect1d(a.scene_id, b.scene_id)
    if not len(shared):
        return None
    a, b = a.take(np.searchsorted(a.scene_id, shared)), b.take(np.searchsorted(b.scene_id, shared))
    diff = {name: point(a)[name] - point(b)[name] for name in METRICS}
    sums_a, sums_b = bootstrap_sums([a, b], resamples=resamples, seed=seed)
    va, vb = _from_sums(sums_a), _from_sums(sums_b)
    return {
        name: {"difference": diff[name], "ci": interval(va[name] - vb[name]) or [], "scenes": int(len(shared))}
        for name in METRICS
    }
