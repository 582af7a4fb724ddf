"""Queries for rationales and predictions: set-based work lists and bulk, never-overwriting writes."""

from sqlalchemy import bindparam, or_, select, text
from sqlmodel import Session, col

from storage.dialect import insert_on_conflict, timestamp
from storage.models import Prediction, PredictionHistory, Rationale, Scene, utcnow

_CHUNK = 900  # bound parameters per IN (...) lookup, far below SQLite's limit
_HISTORY_FIELDS = ("rationale_id", "scene_id", "role", "rationale_version", "probs", "estimated", "behavior_index")
_HISTORY_FIELDS += ("endpoint", "model", "conditioning", "created_at")
_PROMPT_FIELDS = ("profile", "history", "options", "choice_cnt", "prompt_style", "system_prompt")


def missing_rationale_work(
    *,
    session: Session,
    role: str,
    n: int,
    dataset_id: int | None = None,
    limit: int | None = None,
    split: str | None = None,
) -> list[tuple[int, int]]:
    """(scene_id, sample_index) pairs of the first `limit` scenes (by id; of one split, or any when None) that have
    no rationale of that role yet."""
    if n <= 0:
        return []
    conditions = [c for c, on in (("dataset_id = :ds", dataset_id), ("split = :split", split)) if on is not None]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    cap = "LIMIT :lim" if limit is not None else ""
    sql = f"""
        WITH RECURSIVE idx(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM idx WHERE i + 1 < :n),
        sc AS (SELECT id FROM scene {where} ORDER BY id {cap})
        SELECT sc.id, idx.i FROM sc CROSS JOIN idx
        WHERE NOT EXISTS (
            SELECT 1 FROM rationale r WHERE r.scene_id = sc.id AND r.role = :role AND r.sample_index = idx.i
        )
        ORDER BY sc.id, idx.i
    """
    params = {"n": n, "role": role, "ds": dataset_id, "lim": limit, "split": split}
    return [(int(s), int(i)) for s, i in session.execute(text(sql), params)]


def scene_prompts(*, session: Session, scene_ids: list[int]) -> dict[int, dict]:
    """profile, history, options, choice_cnt, prompt_style and system_prompt of each scene id (absent ids are left
    out)."""
    found: dict[int, dict] = {}
    unique = list(dict.fromkeys(scene_ids))
    columns = (Scene.profile, Scene.history, Scene.options, Scene.choice_cnt, Scene.prompt_style, Scene.system_prompt)
    for start in range(0, len(unique), _CHUNK):
        query = select(Scene.id, *columns).where(Scene.id.in_(unique[start : start + _CHUNK]))
        for sid, *values in session.execute(query):
            found[sid] = dict(zip(_PROMPT_FIELDS, values, strict=True))
    return found


def next_sample_index(*, session: Session, scene_id: int, role: str) -> int:
    """One past the highest sample index of the scene's rationales of that role (0 when it has none)."""
    query = text("SELECT COALESCE(MAX(sample_index) + 1, 0) FROM rationale WHERE scene_id = :s AND role = :r")
    return int(session.execute(query, {"s": scene_id, "r": role}).scalar_one())


def add_new_rationales(*, session: Session, rows: list[dict]) -> list[int]:
    """Insert rationales whose (scene_id, role, sample_index) is free (version 1); returns the new ids.

    No RationaleVersion row: those exist once a rationale is edited (storage.reviews.edit_rationale stores version 1
    then). An existing row (maybe edited by a reviewer) is never touched.
    """
    if not rows:
        return []
    stmt = (
        insert_on_conflict(session.connection(), Rationale)
        .on_conflict_do_nothing(index_elements=["scene_id", "role", "sample_index"])
        .returning(Rationale.id)
    )
    return sorted(rid for (rid,) in session.execute(stmt, rows).all())


