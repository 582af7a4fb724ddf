"""Workspace counts for `status`: every number is one GROUP BY query, never a loop over rows.

The three big counts (rationales and predictions per dataset and role, scored scenes per dataset) scan millions of
index entries on a large workspace. A snapshot of them is kept in the `meta` table together with a fingerprint of
each table; `status` reuses it while the fingerprint holds, counts only the rows added since when nothing was
deleted, and recounts everything otherwise. Stage runs and imports refresh the snapshot when they finish, so
`status` itself never writes.
"""

import json

from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.constants import ROLES, SPLITS
from storage.dialect import table_names
from storage.review_counts import selection_review_counts

SNAPSHOT_KEY = "status_counts"

_PER_DATASET = {
    "users": 'SELECT dataset_id, COUNT(*) FROM "user" GROUP BY dataset_id',
    "items": "SELECT dataset_id, COUNT(*) FROM item GROUP BY dataset_id",
    "interactions": "SELECT dataset_id, COUNT(*) FROM interaction GROUP BY dataset_id",
    # An item (e.g. one rationale sample) whose last outcome is an error: no successful call for it afterwards.
    "failed_calls": """
        SELECT s.dataset_id, COUNT(DISTINCT COALESCE(c.item_key, 'call:' || c.id))
        FROM llmcall c JOIN scene s ON s.id = c.scene_id
        WHERE c.status = 'error' AND NOT EXISTS (
            SELECT 1 FROM llmcall ok WHERE ok.item_key = c.item_key AND ok.status = 'ok' AND ok.id > c.id)
        GROUP BY s.dataset_id""",
}
_SCENES = "SELECT dataset_id, split, COUNT(*) FROM scene GROUP BY dataset_id, split"
# Rationales and predictions are counted per (scene, role) first — a scan of the covering (scene_id, role, ...)
# index — and only those per-scene counts are joined to scene: 2 lookups per scene instead of 1 per row.
_ALL_ROWS = (
    "SELECT s.dataset_id, x.role, SUM(x.n) FROM (SELECT scene_id, role, COUNT(*) AS n FROM {table} "
    "GROUP BY scene_id, role) x JOIN scene s ON s.id = x.scene_id GROUP BY s.dataset_id, x.role"
)
# Rows added after a snapshot: a range of the primary key, joined row by row (few rows).
_NEW_ROWS = (
    "SELECT s.dataset_id, x.role, COUNT(*) FROM {table} x JOIN scene s ON s.id = x.scene_id "
    "WHERE x.id > :after GROUP BY s.dataset_id, x.role"
)
_SCORED = "SELECT s.dataset_id, '', COUNT(*) FROM score sc JOIN scene s ON s.id = sc.scene_id GROUP BY s.dataset_id"
# What a snapshot of each table is checked against: row count and newest row (id, created_at); score rows are all
# rewritten by each `score` run, so its newest computed_at changes with every run.
# Three scalar subqueries, each answered from a b-tree without a scan (a plain COUNT(*) beside MAX(id) would scan).
_NEWEST = (
    "SELECT (SELECT COUNT(*) FROM {table}), (SELECT MAX(id) FROM {table}), "
    "(SELECT created_at FROM {table} ORDER BY id DESC LIMIT 1)"
)
_FINGERPRINT = {
    "rationales": _NEWEST.format(table="rationale"),
    "predictions": _NEWEST.format(table="prediction"),
    "scored": "SELECT (SELECT COUNT(*) FROM score), 0, (SELECT MAX(computed_at) FROM score)",
}
_TABLES = {"rationales": "rationale", "predictions": "prediction"}


def _empty() -> dict:
    return {
        "users": 0,
        "items": 0,
        "interactions": 0,
        "scenes": dict.fromkeys(SPLITS, 0),
        "rationales": dict.fromkeys(ROLES, 0),
        "predictions": dict.fromkeys(ROLES, 0),
        "failed_calls": 0,
        "scored": 0,
    }


def _rows(conn: Connection, sql: str, **params) -> list[list]:
    return [[int(ds), key or "", int(n)] for ds, key, n in conn.execute(text(sql), params).all() if ds is not None]


def _fingerprint(conn: Connection, name: str) -> list:
    count, max_id, newest = conn.execute(text(_FINGERPRINT[name])).one()
    return [int(count), int(max_id or 0), str(newest)]


def _count(conn: Connection, name: str, old: dict | None) -> dict:
    """{"fingerprint", "rows": [[dataset_id, role, n], ...]} now, from `old` (a snapshot entry) where it still holds."""
    now = _fingerprint(conn, name)
    if old is not None and old["fingerprint"] == now:
        return old
    if name == "scored":
        return {"fingerprint": now, "rows": _rows(conn, _SCORED)}
    table = _TABLES[name]
    if old is not None and now[0] >= old["fingerprint"][0]:
        count, max_id, newest = old["fingerprint"]
        # the newest row of the snapshot is still there, unchanged, and every row since has an id above it:
        # nothing was deleted (a deletion would leave the count short), so only the new rows need counting
        same = conn.execute(text(f"SELECT created_at FROM {table} WHERE id = :id"), {"id": max_id}).scalar()
        added = _rows(conn, _NEW_ROWS.format(table=table), after=max_id)
        if (max_id == 0 or str(same) == newest) and count + sum(n for _, _, n in added) == now[0]:
            totals: dict[tuple[int, str], int] = {}
            for ds, key, n in old["rows"] + added:
                totals[(ds, key)] = totals.get((ds, key), 0) + n
            return {"fingerprint": now, "rows": [[ds, key, n] for (ds, key), n in sorted(totals.items())]}
    return {"fingerprint": now, "rows": _rows(conn, _ALL_ROWS.format(table=table))}


def _snapshot(conn: Connection) -> dict:
    row = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": SNAPSHOT_KEY}).scalar()
    try:
        stored = json.loads(row) if row else {}
    except ValueError:
        stored = {}
    return {name: _count(conn, name, stored.get(name)) for name in _FINGERPRINT}


def refresh_counts(*, conn: Connection) -> None:
    """Store the snapshot of the big counts (after a stage run or an import), so later `status` calls are quick."""
    value = json.dumps(_snapshot(conn))
    # one upsert: two workers finishing at once on PostgreSQL both found no row to UPDATE and both INSERTed (the
    # second failed on the key after its work was done); the same SQL on SQLite
    upsert = "INSERT INTO meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    conn.execute(text(upsert), {"v": value, "k": SNAPSHOT_KEY})


def status(*, conn: Connection) -> dict:
    """The `status --json` object of DESIGN.md: counts per dataset and review counts per selection."""
    names = dict(conn.execute(text("SELECT id, name FROM dataset ORDER BY id")).all())
    datasets = {name: _empty() for name in names.values()}
    for field, sql in _PER_DATASET.items():
        for dataset_id, count in conn.execute(text(sql)).all():
            if dataset_id in names:
                datasets[names[dataset_id]][field] = int(count)
    keyed = {"scenes": _rows(conn, _SCENES), **{name: entry["rows"] for name, entry in _snapshot(conn).items()}}
    for field, rows in keyed.items():
        for dataset_id, key, count in rows:
            if dataset_id not in names:
                continue
            if field == "scored":
                datasets[names[dataset_id]][field] = count
            elif key:
                datasets[names[dataset_id]][field][key] = count
    return {"datasets": datasets, "selections": selection_review_counts(conn=conn)}


def table_counts(*, conn: Connection) -> dict[str, int]:
    """Row count of every table (tests and the bench compare these)."""
    names = table_names(conn)
    return {name: int(conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{name}"').scalar_one()) for name in names}
