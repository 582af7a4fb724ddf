"""Workspace counts for `status`: every number is one GROUP BY query, never a loop over rows."""

from sqlalchemy import text
from sqlmodel import Session

from storage.constants import ROLES, SPLITS
from storage.reviews import selection_review_counts

_PER_DATASET = {
    "users": 'SELECT dataset_id, COUNT(*) FROM "user" GROUP BY dataset_id',
    "items": "SELECT dataset_id, COUNT(*) FROM item GROUP BY dataset_id",
    "interactions": "SELECT dataset_id, COUNT(*) FROM interaction GROUP BY dataset_id",
    "scored": "SELECT s.dataset_id, COUNT(*) FROM score sc JOIN scene s ON s.id = sc.scene_id GROUP BY s.dataset_id",
    # An item (e.g. one rationale sample) whose last outcome is an error: no successful call for it afterwards.
    "failed_calls": """
        SELECT s.dataset_id, COUNT(DISTINCT COALESCE(c.item_key, 'call:' || c.id))
        FROM llmcall c JOIN scene s ON s.id = c.scene_id
        WHERE c.status = 'error' AND NOT EXISTS (
            SELECT 1 FROM llmcall ok WHERE ok.item_key = c.item_key AND ok.status = 'ok' AND ok.id > c.id)
        GROUP BY s.dataset_id""",
}
# Rationales and predictions are counted per (scene, role) first — a scan of the covering (scene_id, role, ...)
# index — and only those per-scene counts are joined to scene: 2 lookups per scene instead of 1 per row.
_PER_SCENE_ROLE = (
    "SELECT s.dataset_id, x.role, SUM(x.n) FROM (SELECT scene_id, role, COUNT(*) AS n FROM {table} "
    "GROUP BY scene_id, role) x JOIN scene s ON s.id = x.scene_id GROUP BY s.dataset_id, x.role"
)
_PER_DATASET_KEY = {
    "scenes": "SELECT dataset_id, split, COUNT(*) FROM scene GROUP BY dataset_id, split",
    "rationales": _PER_SCENE_ROLE.format(table="rationale"),
    "predictions": _PER_SCENE_ROLE.format(table="prediction"),
}


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


def status(*, session: Session) -> dict:
    """The `status --json` object of DESIGN.md: counts per dataset and review counts per selection."""
    names = dict(session.connection().execute(text("SELECT id, name FROM dataset ORDER BY id")).all())
    datasets = {name: _empty() for name in names.values()}
    conn = session.connection()
    for field, sql in _PER_DATASET.items():
        for dataset_id, count in conn.execute(text(sql)).all():
            if dataset_id in names:
                datasets[names[dataset_id]][field] = int(count)
    for field, sql in _PER_DATASET_KEY.items():
        for dataset_id, key, count in conn.execute(text(sql)).all():
            if dataset_id in names and key is not None:
                datasets[names[dataset_id]][field][key] = int(count)
    return {"datasets": datasets, "selections": selection_review_counts(session=session)}
