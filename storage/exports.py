"""Export queries: the joined rows each export format needs, external item ids, and the ExportRecord log."""

import pandas as pd
from sqlalchemy import text
from sqlmodel import Session, col, select

from storage.constants import COMPUTED_PAIR, HUMAN_PAIR, TRAIN
from storage.models import ExportRecord, Item
from storage.review_counts import status_sql

_CHUNK = 900  # bound parameters per IN (...) lookup
_SCENE_COLUMNS = (  # an imported scene's dataset and time as its file gave them (scene.source_*)
    "s.id AS scene_id, COALESCE(s.source_dataset, d.name) AS dataset, s.split, u.external_id AS user_id, "
    "it.external_id AS item_id, COALESCE(s.source_timestamp, s.timestamp) AS timestamp, s.item_pos, s.choice_cnt, "
    "s.profile, s.history, s.options, s.exposure_item_ids, s.prompt_style, s.system_prompt, "
    f"{status_sql('rv')} AS status"
)
_SCENE_JOINS = (
    'JOIN dataset d ON d.id = s.dataset_id JOIN "user" u ON u.id = s.user_id JOIN item it ON it.id = s.item_id '
    "LEFT JOIN review rv ON rv.scene_id = s.id"
)

_PAIR_SOURCE = f"CASE WHEN po.scene_id IS NULL THEN '{COMPUTED_PAIR}' ELSE '{HUMAN_PAIR}' END"


def _frame(session: Session, sql: str, params: dict) -> pd.DataFrame:
    result = session.connection().execute(text(sql), params)
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def selection_rows(
    *, session: Session, selection_id: int, status: str | None = None, limit: int | None = None
) -> pd.DataFrame:
    """Scene fields + chosen/rejected latest texts + the rejected rationale's sampled option, in rank order.

    The pair is the scene's human pair (PairOverride) when a reviewer set one, else the computed one; pair_source
    says which ("human" / "computed"). rejected_behavior is None when the rejected rationale has no prediction.

    rejected_version / rejected_predicted_version: the rejected rationale's current version and the version its
    prediction (hence rejected_behavior) was made for; they differ after an edit that was not predicted again.

    status None = every selected scene; JSON columns (history, options, exposure_item_ids) come back as text.
    """
    where = f" AND {status_sql('rv')} = :status" if status else ""
    cap = " LIMIT :limit" if limit is not None else ""
    sql = (
        f"SELECT si.rank, {_SCENE_COLUMNS}, rv.reviewer AS reviewer, rc.id AS chosen_rationale_id, "
        "rc.version AS chosen_version, rr.id AS rejected_rationale_id, rc.text AS chosen_text, "
        "rr.text AS rejected_text, pr.behavior_index AS rejected_behavior, rr.version AS rejected_version, "
        f"pr.rationale_version AS rejected_predicted_version, {_PAIR_SOURCE} AS pair_source "
        "FROM selectionitem si JOIN scene s ON s.id = si.scene_id "
        f"{_SCENE_JOINS} LEFT JOIN pairoverride po ON po.scene_id = s.id "
        "JOIN rationale rc ON rc.id = COALESCE(po.chosen_rationale_id, si.chosen_rationale_id) "
        "JOIN rationale rr ON rr.id = COALESCE(po.rejected_rationale_id, si.rejected_rationale_id) "
        "LEFT JOIN prediction pr ON pr.rationale_id = rr.id "
        f"WHERE si.selection_id = :sid{where} ORDER BY si.rank{cap}"
    )
    return _frame(session, sql, {"sid": selection_id, "status": status, "limit": limit})


