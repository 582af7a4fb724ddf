"""Per-scene uncertainty scores (DESIGN.md §5), vectorised over every prediction at once.

For role r with distributions p_d: E_r = mean_d H(p_d), T_r = H(mean_d p_d), D_r = T_r - E_r, hit_r = share of
sampled behaviours equal to the true option, logloss_r = mean_d -log2 max(p_d[true], 1e-10); H in bits, 0 log 0 = 0.
"""

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import xlogy
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import MirrorError
from core.progress import SILENT, Progress
from storage.models import utcnow
from storage.runs import finish_run, start_run
from storage.scores import PredictionArrays, prediction_arrays, replace_scores, scene_arrays

LOG_FLOOR = 1e-10


@dataclass
class ScoreReport:
    """What `score` did: scenes scored, scenes left out because a role is missing, timing."""

    scored: int
    predictions: int
    only_strong: int  # scenes with strong predictions but no weak ones (not scored)
    only_weak: int
    unpredicted: int  # scenes with no prediction at all
    seconds: float

    @property
    def message(self) -> str:
        """One line for the CLI and the run log."""
        return (
            f"scored {self.scored} scenes from {self.predictions} predictions in {self.seconds:.1f} s; "
            f"not scored: {self.only_strong} with strong predictions only, {self.only_weak} with weak only, "
            f"{self.unpredicted} without predictions"
        )


def entropy_bits(probs: np.ndarray) -> np.ndarray:
    """Row-wise Shannon entropy in bits of a [n, k] array, with 0 log 0 = 0."""
    logs = np.zeros_like(probs)
    np.log2(probs, out=logs, where=probs > 0)
    return -(probs * logs).sum(axis=1)


def segment_entropy(flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Entropy in bits of each distribution in a concatenation of distributions of the given (>= 1) lengths."""
    if not len(lengths):
        return np.zeros(0)
    terms = xlogy(flat, flat)  # p ln p with 0 ln 0 = 0, one pass
    return np.add.reduceat(terms, np.cumsum(lengths) - lengths) / -np.log(2.0)


def compute_scores(
    *,
    scene_id: np.ndarray,
    is_weak: np.ndarray,
    probs: np.ndarray,
    lengths: np.ndarray,
    behavior_index: np.ndarray,
    item_pos: np.ndarray,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Scores of every scene with predictions of both roles, from per-prediction arrays in any order.

    probs is the concatenation of every distribution (lengths[i] values for prediction i). Groups (scene, role) are
    summed with bincount, so nothing is sorted or padded per prediction; only the [groups, width] matrix of summed
    distributions is dense. Returns the per-scene frame (scene_id, n_strong, n_weak, {role}_E/T/D/hit/logloss,
    diff_*) sorted by scene_id, and counts of scenes left out: {"only_strong": n, "only_weak": n}.
    """
    if len(scene_id) == 0:
        return pd.DataFrame(columns=["scene_id"]), {"only_strong": 0, "only_weak": 0}
    groups, group, counts = np.unique(scene_id.astype(np.int64) * 2 + is_weak, return_inverse=True, return_counts=True)
    n_groups, counts = len(groups), counts.astype(np.float64)
    starts = np.cumsum(lengths) - lengths

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=values, minlength=n_groups) / counts

    expected = mean(segment_entropy(probs, lengths))
    width = int(lengths.max())
    column = np.arange(len(probs)) - np.repeat(starts, lengths)
    summed = np.bincount(np.repeat(group, lengths) * width + column, weights=probs, minlength=n_groups * width)
    total = entropy_bits(summed.reshape(n_groups, width) / counts[:, None])
    hit = mean((behavior_index == item_pos).astype(np.float64))
    logloss = mean(-np.log2(np.maximum(probs[starts + item_pos], LOG_FLOOR)))

    weak = groups % 2 == 1
    # sorted keys put scene s's strong group (2s) right before its weak group (2s+1)
    paired = np.zeros(n_groups, dtype=bool)
    paired[:-1] = ~weak[:-1] & (groups[1:] == groups[:-1] + 1)
    s = np.flatnonzero(paired)
    w = s + 1
    frame = pd.DataFrame(
        {
            "scene_id": groups[s] // 2,
            "n_strong": counts[s].astype(np.int64),
            "n_weak": counts[w].astype(np.int64),
            "strong_E": expected[s],
            "strong_T": total[s],
            "strong_D": total[s] - expected[s],
            "strong_hit": hit[s],
            "strong_logloss": logloss[s],
            "weak_E": expected[w],
            "weak_T": total[w],
            "weak_D": total[w] - expected[w],
            "weak_hit": hit[w],
            "weak_logloss": logloss[w],
        }
    )
    frame["diff_model"] = frame["weak_E"] - frame["strong_E"]
    frame["diff_total"] = frame["weak_T"] - frame["strong_T"]
    frame["diff_data"] = frame["diff_total"] - frame["diff_model"]
    frame["diff_hit"] = frame["weak_hit"] - frame["strong_hit"]
    n_pairs = len(s)
    missing = {"only_strong": int((~weak).sum()) - n_pairs, "only_weak": int(weak.sum()) - n_pairs}
    return frame, missing


def scene_lookup(arrays: PredictionArrays, scenes: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-prediction (item_pos, choice_cnt) from the scenes; MirrorError when a blob does not fit its scene."""
    at = np.searchsorted(scenes["id"], arrays.scene_id)
    item_pos, choice_cnt = scenes["item_pos"][at], scenes["choice_cnt"][at]
    bad = np.flatnonzero(arrays.n_probs != choice_cnt)
    if len(bad):
        k = bad[0]
        raise MirrorError(
            f"the prediction of rationale {arrays.rationale_id[k]} holds {arrays.n_probs[k]} probabilities but scene "
            f"{arrays.scene_id[k]} has {choice_cnt[k]} options ({len(bad)} such predictions); re-run predict"
        )
    return item_pos, choice_cnt


def score(*, engine: Engine, progress: Progress | None = None) -> ScoreReport:
    """Recompute every scene's scores from all predictions and replace the Score table in one transaction."""
    progress = progress or SILENT
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        run = start_run(session=session, kind="score", total=3)
        try:
            with progress.bar(total=3, label="score") as bar:
                arrays = prediction_arrays(session=session)
                scenes = scene_arrays(session=session)
                bar.update()
                item_pos, _ = scene_lookup(arrays, scenes)
                frame, missing = compute_scores(
                    scene_id=arrays.scene_id,
                    is_weak=arrays.role,
                    probs=arrays.probs,
                    lengths=arrays.n_probs,
                    behavior_index=arrays.behavior_index,
                    item_pos=item_pos,
                )
                bar.update()
                scored = replace_scores(session=session, frame=frame, computed_at=utcnow())
                session.commit()
                bar.update()
        except BaseException as exc:
            session.rollback()
            finish_run(session=session, run_id=run.id, status="failed", message=str(exc)[:500])
            raise
        predicted = len(np.unique(arrays.scene_id))
        report = ScoreReport(
            scored=scored,
            predictions=len(arrays.scene_id),
            only_strong=missing["only_strong"],
            only_weak=missing["only_weak"],
            unpredicted=len(scenes["id"]) - predicted,
            seconds=time.perf_counter() - started,
        )
        finish_run(session=session, run_id=run.id, message=report.message)
    return report
