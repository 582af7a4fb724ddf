"""Bulk writers, one per table, for loads of many rows on one connection (ingest, import, score, scene building).

Rows are tuples in the order of that table's COLUMNS entry, JSON columns already as JSON text (`dumps`), so no
per-row SQLAlchemy work is done; storage.dialect.copy_rows sends them the backend's fastest way. A load that assigns
ids itself takes them from an IdBlock, which keeps other writers out of those tables and leaves PostgreSQL's
sequences past the ids used.
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.engine import Connection

from storage import dialect
from storage.models import utcnow

# Column order of each bulk writer's rows.
COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(names.split())
    for table, names in {
        "user": "id dataset_id external_id features",
        "item": "id dataset_id external_id title release_ts features",
        "interaction": "id dataset_id user_id item_id timestamp features impressions",
        "scene": "id dataset_id user_id item_id interaction_id timestamp split profile history history_item_ids "
        "exposure_item_ids options option_sources item_pos choice_cnt seed source prompt_style system_prompt "
        "created_at",
        "rationale": "id scene_id role sample_index model text stimulus stimulus_factors knowledge knowledge_factors "
        "evaluation style behavior problems endpoint version source created_at updated_at",
        "prediction": "id rationale_id scene_id role rationale_version probs estimated behavior_index endpoint model "
        "created_at",
    }.items()
}

_encode = json.JSONEncoder(ensure_ascii=False).encode
_LIST_MEMO: dict[tuple, str] = {}


def dumps(value) -> str:
    """JSON text for a JSON column (what SQLAlchemy's JSON type would store)."""
    return _encode(value)


def dumps_list(values: list) -> str:
    """JSON text of a short list of strings that repeats a lot (factor and problem lists), memoised."""
    if not values:
        return "[]"
    key = tuple(values)
    found = _LIST_MEMO.get(key)
    if found is None:
        if len(_LIST_MEMO) > 100_000:
            _LIST_MEMO.clear()
        found = _LIST_MEMO[key] = _encode(values)
    return found


def stamp(conn: Connection) -> datetime | str:
    """Now, as a DateTime value for these writers (one time for every row of a load)."""
    return dialect.timestamp(conn, utcnow())


def write_rows(*, conn: Connection, table: str, rows: Iterable[tuple], columns: tuple[str, ...] | None = None) -> None:
    """Append rows to table in conn's transaction; columns default to COLUMNS[table]."""
    dialect.copy_rows(conn, table=table, columns=columns or COLUMNS[table], rows=rows)


def write_users(*, conn: Connection, rows: Iterable[tuple]) -> None:
    """(id, dataset_id, external_id, features_json) rows."""
    write_rows(conn=conn, table="user", rows=rows)


def write_items(*, conn: Connection, rows: Iterable[tuple]) -> None:
    """(id, dataset_id, external_id, title, release_ts, features_json) rows."""
    write_rows(conn=conn, table="item", rows=rows)


def write_interactions(*, conn: Connection, rows: Iterable[tuple]) -> None:
    """(id, dataset_id, user_id, item_id, timestamp, features_json, impressions_json) rows."""
    write_rows(conn=conn, table="interaction", rows=rows)


# An imported scene also keeps its file's own dataset name and timestamp (exports give them back).
IMPORTED_SCENE_COLUMNS = (*COLUMNS["scene"], "source_dataset", "source_timestamp")


def write_scenes(*, conn: Connection, rows: Iterable[tuple], columns: tuple[str, ...] | None = None) -> None:
    """Scene rows in COLUMNS["scene"] order, or `columns` (list columns as JSON text)."""
    write_rows(conn=conn, table="scene", rows=rows, columns=columns)


def write_rationales(*, conn: Connection, rows: Iterable[tuple]) -> None:
    """Rationale rows in COLUMNS["rationale"] order (factor and problem lists as JSON text)."""
    write_rows(conn=conn, table="rationale", rows=rows)


def write_predictions(*, conn: Connection, rows: Iterable[tuple]) -> None:
    """Prediction rows in COLUMNS["prediction"] order (probs as float64 bytes)."""
    write_rows(conn=conn, table="prediction", rows=rows)


class IdBlock:
    """Next free id per table for a load that assigns ids itself (see id_block)."""

    def __init__(self, conn: Connection, tables: tuple[str, ...]) -> None:
        dialect.lock_for_ids(conn, tables)
        self._next = {
            t: int(conn.exec_driver_sql(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{t}"').scalar_one()) for t in tables
        }

    def take(self, table: str, n: int) -> int:
        """Reserve n consecutive ids of a table; returns the first."""
        first = self._next[table]
        self._next[table] = first + n
        return first


@contextmanager
def id_block(*, conn: Connection, tables: tuple[str, ...], large: bool = False) -> Iterator[IdBlock]:
    """Ids for rows this transaction writes with ids of its own: the tables are kept from other writers until it
    ends (SQLite: its write lock, so call after a first write; PostgreSQL: a table lock that readers pass), and on
    success each table's sequence is moved past the ids used.

    large: a bulk load (ingest, import) whose foreign keys PostgreSQL checks once at the end, set-based, instead of per
    row; that closes the tables to readers too until the commit, so ordinary writes (scenes, built while the app and
    workers read) leave it off."""
    block = IdBlock(conn, tables)
    if not large:
        yield block
    else:
        with dialect.foreign_keys_checked_at_end(conn, tables):
            yield block
    dialect.sync_sequences(conn, tables)
