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
from storage.runs import finish_run, start_run, update_run
from storage.scores import PredictionArrays, prediction_arrays, replace_scores, scene_arrays
from storage.status import refresh_counts

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


NO_PICK = -1  # chosen/rejected id of a scene without such a rationale
_NONE = np.iinfo(np.int64).max


def behaviour_pairs(
    *, starts: np.ndarray, entropy: np.ndarray, correct: np.ndarray, strong: np.ndarray, rationale_id: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per scene (rows sorted by scene, scene k = rows starts[k]:starts[k+1]): chosen and rejected rationale ids.

    chosen = the strong rationale that sampled the true option with the lowest entropy, rejected = the rationale of
    either role that sampled a wrong option with the lowest entropy; equal entropies go to the lower rationale id,
    NO_PICK when there is none. Two grouped min-reductions per pick (reduceat), no sort and no loop per scene.
    """
    sizes = np.diff(np.r_[starts, len(entropy)])
    picks = []
    for mask in (correct & strong, ~correct):
        masked = np.where(mask, entropy, np.inf)
        lowest = np.repeat(np.minimum.reduceat(masked, starts), sizes)
        pick = np.minimum.reduceat(np.where(mask & (masked == lowest), rationale_id, _NONE), starts)
        picks.append(np.where(pick == _NONE, NO_PICK, pick))
    return picks[0], picks[1]


def compute_scores(
    *,
    scene_id: np.ndarray,
    is_weak: np.ndarray,
    probs: np.ndarray,
    lengths: np.ndarray,
    behavior_index: np.ndarray,
    item_pos: np.ndarray,
    rationale_id: np.ndarray | None = None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Scores of every scene with predictions of both roles, from per-prediction arrays in any order.

    probs is the concatenation of every distribution (lengths[i] values for prediction i). One stable sort by
    (scene, role) defines the groups; means are bincounts, so only the [groups, width] matrix of summed
    distributions is dense. Returns the per-scene frame (scene_id, n_strong, n_weak, {role}_E/T/D/hit/logloss,
    diff_*, and with rationale_id also chosen_rationale_id / rejected_rationale_id, NO_PICK = none) sorted by
    scene_id, and counts of scenes left out: {"only_strong": n, "only_weak": n}.
    """
    if len(scene_id) == 0:
        return pd.DataFrame(columns=["scene_id"]), {"only_strong": 0, "only_weak": 0}
    keys = scene_id.astype(np.int64) * 2 + is_weak
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    group_starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    groups = sorted_keys[group_starts]
    n_groups = len(groups)
    counts = np.diff(np.r_[group_starts, len(keys)])
    group = np.empty(len(keys), dtype=np.int64)
    group[order] = np.repeat(np.arange(n_groups), counts)
    counts = counts.astype(np.float64)
    starts = np.cumsum(lengths) - lengths

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=values, minlength=n_groups) / counts

    entropy = segment_entropy(probs, lengths)
    expected = mean(entropy)
    width = int(lengths.max())
    column = np.arange(len(probs)) - np.repeat(starts, lengths)
    summed = np.bincount(np.repeat(group, lengths) * width + column, weights=probs, minlength=n_groups * width)
    total = entropy_bits(summed.reshape(n_groups, width) / counts[:, None])
    correct = behavior_index == item_pos
    hit = mean(correct.astype(np.float64))
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
    if rationale_id is not None:
        # rows of scored scenes in (scene, role) order: each scene's strong group, then its weak group
        in_pair = np.zeros(n_groups, dtype=bool)
        in_pair[s] = in_pair[w] = True
        rows = order[np.repeat(in_pair, counts.astype(np.int64))]
        sizes = (counts[s] + counts[w]).astype(np.int64)
        chosen, rejected = behaviour_pairs(
            starts=np.cumsum(sizes) - sizes,
            entropy=entropy[rows],
            correct=correct[rows],
            strong=is_weak[rows] == 0,
            rationale_id=rationale_id[rows].astype(np.int64),
        )
        frame["chosen_rationale_id"], frame["rejected_rationale_id"] = chosen, rejected
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
    """Recompute every scene's scores and behaviour pair from all predictions; replace the Score table atomically.

    The Run row counts three steps (read, compute, write); each is stored as it finishes, the last after the commit.
    """
    progress = progress or SILENT
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        run = start_run(session=session, kind="score", total=3)
        try:
            with progress.bar(total=3, label="score") as bar:

                def step(done: int) -> None:
                    bar.update()
                    update_run(session=session, run_id=run.id, done=done)

                arrays = prediction_arrays(session=session)
                scenes = scene_arrays(session=session)
                step(1)
                item_pos, _ = scene_lookup(arrays, scenes)
                frame, missing = compute_scores(
                    scene_id=arrays.scene_id,
                    is_weak=arrays.role,
                    probs=arrays.probs,
                    lengths=arrays.n_probs,
                    behavior_index=arrays.behavior_index,
                    item_pos=item_pos,
                    rationale_id=arrays.rationale_id,
                )
                step(2)
                scored = replace_scores(session=session, frame=frame, computed_at=utcnow())
                session.commit()
                step(3)
        except BaseException as exc:
            session.rollback()
            finish_run(session=session, run_id=run.id, status="failed", message=str(exc)[:500])
            raise
        report = ScoreReport(
            scored=scored,
            predictions=len(arrays.scene_id),
            only_strong=missing["only_strong"],
            only_weak=missing["only_weak"],
            unpredicted=len(scenes["id"]) - scored - missing["only_strong"] - missing["only_weak"],
            seconds=time.perf_counter() - started,
        )
        finish_run(session=session, run_id=run.id, message=report.message)
        refresh_counts(conn=session.connection())
        session.commit()
    return report
