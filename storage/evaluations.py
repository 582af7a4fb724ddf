"""Evaluation queries: named runs, the scenes they evaluate, their rows and skips (bulk, resumable writes)."""

from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from storage.dialect import insert_on_conflict
from storage.models import Dataset, EvalRow, EvalRun, EvalSkip, Scene, utcnow

_CHUNK = 900  # bound parameters per IN (...) lookup
_SCENE_FIELDS = (
    "scene_id",
    "dataset_id",
    "timestamp",
    "item_pos",
    "choice_cnt",
    "exposure_item_ids",
    "profile",
    "history",
    "options",
    "prompt_style",
    "system_prompt",
)


def get_eval_run(*, session: Session, name: str) -> EvalRun | None:
    """The evaluation run of that name, or None."""
    return session.execute(select(EvalRun).where(EvalRun.name == name)).scalars().first()


def list_eval_runs(*, session: Session) -> list[EvalRun]:
    """Every evaluation run, newest first."""
    return list(session.execute(select(EvalRun).order_by(col(EvalRun.id).desc())).scalars().all())


def create_eval_run(
    *, session: Session, name: str, mode: str, endpoint: str | None, model: str | None, config: dict
) -> EvalRun:
    """Insert a new evaluation run and commit it; the run of that name, which is another process's when two workers
    start the same run at once (the first insert wins, the caller compares its configuration)."""
    values = {"name": name, "mode": mode, "endpoint": endpoint, "model": model, "config": config}
    values["created_at"] = utcnow()
    stmt = insert_on_conflict(session.connection(), EvalRun).values(**values).on_conflict_do_nothing()
    session.execute(stmt)
    session.commit()
    return session.execute(select(EvalRun).where(EvalRun.name == name)).scalar_one()


def update_eval_run(
    *,
    session: Session,
    eval_run_id: int,
    run_id: int | None = None,
    summary: dict | None = None,
    details: dict | None = None,
    finished_at: datetime | None = None,
) -> None:
    """Record the pipeline run working on it, its summary, details and finish time (the given fields only); commits."""
    values = {"run_id": run_id, "summary": summary, "details": details, "finished_at": finished_at}
    values = {key: value for key, value in values.items() if value is not None}
    if values:
        session.execute(update(EvalRun).where(EvalRun.id == eval_run_id).values(**values))
        session.commit()


def eval_scenes(*, session: Session, split: str, dataset_id: int | None = None, limit: int | None = None) -> list[dict]:
    """The scenes an evaluation covers (one split, optionally one dataset, the first `limit` by id), with the fields
    prompts and baselines need."""
    columns = [getattr(Scene, name) for name in _SCENE_FIELDS[1:]]
    query = select(Scene.id, *columns).where(Scene.split == split).order_by(Scene.id)
    if dataset_id is not None:
        query = query.where(Scene.dataset_id == dataset_id)
    if limit is not None:
        query = query.limit(limit)
    return [dict(zip(_SCENE_FIELDS, row, strict=True)) for row in session.execute(query)]


def eval_progress(*, session: Session, eval_run_id: int) -> tuple[set[tuple[int, int]], set[int]]:
    """((scene_id, repeat) pairs already scored, scene ids already skipped) of a run."""
    rows = session.execute(select(EvalRow.scene_id, EvalRow.repeat).where(EvalRow.eval_run_id == eval_run_id))
    skipped = session.execute(select(EvalSkip.scene_id).where(EvalSkip.eval_run_id == eval_run_id))
    return {(int(s), int(r)) for s, r in rows}, {int(s) for (s,) in skipped}


def eval_row_counts(*, session: Session) -> dict[int, int]:
    """Stored rows per evaluation run id."""
    query = select(EvalRow.eval_run_id, func.count()).group_by(EvalRow.eval_run_id)
    return {int(run_id): int(n) for run_id, n in session.execute(query)}


def insert_eval_rows(*, session: Session, rows: list[dict]) -> None:
    """Store scored repeats ({eval_run_id, scene_id, repeat, probs, behavior, estimated, thought}); a repeat already
    stored is kept as it is. The caller commits."""
    if rows:
        stmt = insert_on_conflict(session.connection(), EvalRow)
        session.execute(stmt.on_conflict_do_nothing(index_elements=["eval_run_id", "scene_id", "repeat"]), rows)


