"""Review status in SQL and counts per status: SQLAlchemy Core only, so `status` loads no ORM or table models."""

from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.constants import PENDING, VERDICTS


def status_sql(table: str = "review") -> str:
    """A scene's review status in SQL from a LEFT JOINed review row named `table`: its status, else pending."""
    return f"COALESCE({table}.status, '{PENDING}')"


def count_by_status_sql(table: str, *, present: str = "1 = 1") -> str:
    """SQL columns counting scenes per status — approved, rejected, pending, in that order — over rows where
    `present` holds (false on the all-NULL row a LEFT JOIN gives a selection without scenes)."""
    return ", ".join(
        f"COALESCE(SUM(CASE WHEN {present} AND {status_sql(table)} = '{status}' THEN 1 ELSE 0 END), 0)"
        for status in (*VERDICTS, PENDING)
    )


def selection_review_counts(*, conn: Connection, selection_id: int | None = None) -> dict[str, dict[str, int]]:
    """Per selection (all, or the one of that id), by id: {"scenes", "approved", "rejected", "pending"} over its
    scenes (no Review row = pending)."""
    where = "WHERE sel.id = :sid " if selection_id is not None else ""
    sql = (
        f"SELECT sel.name, COUNT(si.id), {count_by_status_sql('rv', present='si.id IS NOT NULL')} FROM selection sel "
        "LEFT JOIN selectionitem si ON si.selection_id = sel.id LEFT JOIN review rv ON rv.scene_id = si.scene_id "
        f"{where}GROUP BY sel.id, sel.name ORDER BY sel.id"
    )
    rows = conn.execute(text(sql), {"sid": selection_id}).all()
    names = ("scenes", *VERDICTS, PENDING)
    return {name: dict(zip(names, map(int, counts), strict=True)) for name, *counts in rows}
