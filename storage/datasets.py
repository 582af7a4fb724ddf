"""Datasets: lookup, listing, bulk writes of users/items/interactions and whole-dataset delete (for --replace)."""

from collections.abc import Iterable

from sqlalchemy import Connection, insert, text
from sqlmodel import Session, select

from storage.models import Dataset, utcnow

# Children first, so foreign keys hold at every statement. :d is the dataset id. (count key or None, statement)
_SCENES = "SELECT id FROM scene WHERE dataset_id = :d"
_RATIONALES = f"SELECT id FROM rationale WHERE scene_id IN ({_SCENES})"
_DELETE_DATASET = [
    ("selection_items", f"DELETE FROM selectionitem WHERE scene_id IN ({_SCENES})"),
    ("predictions", f"DELETE FROM prediction WHERE scene_id IN ({_SCENES})"),
    ("rationale_versions", f"DELETE FROM rationaleversion WHERE rationale_id IN ({_RATIONALES})"),
    ("rationales", f"DELETE FROM rationale WHERE scene_id IN ({_SCENES})"),
    ("reviews", f"DELETE FROM review WHERE scene_id IN ({_SCENES})"),
    ("scores", f"DELETE FROM score WHERE scene_id IN ({_SCENES})"),
    (None, f"UPDATE llmcall SET scene_id = NULL WHERE scene_id IN ({_SCENES})"),  # the call log outlives its scenes
    ("scenes", "DELETE FROM scene WHERE dataset_id = :d"),
    (None, "UPDATE run SET dataset_id = NULL WHERE dataset_id = :d"),
    ("interactions", "DELETE FROM interaction WHERE dataset_id = :d"),
    ("users", 'DELETE FROM "user" WHERE dataset_id = :d'),
    ("items", "DELETE FROM item WHERE dataset_id = :d"),
    (None, "DELETE FROM dataset WHERE id = :d"),
]
# Human work among them: rationales a reviewer edited (version > 1) and reviews.
_EDITED = f"SELECT COUNT(*) FROM rationale WHERE scene_id IN ({_SCENES}) AND version > 1"


def get_dataset(*, session: Session, name: str) -> Dataset | None:
    """The dataset with this name, or None."""
    return session.exec(select(Dataset).where(Dataset.name == name)).first()


def list_datasets(*, session: Session) -> list[Dataset]:
    """Every dataset, oldest first."""
    return list(session.exec(select(Dataset).order_by(Dataset.id)))


def dataset_id(*, conn: Connection, name: str) -> int | None:
    """The id of the dataset with this name, or None."""
    return conn.execute(text("SELECT id FROM dataset WHERE name = :n"), {"n": name}).scalar()


def delete_dataset(*, conn: Connection, dataset_id: int) -> dict[str, int]:
    """Delete a dataset and everything built on it (scenes, rationales, scores, reviews) in the caller's transaction.

    Returns the rows deleted per kind (scenes, rationales, edited_rationales, rationale_versions, predictions, reviews,
    selection_items, scores, interactions, users, items)."""
    params = {"d": dataset_id}
    counts = {"edited_rationales": int(conn.execute(text(_EDITED), params).scalar())}
    for key, sql in _DELETE_DATASET:
        deleted = conn.execute(text(sql), params).rowcount
        if key is not None:
            counts[key] = int(deleted)
    return counts


def insert_dataset(
    *, conn: Connection, name: str, fmt: str, source_path: str | None, templates: dict | None, options: dict
) -> int:
    """Insert the dataset row and return its id."""
    values = dict(
        name=name, format=fmt, source_path=source_path, templates=templates, options=options, created_at=utcnow()
    )
    return int(conn.execute(insert(Dataset).values(**values)).inserted_primary_key[0])


def next_ids(*, conn: Connection) -> tuple[int, int, int]:
    """First free ids of user, item and interaction; call after a write so the transaction holds the write lock."""
    row = conn.execute(
        text(
            'SELECT (SELECT COALESCE(MAX(id), 0) FROM "user"), (SELECT COALESCE(MAX(id), 0) FROM item), '
            "(SELECT COALESCE(MAX(id), 0) FROM interaction)"
        )
    ).one()
    return int(row[0]) + 1, int(row[1]) + 1, int(row[2]) + 1


def insert_users(*, conn: Connection, rows: Iterable[tuple]) -> None:
    """Bulk insert (id, dataset_id, external_id, features_json) rows."""
    _executemany(conn, 'INSERT INTO "user" (id, dataset_id, external_id, features) VALUES (?, ?, ?, ?)', rows)


def insert_items(*, conn: Connection, rows: Iterable[tuple]) -> None:
    """Bulk insert (id, dataset_id, external_id, title, release_ts, features_json) rows."""
    sql = "INSERT INTO item (id, dataset_id, external_id, title, release_ts, features) VALUES (?, ?, ?, ?, ?, ?)"
    _executemany(conn, sql, rows)


def insert_interactions(*, conn: Connection, rows: Iterable[tuple]) -> None:
    """Bulk insert (id, dataset_id, user_id, item_id, timestamp, features_json, impressions_json) rows."""
    sql = (
        "INSERT INTO interaction (id, dataset_id, user_id, item_id, timestamp, features, impressions) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    _executemany(conn, sql, rows)


def _executemany(conn: Connection, sql: str, rows: Iterable[tuple]) -> None:
    # The raw DBAPI cursor of the caller's connection: same transaction, no per-row SQLAlchemy overhead.
    if conn.dialect.paramstyle in ("format", "pyformat"):
        sql = sql.replace("?", "%s")
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()
