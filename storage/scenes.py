"""Scene queries: the frames scene construction reads, bulk insert of scenes, lookups and counts."""

import json
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, func, text
from sqlmodel import Session, select

from storage import bulk, dialect
from storage.constants import SPLITS
from storage.models import Scene

_CHUNK = 20_000
_FEW_USERS = 2_000  # more target users than this: read the whole dataset, not IN lists


def _rows(session: Session, sql: str, **params) -> list[tuple]:
    statement = text(sql)
    if "ids" in params:
        statement = statement.bindparams(bindparam("ids", expanding=True))
    return [tuple(row) for row in session.connection().execute(statement, params).fetchall()]


def load_interactions(*, session: Session, dataset_id: int) -> pd.DataFrame:
    """Every interaction of a dataset: id, user_id, item_id, timestamp, has_impressions (no JSON parsed).

    Read through the DBAPI cursor in chunks: a million rows in about a second, without a Row object per row.
    """
    sql = (
        "SELECT id, user_id, item_id, timestamp, CASE WHEN impressions IS NULL THEN 0 "
        "WHEN CAST(impressions AS TEXT) IN ('null', '[]') THEN 0 ELSE 1 END "
        f"FROM interaction WHERE dataset_id = {int(dataset_id)}"
    )
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql)
        chunks = [np.empty((0, 5), dtype=np.int64)]
        while rows := cursor.fetchmany(100_000):
            chunks.append(np.array(rows, dtype=np.int64))
    finally:
        cursor.close()
    arr = np.concatenate(chunks)
    return pd.DataFrame(
        {
            "id": arr[:, 0],
            "user_id": arr[:, 1],
            "item_id": arr[:, 2],
            "timestamp": arr[:, 3],
            "has_impressions": arr[:, 4].astype(bool),
        }
    )


def load_items(*, session: Session, dataset_id: int) -> pd.DataFrame:
    """Every item of a dataset: id, external_id, title, release_ts (NaN when unknown), features (raw JSON text)."""
    rows = _rows(
        session,
        "SELECT id, external_id, title, release_ts, features FROM item WHERE dataset_id = :ds ORDER BY id",
        ds=dataset_id,
    )
    frame = pd.DataFrame(rows, columns=["id", "external_id", "title", "release_ts", "features"])
    frame["id"] = frame["id"].astype(np.int64)
    frame["release_ts"] = pd.to_numeric(frame["release_ts"]).astype(np.float64)
    return frame


def _by_ids(session: Session, table: str, columns: str, ids) -> list[tuple]:
    ids = [int(i) for i in np.unique(np.asarray(ids, dtype=np.int64))]
    rows: list[tuple] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows.extend(_rows(session, f'SELECT id, {columns} FROM "{table}" WHERE id IN :ids', ids=chunk))
    return rows


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def user_features(*, session: Session, user_ids) -> dict[int, dict]:
    """Parsed features of the given users (id -> dict)."""
    return {row[0]: _json(row[1]) or {} for row in _by_ids(session, "user", "features", user_ids)}


def interaction_features(*, session: Session, interaction_ids) -> dict[int, dict]:
    """Parsed features of the given interactions (id -> dict)."""
    return {row[0]: _json(row[1]) or {} for row in _by_ids(session, "interaction", "features", interaction_ids)}


def interaction_impressions(*, session: Session, interaction_ids) -> dict[int, list[int]]:
    """The impression lists (internal item ids, as stored) of the given interactions."""
    return {row[0]: _json(row[1]) or [] for row in _by_ids(session, "interaction", "impressions", interaction_ids)}


def used_interaction_ids(*, session: Session, dataset_id: int) -> np.ndarray:
    """Interaction ids that already are the target of a scene (any split)."""
    rows = _rows(
        session, "SELECT interaction_id FROM scene WHERE dataset_id = :ds AND interaction_id IS NOT NULL", ds=dataset_id
    )
    return np.array([r[0] for r in rows], dtype=np.int64)


def add_scenes(*, session: Session, rows: list[dict]) -> int:
    """Write built scenes (dicts of Scene columns but id, list columns as lists) through the scene bulk writer;
    the caller commits. Returns the number written."""
    if not rows:
        return 0
    conn = session.connection()
    columns = bulk.COLUMNS["scene"]
    with bulk.id_block(conn=conn, tables=("scene",)) as ids:
        first = ids.take("scene", len(rows))
        values = (
            tuple(first + k if c == "id" else _cell(conn, row.get(c)) for c in columns) for k, row in enumerate(rows)
        )
        bulk.write_scenes(conn=conn, rows=values)
    return len(rows)


def _cell(conn, value):
    if isinstance(value, list):
        return bulk.dumps(value)
    return dialect.timestamp(conn, value) if isinstance(value, datetime) else value


def get_scene(*, session: Session, scene_id: int) -> Scene | None:
    """One scene by id, None when absent."""
    return session.get(Scene, scene_id)


def split_counts(*, session: Session, dataset_id: int | None = None) -> dict[str, int]:
    """Scene counts by split ({"train": n, "eval": n}), over one dataset or all."""
    query = select(Scene.split, func.count()).group_by(Scene.split)
    if dataset_id is not None:
        query = query.where(Scene.dataset_id == dataset_id)
    counts = dict.fromkeys(SPLITS, 0)
    counts.update({split: int(n) for split, n in session.exec(query)})
    return counts


def interaction_numbers(*, session: Session, dataset_id: int, user_ids, feature: str) -> tuple[np.ndarray, np.ndarray]:
    """(interaction ids, float values) of one numeric interaction feature over the given users' interactions.

    Missing or non-numeric values are NaN. The JSON is read by SQL and rows go straight into numpy (a million rows
    in about a second); many users are read as the whole dataset rather than a long IN list.
    """
    users = [int(u) for u in np.unique(np.asarray(user_ids, dtype=np.int64))]
    value = dialect.json_number(session.connection(), column="features", key=feature)
    sql = f"SELECT id, {value} FROM interaction WHERE dataset_id = {int(dataset_id)}"
    chunks = [np.empty((0, 2), dtype=np.float64)]
    groups = [users[k : k + _CHUNK] for k in range(0, len(users), _CHUNK)] if len(users) <= _FEW_USERS else [None]
    cursor = session.connection().connection.cursor()
    try:
        for group in groups:
            cursor.execute(sql + (f" AND user_id IN ({','.join(map(str, group))})" if group else ""))
            while rows := cursor.fetchmany(100_000):
                chunks.append(np.array(rows, dtype=np.float64))  # NULL becomes NaN
    finally:
        cursor.close()
    found = np.concatenate(chunks)
    return found[:, 0].astype(np.int64), found[:, 1]


def item_labels(*, session: Session, dataset_id: int, feature: str) -> tuple[np.ndarray, list[str]]:
    """(item ids, labels): one row per value of an item feature (a list gives one row per element)."""
    sql = dialect.json_values(session.connection(), table="item", column="features", key=feature)
    rows = _rows(session, sql, ds=dataset_id)
    frame = pd.DataFrame(rows, columns=["id", "label"])
    frame["label"] = frame["label"].astype(str).str.strip()
    frame = frame[frame["label"] != ""]
    return frame["id"].to_numpy(np.int64), frame["label"].tolist()