def edit_pair_rows(
    *, session: Session, selection_id: int | None, status: str | None, limit: int | None = None
) -> pd.DataFrame:
    """Scene fields + every edited rationale of a train scene (version > 1): its current text (the human edit) and
    its first stored version (the model's original), with the editor; by scene id then rationale id.

    selection_id None = every scene; status None = every review status. Eval scenes never come back."""
    conditions = ["r.version > 1", f"s.split = '{TRAIN}'"]
    if status:
        conditions.append(f"{status_sql('rv')} = :status")
    if selection_id is not None:
        conditions.append("s.id IN (SELECT scene_id FROM selectionitem WHERE selection_id = :sid)")
    cap = " LIMIT :limit" if limit is not None else ""
    sql = (
        f"SELECT {_SCENE_COLUMNS}, rv.reviewer AS reviewer, r.id AS rationale_id, r.version AS edited_version, "
        "r.text AS chosen_text, ed.author AS editor, ov.version AS original_version, ov.text AS rejected_text "
        f"FROM rationale r JOIN scene s ON s.id = r.scene_id {_SCENE_JOINS} "
        "JOIN rationaleversion ed ON ed.rationale_id = r.id AND ed.version = r.version "
        "JOIN rationaleversion ov ON ov.rationale_id = r.id "
        "AND ov.version = (SELECT MIN(v.version) FROM rationaleversion v WHERE v.rationale_id = r.id) "
        f"WHERE {' AND '.join(conditions)} ORDER BY s.id, r.id{cap}"
    )
    return _frame(session, sql, {"sid": selection_id, "status": status, "limit": limit})


def scene_rows(
    *,
    session: Session,
    dataset_id: int | None = None,
    split: str | None = None,
    scored_only: bool = False,
    limit: int | None = None,
) -> pd.DataFrame:
    """Scene fields of every scene (optionally one dataset / split / only scored ones), by scene id."""
    conditions = []
    if dataset_id is not None:
        conditions.append("s.dataset_id = :ds")
    if split is not None:
        conditions.append("s.split = :split")
    if scored_only:
        conditions.append("s.id IN (SELECT scene_id FROM score)")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    cap = " LIMIT :limit" if limit is not None else ""
    sql = f"SELECT {_SCENE_COLUMNS} FROM scene s {_SCENE_JOINS}{where} ORDER BY s.id{cap}"
    return _frame(session, sql, {"ds": dataset_id, "split": split, "limit": limit})


def eval_result_rows(*, session: Session, eval_run_id: int, limit: int | None = None) -> pd.DataFrame:
    """An evaluation run's rows for export: scene_id, dataset, user_id, item_id (external ids), timestamp, choice_cnt,
    item_pos, repeat, probs (float64 blob), behavior, status (the scene's review status); by scene, then repeat."""
    cap = " LIMIT :limit" if limit is not None else ""
    sql = (
        "SELECT s.id AS scene_id, COALESCE(s.source_dataset, d.name) AS dataset, u.external_id AS user_id, "
        "it.external_id AS item_id, COALESCE(s.source_timestamp, s.timestamp) AS timestamp, s.choice_cnt, "
        f"s.item_pos, er.repeat, er.probs, er.behavior, {status_sql('rv')} AS status "
        f"FROM evalrow er JOIN scene s ON s.id = er.scene_id {_SCENE_JOINS} "
        f"WHERE er.eval_run_id = :run ORDER BY s.id, er.repeat{cap}"
    )
    return _frame(session, sql, {"run": eval_run_id, "limit": limit})


def item_external_ids(*, session: Session, item_ids: list[int]) -> dict[int, str]:
    """Internal item id -> external id for the given ids (unknown ids are left out)."""
    unique = sorted(set(item_ids))
    found: dict[int, str] = {}
    for start in range(0, len(unique), _CHUNK):
        stmt = select(Item.id, Item.external_id).where(col(Item.id).in_(unique[start : start + _CHUNK]))
        found.update(session.exec(stmt).all())
    return found


def record_export(
    *,
    session: Session,
    selection_name: str | None,
    fmt: str,
    path: str,
    rows: int,
    sha256: str,
    manifest: dict,
    reviewer: str | None = None,
) -> ExportRecord:
    """Log a written export file and who wrote it (commits)."""
    record = ExportRecord(
        selection_name=selection_name,
        format=fmt,
        path=path,
        rows=rows,
        sha256=sha256,
        manifest=manifest,
        reviewer=reviewer,
    )
    session.add(record)
    session.commit()
    session.refresh(record)
    return record


def list_exports(*, session: Session, limit: int = 50) -> list[ExportRecord]:
    """Most recent exports first."""
    return list(session.exec(select(ExportRecord).order_by(col(ExportRecord.id).desc()).limit(limit)))
