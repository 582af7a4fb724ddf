"""Bulk writes of imported reference artifacts (usermirrorer): raw executemany on one connection, one transaction.

The importer holds the write lock for the whole import (SQLite), so ids are handed out here from MAX(id) + 1
instead of read back row by row; every function takes the open connection of that transaction.
"""

import json

from sqlalchemy import Connection, text

from storage.models import utcnow

# Tables whose ids the importer assigns itself, in insert order.
ID_TABLES = ("user", "item", "scene", "rationale", "prediction", "selection", "selectionitem")

_SCENE_COLS = (
    "id, dataset_id, user_id, item_id, interaction_id, timestamp, split, profile, history, history_item_ids, "
    "exposure_item_ids, options, option_sources, item_pos, choice_cnt, seed, source, prompt_style, system_prompt, "
    "created_at"
)
_RATIONALE_COLS = (
    "id, scene_id, role, sample_index, model, text, stimulus, stimulus_factors, knowledge, knowledge_factors, "
    "evaluation, style, behavior, problems, endpoint, version, source, created_at, updated_at"
)


def now_text() -> str:
    """UTC now in the text form SQLAlchemy stores DateTime columns in on SQLite."""
    return utcnow().replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


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


class IdCounter:
    """Next free id per table, read once after the transaction holds the write lock."""

    def __init__(self, conn: Connection) -> None:
        self._next = {
            table: int(conn.exec_driver_sql(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"').scalar_one())
            for table in ID_TABLES
        }

    def take(self, table: str, n: int) -> int:
        """Reserve n consecutive ids of a table; returns the first."""
        first = self._next[table]
        self._next[table] = first + n
        return first


def insert_dataset(*, conn: Connection, name: str, fmt: str, source_path: str, options: dict) -> int:
    """Insert the dataset row (this takes the write lock); returns its id."""
    result = conn.exec_driver_sql(
        "INSERT INTO dataset (name, format, source_path, templates, options, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (name, fmt, source_path, None, dumps(options), now_text()),
    )
    return int(result.lastrowid)


def set_dataset_options(*, conn: Connection, dataset_id: int, options: dict) -> None:
    """Replace the dataset's options JSON (the import summary is written last)."""
    conn.exec_driver_sql("UPDATE dataset SET options = ? WHERE id = ?", (dumps(options), dataset_id))


def insert_users(*, conn: Connection, rows: list[tuple]) -> None:
    """rows: (id, dataset_id, external_id, features_json)."""
    if rows:
        conn.exec_driver_sql("INSERT INTO user (id, dataset_id, external_id, features) VALUES (?, ?, ?, ?)", rows)


def insert_items(*, conn: Connection, rows: list[tuple]) -> None:
    """rows: (id, dataset_id, external_id, title, features_json)."""
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO item (id, dataset_id, external_id, title, release_ts, features) VALUES (?, ?, ?, ?, NULL, ?)",
            rows,
        )


def insert_scenes(*, conn: Connection, rows: list[tuple]) -> None:
    """rows in the column order of _SCENE_COLS (JSON columns already dumped)."""
    if rows:
        marks = ", ".join("?" * len(_SCENE_COLS.split(", ")))
        conn.exec_driver_sql(f"INSERT INTO scene ({_SCENE_COLS}) VALUES ({marks})", rows)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def insert_rationales(*, conn: Connection, rows: list[tuple], source: str, stamp: str) -> None:
    """Unedited rationales (version 1, no endpoint, no RationaleVersion row: those exist once edited).

    rows: (id, scene_id, role, sample_index, model, text, stimulus, stimulus_factors_json, knowledge,
    knowledge_factors_json, evaluation, style, behavior, problems_json); source and stamp are the same for all."""
    if rows:
        constants = f"NULL, 1, {_literal(source)}, {_literal(stamp)}, {_literal(stamp)}"
        marks = ", ".join("?" * len(rows[0]))
        conn.exec_driver_sql(f"INSERT INTO rationale ({_RATIONALE_COLS}) VALUES ({marks}, {constants})", rows)


def insert_predictions(*, conn: Connection, rows: list[tuple]) -> None:
    """rows: (id, rationale_id, scene_id, role, probs_blob, estimated, behavior_index)."""
    if rows:
        stamp = now_text()
        conn.exec_driver_sql(
            "INSERT INTO prediction (id, rationale_id, scene_id, role, rationale_version, probs, estimated, "
            f"behavior_index, endpoint, model, created_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL, NULL, '{stamp}')",
            rows,
        )


def insert_selection(*, conn: Connection, selection_id: int, name: str, config: dict, report: dict) -> None:
    """A named selection row (its items come from insert_selection_items)."""
    conn.exec_driver_sql(
        "INSERT INTO selection (id, name, config, report, created_at) VALUES (?, ?, ?, ?, ?)",
        (selection_id, name, dumps(config), dumps(report), now_text()),
    )


def insert_selection_items(*, conn: Connection, rows: list[tuple]) -> None:
    """rows: (id, selection_id, scene_id, chosen_rationale_id, rejected_rationale_id, rank)."""
    if rows:
        conn.exec_driver_sql(
            "INSERT INTO selectionitem (id, selection_id, scene_id, chosen_rationale_id, rejected_rationale_id, "
            "rank, rank_value) VALUES (?, ?, ?, ?, ?, ?, NULL)",
            rows,
        )


def selection_exists(*, conn: Connection, name: str) -> bool:
    """Whether a selection of this name exists."""
    return conn.exec_driver_sql("SELECT 1 FROM selection WHERE name = ?", (name,)).first() is not None


def delete_selection(*, conn: Connection, name: str) -> None:
    """Delete a selection and its items by name (the reference pair selection, on --replace)."""
    sel = "SELECT id FROM selection WHERE name = :name"
    conn.execute(text(f"DELETE FROM selectionitem WHERE selection_id IN ({sel})"), {"name": name})
    conn.execute(text("DELETE FROM selection WHERE name = :name"), {"name": name})


def table_counts(*, conn: Connection) -> dict[str, int]:
    """Row count of every table (tests and the bench compare these)."""
    names = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {name: int(conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{name}"').scalar_one()) for name in sorted(names)}