def insert_eval_skips(*, session: Session, eval_run_id: int, skips: dict[int, str]) -> None:
    """Record skipped scenes (scene id -> reason) and drop any repeat of them already stored; the caller commits."""
    if not skips:
        return
    rows = [{"eval_run_id": eval_run_id, "scene_id": s, "reason": why} for s, why in skips.items()]
    stmt = insert_on_conflict(session.connection(), EvalSkip)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["eval_run_id", "scene_id"]), rows)
    ids = list(skips)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(delete(EvalRow).where(EvalRow.eval_run_id == eval_run_id, col(EvalRow.scene_id).in_(chunk)))


def eval_row_frame(*, session: Session, eval_run_ids: list[int]) -> pd.DataFrame:
    """Every row of these runs with its scene's facts: eval_run_id, scene_id, repeat, behavior, estimated, probs
    (blob), item_pos, choice_cnt, dataset; ordered by run, scene, repeat."""
    query = (
        select(
            EvalRow.eval_run_id,
            EvalRow.scene_id,
            EvalRow.repeat,
            EvalRow.behavior,
            EvalRow.estimated,
            EvalRow.probs,
            Scene.item_pos,
            Scene.choice_cnt,
            Dataset.name,
        )
        .join(Scene, Scene.id == EvalRow.scene_id)
        .join(Dataset, Dataset.id == Scene.dataset_id)
        .where(col(EvalRow.eval_run_id).in_(eval_run_ids))
        .order_by(EvalRow.eval_run_id, EvalRow.scene_id, EvalRow.repeat)
    )
    names = ["eval_run_id", "scene_id", "repeat", "behavior", "estimated", "probs", "item_pos", "choice_cnt", "dataset"]
    rows = session.execute(query).all()
    if not rows:
        return pd.DataFrame(rows, columns=names)
    # built column by column: pandas inferring each column from a list of Row objects took half the page's first load
    return pd.DataFrame(dict(zip(names, zip(*rows, strict=True), strict=True)), columns=names)


def skipped_frame(*, session: Session, eval_run_id: int) -> pd.DataFrame:
    """The skipped scenes of a run: scene_id, dataset, choice_cnt, reason."""
    query = (
        select(EvalSkip.scene_id, Dataset.name, Scene.choice_cnt, EvalSkip.reason)
        .join(Scene, Scene.id == EvalSkip.scene_id)
        .join(Dataset, Dataset.id == Scene.dataset_id)
        .where(EvalSkip.eval_run_id == eval_run_id)
        .order_by(EvalSkip.scene_id)
    )
    return pd.DataFrame(session.execute(query).all(), columns=["scene_id", "dataset", "choice_cnt", "reason"])


def position_counts(*, session: Session, split: str = "train") -> pd.DataFrame:
    """How often the true item sits at each position: dataset_id, choice_cnt, item_pos, scenes (one split)."""
    query = (
        select(Scene.dataset_id, Scene.choice_cnt, Scene.item_pos, func.count())
        .where(Scene.split == split)
        .group_by(Scene.dataset_id, Scene.choice_cnt, Scene.item_pos)
    )
    return pd.DataFrame(session.execute(query).all(), columns=["dataset_id", "choice_cnt", "item_pos", "scenes"])


def item_times(*, session: Session, dataset_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(item ids, timestamps) of the training interactions of a dataset — every interaction but the targets of its
    eval scenes (held out) — read straight into numpy."""
    held_out = "SELECT 1 FROM scene s WHERE s.interaction_id = i.id AND s.split = 'eval'"
    sql = f"SELECT i.item_id, i.timestamp FROM interaction i WHERE i.dataset_id = {int(dataset_id)} AND NOT EXISTS "
    sql += f"({held_out})"
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute(sql)
        chunks = [np.empty((0, 2), dtype=np.int64)]
        while rows := cursor.fetchmany(100_000):
            chunks.append(np.array(rows, dtype=np.int64))
    finally:
        cursor.close()
    found = np.concatenate(chunks)
    return found[:, 0], found[:, 1]
