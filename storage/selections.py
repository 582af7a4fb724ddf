"""Selection queries: named selections, their ranked items, and the per-rationale inputs of behaviour sampling."""

import pandas as pd
from sqlalchemy import Connection, delete, insert, text
from sqlmodel import Session, col, select

from storage.models import Selection, SelectionItem, utcnow

ITEM_COLUMNS = ("scene_id", "chosen_rationale_id", "rejected_rationale_id", "rank", "rank_value")


def get_selection(*, session: Session, name: str) -> Selection | None:
    """The selection with this name, or None."""
    return session.exec(select(Selection).where(Selection.name == name)).first()


def list_selections(*, session: Session) -> list[Selection]:
    """Every selection, newest first."""
    return list(session.exec(select(Selection).order_by(col(Selection.id).desc())))


def selection_scene_ids(*, session: Session, selection_id: int) -> list[int]:
    """Scene ids of a selection in rank order."""
    stmt = select(SelectionItem.scene_id).where(SelectionItem.selection_id == selection_id)
    return list(session.exec(stmt.order_by(col(SelectionItem.rank))))


def delete_selection(*, conn: Connection, name: str) -> None:
    """Delete a selection and its items by name (nothing when there is none)."""
    sel = "SELECT id FROM selection WHERE name = :name"
    conn.execute(text(f"DELETE FROM selectionitem WHERE selection_id IN ({sel})"), {"name": name})
    conn.execute(text("DELETE FROM selection WHERE name = :name"), {"name": name})


def write_selection(
    *, session: Session, name: str, config: dict, report: dict, items: pd.DataFrame, replace: bool = False
) -> Selection | None:
    """Create (or, with replace, overwrite in place) a named selection and bulk-insert its items; caller commits.

    Returns None when the name exists and replace is False (nothing written).
    """
    existing = get_selection(session=session, name=name)
    if existing is not None and not replace:
        return None
    if existing is None:
        existing = Selection(name=name, config=config, report=report)
        session.add(existing)
    else:
        session.execute(delete(SelectionItem).where(col(SelectionItem.selection_id) == existing.id))
        existing.config, existing.report, existing.created_at = config, report, utcnow()
        session.add(existing)
    session.flush()
    records = items[list(ITEM_COLUMNS)].astype(object).to_dict("records")
    if records:
        session.execute(insert(SelectionItem), [dict(r, selection_id=existing.id) for r in records])
    return existing
