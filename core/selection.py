"""Selection (DESIGN.md §6): behaviour sampling into chosen/rejected pairs, thresholds, ranking, stratified quotas.

Only train scenes are training data (DESIGN.md §11): scored eval scenes are left out before anything else and
counted in `eval_excluded`. Every scored train scene is considered and gets at most one drop reason, checked in this
order:
"no correct rationale" (no rationale of either role sampled the true option), "no chosen" (correct rationales exist
only among weak ones), "no rejected" (no rationale of either role sampled a wrong option), "below min COL" /
"above max COL" (thresholds in the order given, mins first), "over quota" (stratification cut).

Pairs (computed and stored on the Score row by `score`, core/scoring.py): chosen = the strong rationale with the
lowest predictive entropy among those whose sampled behaviour is the true option; rejected = the rationale of either
role with the lowest entropy among those whose sampled behaviour is wrong; equal entropies go to the lower rationale
id. Selection itself reads only the Score table (one row per scene).

Stratification: eligible scenes are ranked by the column (direction as configured; ties by scene id). When more
than `target` remain, each (dataset, exposure length) group of size n_g gets ceil(n_g * target / N) places filled
from its top. These quotas add up to at most target + groups - 1; the overflow is cut level by level from the
bottom: places are ordered by their position inside their group, then by the ranking column, then scene id, and
the first `target` are kept — so only the deepest places (the largest groups' last ones) are cut, worst first.
"""

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import BadInput
from core.limits import TARGET
from core.text_checks import check_name
from storage.constants import DEFAULT_RANK, SCORE_COLUMNS, TRAIN
from storage.scores import PAIR_COLUMNS, scores_frame
from storage.selections import write_selection

FIXED_REASONS = ("no correct rationale", "no chosen", "no rejected")
GROUP = ["dataset", "choice_cnt"]


@dataclass
class SelectionConfig:
    """Everything that determines a selection; stored with it."""

    name: str = "default"
    column: str = DEFAULT_RANK
    ascending: bool = False
    target: int = 10_000
    # The thresholds: storage/ranges.py's model, stored as its closed sides (ranges.to_limits).
    mins: dict[str, float] = field(default_factory=dict)
    maxs: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready copy (stored on the Selection row)."""
        return asdict(self)


@dataclass
class SelectionResult:
    """kept: one row per kept scene in rank order (rank 1 = best); drops: reason -> scenes dropped; reasons: per
    considered scene (the train frame's index), its drop reason or "" when kept."""

    config: SelectionConfig
    kept: pd.DataFrame
    drops: dict[str, int]
    kept_by_group: dict[tuple[str, int], int]
    considered: int
    notes: list[str]
    selection_id: int | None = None
    eval_excluded: int = 0  # scored eval scenes, never part of a selection
    reasons: pd.Series | None = None

    def report(self) -> dict:
        """JSON-ready summary stored on the Selection row."""
        return {
            "considered": self.considered,
            "eval_excluded": self.eval_excluded,
            "kept": len(self.kept),
            "drops": self.drops,
            "kept_by_group": [{"dataset": d, "choice_cnt": c, "kept": n} for (d, c), n in self.kept_by_group.items()],
            "notes": self.notes,
        }


def validate(config: SelectionConfig) -> None:
    """BadInput naming the first wrong setting."""
    valid = ", ".join(SCORE_COLUMNS)
    for where, columns in (("ranking column", [config.column]), ("min", config.mins), ("max", config.maxs)):
        for column in columns:
            if column not in SCORE_COLUMNS:
                raise BadInput(f"unknown score column {column!r} in {where}; valid columns: {valid}")
    for column, low in config.mins.items():
        if not math.isfinite(float(low)):
            raise BadInput(f"min {column}={low} is not a finite number")
        if column in config.maxs and float(low) > float(config.maxs[column]):
            raise BadInput(f"min {column}={low} is greater than max {column}={config.maxs[column]}")
    for column, high in config.maxs.items():
        if not math.isfinite(float(high)):
            raise BadInput(f"max {column}={high} is not a finite number")
    TARGET.check(config.target, label="target")
    if not str(config.name).strip():
        raise BadInput("selection name must not be empty")
    check_name(str(config.name), "selection name")


def candidates(*, engine: Engine) -> pd.DataFrame:
    """Scored scenes with their scores and behaviour pair (stored by `score`): the Score table only (one row per
    scene), never the predictions. A caller that previews often (the Filter page) caches it per
    storage.scores.data_version and hands it to preview_selection."""
    with Session(engine) as session:
        frame = scores_frame(session=session)
    for column in PAIR_COLUMNS:
        frame[column] = frame[column].astype(np.int64)
    return frame


def kept_positions(eligible: pd.DataFrame, *, column: str, ascending: bool, target: int) -> np.ndarray:
    """Row positions of the kept scenes in rank order, computed on the key arrays only (numpy sorts of a few columns
    instead of reordering the whole frame): rank by (column, scene id), NaN last either way as pandas does."""
    values = eligible[column].to_numpy(dtype=float)
    ids = eligible["scene_id"].to_numpy()
    order = np.lexsort((ids, values if ascending else -values))  # the last key is the primary one
    total = len(order)
    if total <= target:
        return order
    groups = eligible.groupby(GROUP, sort=False).ngroup().to_numpy()[order]  # group per rank position
    by_group = np.argsort(groups, kind="stable")
    sorted_groups = groups[by_group]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, total]))
    position = np.empty(total, dtype=np.int64)
    position[by_group] = np.arange(total) - first  # place inside its group, 0 = the group's best
    size = np.bincount(groups)[groups]
    quota = (size * target + total - 1) // total  # exact integer ceil(size / total * target)
    placed = np.flatnonzero(position < quota)
    # Places by depth, then rank (rank order = column, then scene id); the first `target` are kept.
    kept = placed[np.lexsort((placed, position[placed]))][:target]
    return order[np.sort(kept)]


