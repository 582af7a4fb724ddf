"""Queries for batch-job files: the requests `--batch-out` wrote, matched by custom_id when their results come back."""

from sqlalchemy import select, update
from sqlmodel import Session

from storage.dialect import insert_on_conflict
from storage.models import BatchRequest, utcnow

_CHUNK = 900  # bound parameters per IN (...) list, far below SQLite's limit
_FIELDS = ("cache_key", "prompt_hash", "endpoint", "model", "params", "item_key", "scene_id", "stage", "run_id")


def record_batch_requests(*, session: Session, rows: list[dict]) -> None:
    """Store the requests written to a batch file ({custom_id, path, and _FIELDS}); a custom_id written again (a
    later file with the same request) points to the newer file and is importable again."""
    if not rows:
        return
    stmt = insert_on_conflict(session.connection(), BatchRequest)
    fresh = {name: stmt.excluded[name] for name in ("path", "run_id", "created_at")}
    stmt = stmt.on_conflict_do_update(index_elements=["custom_id"], set_={**fresh, "imported_at": None})
    now = utcnow()
    for start in range(0, len(rows), _CHUNK):
        session.execute(stmt, [{**row, "created_at": now} for row in rows[start : start + _CHUNK]])


def batch_requests(*, session: Session, custom_ids: list[str]) -> dict[str, dict]:
    """The recorded requests of these custom_ids ({custom_id: {field: value, "imported": bool}}); unknown ids are
    absent."""
    found: dict[str, dict] = {}
    columns = [getattr(BatchRequest, name) for name in _FIELDS]
    unique = list(dict.fromkeys(custom_ids))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        query = select(BatchRequest.custom_id, BatchRequest.imported_at, *columns)
        for custom_id, imported_at, *values in session.execute(query.where(BatchRequest.custom_id.in_(chunk))):
            found[custom_id] = {**dict(zip(_FIELDS, values, strict=True)), "imported": imported_at is not None}
    return found


def mark_imported(*, session: Session, custom_ids: list[str]) -> None:
    """Record that the results of these requests were imported."""
    now = utcnow()
    for start in range(0, len(custom_ids), _CHUNK):
        chunk = custom_ids[start : start + _CHUNK]
        session.execute(update(BatchRequest).where(BatchRequest.custom_id.in_(chunk)).values(imported_at=now))
