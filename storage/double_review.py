"""Double-review queries: which scenes are reviewed blind, their verdicts, the adjudication queue, and the SQL
aggregates agreement is computed from (core/agreement.py). What a verdict means is core/double_review.py's."""

from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.constants import APPROVED, REJECTED
from storage.dialect import insert_on_conflict
from storage.double_models import Adjudication, BlindVerdict, DoubleReview
from storage.models import SelectionItem, utcnow
from storage.reviewers import require_admin, require_writer

# A fixed multiplicative hash of the scene id: which scenes of a selection are double-reviewed is stable and spread
# over the ranking, not its top.
_SPREAD = "(si.scene_id * 2654435761) % 4294967291"


def mark_double(*, session: Session, selection_id: int, percent: int, by: str) -> int:
    """Mark ceil(percent % of the selection's scenes) for double review (a fixed, spread-out pick; scenes marked
    already stay); commits. Returns how many of the selection's scenes are double-reviewed now."""
    require_writer(session=session, name=by)
    total = session.exec(select(func.count()).where(SelectionItem.selection_id == selection_id)).one()
    wanted = -(-int(total) * int(percent) // 100)
    picked = session.execute(
        text(f"SELECT si.scene_id FROM selectionitem si WHERE si.selection_id = :s ORDER BY {_SPREAD} LIMIT :n"),
        {"s": selection_id, "n": wanted},
    ).scalars()
    rows = [{"scene_id": sid, "selection_id": selection_id, "marked_by": by, "created_at": utcnow()} for sid in picked]
    if rows:
        stmt = insert_on_conflict(session.connection(), DoubleReview)
        session.execute(stmt.on_conflict_do_nothing(index_elements=["scene_id"]), rows)
    session.commit()
    return double_count(session=session, selection_id=selection_id)


def double_count(*, session: Session, selection_id: int) -> int:
    """Scenes of a selection marked for double review."""
    query = (
        select(func.count())
        .select_from(DoubleReview)
        .join(SelectionItem, col(SelectionItem.scene_id) == col(DoubleReview.scene_id))
    )
    return int(session.exec(query.where(SelectionItem.selection_id == selection_id)).one())


def is_double(*, session: Session, scene_id: int) -> bool:
    """Whether the scene is reviewed blind by two reviewers."""
    return session.get(DoubleReview, scene_id) is not None


def blind_verdicts(*, session: Session, scene_id: int) -> list[BlindVerdict]:
    """The scene's blind verdicts, first given first (read fresh)."""
    stmt = select(BlindVerdict).where(BlindVerdict.scene_id == scene_id).order_by(col(BlindVerdict.id))
    return list(session.exec(stmt.execution_options(populate_existing=True)))


def save_blind(*, session: Session, scene_id: int, reviewer: str, status: str, note: str | None) -> bool:
    """Insert or change this reviewer's blind verdict (flushed, not committed); False when another reviewer's
    insert won a race for the same row. Forbidden for a read-only reviewer."""
    require_writer(session=session, name=reviewer)
    stmt = select(BlindVerdict).where(BlindVerdict.scene_id == scene_id, BlindVerdict.reviewer == reviewer)
    mine = session.exec(stmt).first() or BlindVerdict(scene_id=scene_id, reviewer=reviewer, status=status)
    mine.status, mine.note, mine.created_at = status, note, utcnow()
    session.add(mine)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def get_adjudication(*, session: Session, scene_id: int) -> Adjudication | None:
    """The admin's decision on the scene, if any."""
    return session.get(Adjudication, scene_id, populate_existing=True)


def add_adjudication(*, session: Session, scene_id: int, status: str, admin: str, note: str | None) -> bool:
    """Record an admin's decision (flushed, not committed); False when the scene was decided meanwhile; Forbidden
    unless an admin."""
    require_admin(session=session, name=admin)
    session.add(Adjudication(scene_id=scene_id, status=status, admin=admin, note=note))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


_DISAGREEING = "SELECT bv.scene_id FROM blindverdict bv GROUP BY bv.scene_id HAVING COUNT(DISTINCT bv.status) > 1"


def adjudication_queue(*, session: Session, limit: int = 200) -> list[dict]:
    """Double-review scenes whose verdicts disagree and no admin has decided yet, by scene id: scene_id and the
    verdicts as 'name: status' joined by ' · '."""
    sql = (
        f"WITH q AS (SELECT d.scene_id FROM ({_DISAGREEING}) d WHERE d.scene_id NOT IN "
        f"(SELECT scene_id FROM adjudication) ORDER BY d.scene_id LIMIT {int(limit)}) "
        "SELECT bv.scene_id, bv.reviewer, bv.status FROM blindverdict bv JOIN q ON q.scene_id = bv.scene_id "
        "ORDER BY bv.scene_id, bv.id"
    )
    found: dict[int, list[str]] = {}
    for scene_id, reviewer, status in session.execute(text(sql)):
        found.setdefault(int(scene_id), []).append(f"{reviewer}: {status}")
    return [{"scene_id": sid, "verdicts": " · ".join(said)} for sid, said in found.items()]


def adjudication_counts(*, session: Session) -> tuple[int, int]:
    """(disagreements waiting for an admin, disagreements decided)."""
    sql = (
        f"SELECT COALESCE(SUM(CASE WHEN a.scene_id IS NULL THEN 1 ELSE 0 END), 0), COUNT(a.scene_id) "
        f"FROM ({_DISAGREEING}) d LEFT JOIN adjudication a ON a.scene_id = d.scene_id"
    )
    waiting, decided = session.execute(text(sql)).one()
    return int(waiting), int(decided)


def pair_counts(*, session: Session) -> list[tuple[str, str, str, str, int]]:
    """Per pair of reviewers (first < second by name) and verdict pair: how many scenes both reviewed blind."""
    sql = (
        "SELECT a.reviewer, b.reviewer, a.status, b.status, COUNT(*) FROM blindverdict a JOIN blindverdict b "
        "ON b.scene_id = a.scene_id AND a.reviewer < b.reviewer "
        "GROUP BY a.reviewer, b.reviewer, a.status, b.status ORDER BY a.reviewer, b.reviewer, a.status, b.status"
    )
    return [(r1, r2, s1, s2, int(n)) for r1, r2, s1, s2, n in session.execute(text(sql))]


def unit_patterns(*, session: Session) -> list[tuple[int, int, int]]:
    """(approved verdicts, rejected verdicts, scenes) over scenes with at least two blind verdicts: each scene's
    verdict counts, grouped (a handful of rows whatever the number of scenes)."""
    sql = (
        f"SELECT ap, rj, COUNT(*) FROM (SELECT SUM(CASE WHEN status = '{APPROVED}' THEN 1 ELSE 0 END) AS ap, "
        f"SUM(CASE WHEN status = '{REJECTED}' THEN 1 ELSE 0 END) AS rj FROM blindverdict GROUP BY scene_id "
        "HAVING COUNT(*) >= 2) u GROUP BY ap, rj ORDER BY ap, rj"
    )
    return [(int(a), int(r), int(n)) for a, r, n in session.execute(text(sql))]


def reviewer_activity(*, session: Session) -> list[tuple[str, int, int, int]]:
    """Per reviewer: (name, verdicts, approved, active hours) over blind verdicts and the scene reviews of scenes not
    double-reviewed; an active hour is a clock hour with at least one verdict."""
    hour = "SUBSTR(CAST({} AS TEXT), 1, 13)"
    sql = (
        f"SELECT reviewer, COUNT(*), SUM(CASE WHEN status = '{APPROVED}' THEN 1 ELSE 0 END), COUNT(DISTINCT hr) FROM ("
        f"SELECT reviewer, status, {hour.format('created_at')} AS hr FROM blindverdict UNION ALL "
        f"SELECT r.reviewer, r.status, {hour.format('r.updated_at')} FROM review r WHERE r.reviewer IS NOT NULL "
        f"AND r.status IN ('{APPROVED}', '{REJECTED}') AND r.scene_id NOT IN (SELECT scene_id FROM doublereview)"
        ") v GROUP BY reviewer ORDER BY reviewer"
    )
    return [(name, int(n), int(a), int(h)) for name, n, a, h in session.execute(text(sql))]


def agreement_token(*, session: Session) -> tuple:
    """Cheap fingerprint of what agreement is computed from: cache key for the Overview's figures."""
    sql = (
        "SELECT (SELECT COUNT(*) FROM blindverdict), (SELECT MAX(created_at) FROM blindverdict), "
        "(SELECT COUNT(*) FROM adjudication), (SELECT COUNT(*) FROM doublereview), "
        "(SELECT COUNT(*) FROM review), (SELECT MAX(updated_at) FROM review)"
    )
    return tuple(str(v) for v in session.execute(text(sql)).one())