def prediction_work(
    *,
    session: Session,
    role: str | None = None,
    dataset_id: int | None = None,
    rationale_ids: list[int] | None = None,
    split: str | None = None,
) -> list[dict]:
    """Rationales without a prediction for their current version, with their scene's prompt fields (and style), by
    id; split None = scenes of any split."""
    query = (
        select(
            Rationale.id,
            Rationale.scene_id,
            Rationale.role,
            Rationale.version,
            Rationale.text,
            Scene.profile,
            Scene.history,
            Scene.options,
            Scene.prompt_style,
            Scene.system_prompt,
        )
        .join(Scene, Scene.id == Rationale.scene_id)
        .outerjoin(Prediction, Prediction.rationale_id == Rationale.id)
        .where(or_(Prediction.id.is_(None), Prediction.rationale_version < Rationale.version))
        .order_by(Rationale.scene_id, Rationale.id)  # a scene's rationales together: its prompt is evaluated once
    )
    if role is not None:
        query = query.where(Rationale.role == role)
    if dataset_id is not None:
        query = query.where(Scene.dataset_id == dataset_id)
    if split is not None:
        query = query.where(Scene.split == split)
    names = ("rationale_id", "scene_id", "role", "version", "text", "profile", "history", "options")
    names += ("prompt_style", "system_prompt")
    if rationale_ids is None:
        return [dict(zip(names, row, strict=True)) for row in session.execute(query)]
    work: list[dict] = []
    for start in range(0, len(rationale_ids), _CHUNK):
        chunk = query.where(Rationale.id.in_(rationale_ids[start : start + _CHUNK]))
        work.extend(dict(zip(names, row, strict=True)) for row in session.execute(chunk))
    return sorted(work, key=lambda row: row["rationale_id"])


def _archive_replaced(session: Session, rows: list[dict]) -> None:
    """Copy the stored predictions these rows replace (made for an older rationale version) to PredictionHistory."""
    newest: dict[int, int] = {}
    for row in rows:
        newest[row["rationale_id"]] = max(newest.get(row["rationale_id"], 0), row["rationale_version"])
    ids, fields = list(newest), ", ".join(_HISTORY_FIELDS)
    copy = text(
        f"INSERT INTO predictionhistory ({fields}, replaced_at) SELECT {fields}, :now FROM prediction "
        "WHERE rationale_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    now = timestamp(session.connection(), utcnow())
    for start in range(0, len(ids), _CHUNK):
        stored = select(Prediction.rationale_id, Prediction.rationale_version)
        found = session.execute(stored.where(col(Prediction.rationale_id).in_(ids[start : start + _CHUNK])))
        replaced = [rid for rid, version in found if version < newest[rid]]
        if replaced:
            session.execute(copy, {"ids": replaced, "now": now})


def prediction_history(*, session: Session, rationale_id: int) -> list[PredictionHistory]:
    """The replaced predictions of a rationale, oldest first."""
    stmt = select(PredictionHistory).where(PredictionHistory.rationale_id == rationale_id)
    return list(session.scalars(stmt.order_by(col(PredictionHistory.id))))


def upsert_predictions(*, session: Session, rows: list[dict]) -> set[int]:
    """Store predictions; one already made for an older rationale version is replaced (and kept in
    PredictionHistory), one for the same or a newer version is kept. Returns the rationale ids whose prediction was
    written."""
    if not rows:
        return set()
    _archive_replaced(session, rows)
    stmt = insert_on_conflict(session.connection(), Prediction)
    updated = {
        name: stmt.excluded[name]
        for name in ("rationale_version", "probs", "estimated", "behavior_index", "endpoint", "model")
        + ("conditioning", "created_at")
    }
    stmt = stmt.on_conflict_do_update(
        index_elements=["rationale_id"],
        set_=updated,
        where=Prediction.rationale_version < stmt.excluded.rationale_version,
    )
    return set(session.execute(stmt.returning(Prediction.rationale_id), rows).scalars())
