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


@dataclass
class _Groups:
    """Predictions grouped by (scene, role): one stable sort by scene * 2 + role, strong (2s) right before weak."""

    order: np.ndarray  # row indices sorted by group
    keys: np.ndarray  # scene * 2 + role of each group, ascending
    counts: np.ndarray  # float64 rows per group
    of_row: np.ndarray  # group index of each row

    @classmethod
    def of(cls, scene_id: np.ndarray, is_weak: np.ndarray) -> "_Groups":
        keys = scene_id.astype(np.int64) * 2 + is_weak
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        counts = np.diff(np.r_[starts, len(keys)])
        of_row = np.empty(len(keys), dtype=np.int64)
        of_row[order] = np.repeat(np.arange(len(starts)), counts)
        return cls(order=order, keys=sorted_keys[starts], counts=counts.astype(np.float64), of_row=of_row)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Per-group mean of one value per row (a bincount)."""
        return np.bincount(self.of_row, weights=values, minlength=len(self.keys)) / self.counts


def _role_scores(
    groups: _Groups,
    *,
    entropy: np.ndarray,
    probs: np.ndarray,
    lengths: np.ndarray,
    correct: np.ndarray,
    item_pos: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group: expected entropy E, total uncertainty T (entropy of the mean distribution), hit rate, log-loss.

    Only the [groups, width] matrix of summed distributions is dense."""
    n_groups = len(groups.keys)
    starts = np.cumsum(lengths) - lengths
    width = int(lengths.max())
    column = np.arange(len(probs)) - np.repeat(starts, lengths)
    summed = np.bincount(np.repeat(groups.of_row, lengths) * width + column, weights=probs, minlength=n_groups * width)
    total = entropy_bits(summed.reshape(n_groups, width) / groups.counts[:, None])
    logloss = groups.mean(-np.log2(np.maximum(probs[starts + item_pos], LOG_FLOOR)))
    return groups.mean(entropy), total, groups.mean(correct.astype(np.float64)), logloss


def _paired(groups: _Groups) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the strong groups whose scene also has a weak group, and of those weak groups."""
    weak = groups.keys % 2 == 1
    paired = np.zeros(len(groups.keys), dtype=bool)
    paired[:-1] = ~weak[:-1] & (groups.keys[1:] == groups.keys[:-1] + 1)
    strong = np.flatnonzero(paired)
    return strong, strong + 1


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

    probs is the concatenation of every distribution (lengths[i] values for prediction i); means are bincounts over
    (scene, role) groups. Returns the per-scene frame (scene_id, n_strong, n_weak, {role}_E/T/D/hit/logloss, diff_*,
    and with rationale_id also chosen_rationale_id / rejected_rationale_id, NO_PICK = none) sorted by scene_id, and
    counts of scenes left out: {"only_strong": n, "only_weak": n}.
    """
    if len(scene_id) == 0:
        return pd.DataFrame(columns=["scene_id"]), {"only_strong": 0, "only_weak": 0}
    groups = _Groups.of(scene_id, is_weak)
    entropy = segment_entropy(probs, lengths)
    correct = behavior_index == item_pos
    expected, total, hit, logloss = _role_scores(
        groups, entropy=entropy, probs=probs, lengths=lengths, correct=correct, item_pos=item_pos
    )
    s, w = _paired(groups)
    frame = pd.DataFrame({"scene_id": groups.keys[s] // 2, "n_strong": groups.counts[s].astype(np.int64)})
    frame["n_weak"] = groups.counts[w].astype(np.int64)
    for role, at in (("strong", s), ("weak", w)):
        frame[f"{role}_E"], frame[f"{role}_T"] = expected[at], total[at]
        frame[f"{role}_D"] = total[at] - expected[at]
        frame[f"{role}_hit"], frame[f"{role}_logloss"] = hit[at], logloss[at]
    frame["diff_model"] = frame["weak_E"] - frame["strong_E"]
    frame["diff_total"] = frame["weak_T"] - frame["strong_T"]
    frame["diff_data"] = frame["diff_total"] - frame["diff_model"]
    frame["diff_hit"] = frame["weak_hit"] - frame["strong_hit"]
    if rationale_id is not None:
        frame["chosen_rationale_id"], frame["rejected_rationale_id"] = _scene_pairs(
            groups, s, w, entropy=entropy, correct=correct, is_weak=is_weak, rationale_id=rationale_id
        )
    weak = groups.keys % 2 == 1
    missing = {"only_strong": int((~weak).sum()) - len(s), "only_weak": int(weak.sum()) - len(s)}
    return frame, missing


def _scene_pairs(
    groups: _Groups,
    s: np.ndarray,
    w: np.ndarray,
    *,
    entropy: np.ndarray,
    correct: np.ndarray,
    is_weak: np.ndarray,
    rationale_id: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """behaviour_pairs over the rows of the scored scenes, in (scene, role) order: each scene's strong group, then
    its weak group."""
    in_pair = np.zeros(len(groups.keys), dtype=bool)
    in_pair[s] = in_pair[w] = True
    rows = groups.order[np.repeat(in_pair, groups.counts.astype(np.int64))]
    sizes = (groups.counts[s] + groups.counts[w]).astype(np.int64)
    return behaviour_pairs(
        starts=np.cumsum(sizes) - sizes,
        entropy=entropy[rows],
        correct=correct[rows],
        strong=is_weak[rows] == 0,
        rationale_id=rationale_id[rows].astype(np.int64),
    )


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


def score_frame(arrays: PredictionArrays, scenes: dict[str, np.ndarray]) -> tuple[pd.DataFrame, dict[str, int]]:
    """compute_scores over prediction_arrays rows, the true option looked up in scene_arrays (score and re-score)."""
    item_pos, _ = scene_lookup(arrays, scenes)
    return compute_scores(
        scene_id=arrays.scene_id,
        is_weak=arrays.role,
        probs=arrays.probs,
        lengths=arrays.n_probs,
        behavior_index=arrays.behavior_index,
        item_pos=item_pos,
        rationale_id=arrays.rationale_id,
    )


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
                frame, missing = score_frame(arrays, scenes)
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