def train_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The candidates a selection may keep: train scenes (eval scenes are never training data)."""
    return frame[frame["split"] == TRAIN]


def preview_selection(*, engine: Engine, config: SelectionConfig, frame: pd.DataFrame | None = None) -> SelectionResult:
    """What a selection with this config would keep and drop; writes nothing. frame = candidates() when the caller
    holds them already (read from the database otherwise)."""
    validate(config)
    scored = candidates(engine=engine) if frame is None else frame
    frame = train_only(scored)
    labels = [""]  # drop reasons by code; 0 = kept
    code = np.zeros(len(frame), dtype=np.int16)

    def drop(mask: pd.Series, why: str) -> None:
        labels.append(why)
        code[(code == 0) & mask.to_numpy()] = len(labels) - 1

    drop((frame["strong_hit"] == 0) & (frame["weak_hit"] == 0), "no correct rationale")
    drop(frame["chosen_rationale_id"] < 0, "no chosen")
    drop(frame["rejected_rationale_id"] < 0, "no rejected")
    for column, low in config.mins.items():
        drop(frame[column] < float(low), f"below min {column}")
    for column, high in config.maxs.items():
        drop(frame[column] > float(high), f"above max {column}")
    eligible_at = np.flatnonzero(code == 0)
    eligible = frame.iloc[eligible_at]
    kept_at = kept_positions(eligible, column=config.column, ascending=config.ascending, target=int(config.target))
    labels.append("over quota")
    over = np.ones(len(eligible_at), dtype=bool)
    over[kept_at] = False
    code[eligible_at[over]] = len(labels) - 1
    kept = eligible.iloc[kept_at].reset_index(drop=True)
    kept.insert(0, "rank", np.arange(1, len(kept) + 1))
    kept["rank_value"] = kept[config.column].astype(float)
    reason = pd.Series(np.array(labels, dtype=object)[code], index=frame.index)

    counts = dict(zip(labels, np.bincount(code, minlength=len(labels)).tolist(), strict=True))
    reasons = [*FIXED_REASONS, *(f"below min {c}" for c in config.mins), *(f"above max {c}" for c in config.maxs)]
    drops = {why: int(counts.get(why, 0)) for why in reasons}
    drops["over quota"] = len(eligible) - len(kept)
    groups = kept.groupby(GROUP).size() if len(kept) else pd.Series(dtype=np.int64)
    kept_by_group = {(str(d), int(c)): int(n) for (d, c), n in groups.items()}
    notes = []
    if drops["no chosen"]:
        notes.append(f"{drops['no chosen']} scenes had correct rationales only among weak ones (no chosen)")
    excluded = len(scored) - len(frame)
    if excluded:
        notes.append(f"{excluded} scored eval scenes left out: training data comes from train scenes only")
    return SelectionResult(
        config, kept, drops, kept_by_group, len(frame), notes, eval_excluded=excluded, reasons=reason
    )


def save_selection(*, engine: Engine, config: SelectionConfig, replace: bool = False) -> SelectionResult:
    """Compute and store the selection under config.name (one transaction); an existing name needs replace=True."""
    result = preview_selection(engine=engine, config=config)
    if result.considered == 0:
        if result.eval_excluded:
            raise BadInput(
                f"no scored train scenes to select from ({result.eval_excluded} scored eval scenes are never "
                "training data); generate rationales and predictions for train scenes, then `python -m core score`"
            )
        raise BadInput("no scored scenes to select from; run `python -m core score` first")
    with Session(engine, expire_on_commit=False) as session:
        saved = write_selection(
            session=session,
            name=config.name,
            config=config.to_dict(),
            report=result.report(),
            items=result.kept,
            replace=replace,
        )
        if saved is None:
            raise BadInput(f"selection {config.name!r} already exists; use --replace (replace=True) to overwrite it")
        session.commit()
        result.selection_id = saved.id
    return result
