"""Review and rationale-edit queries (the review-status SQL itself is storage/review_counts.py's).

Writes are compare-and-set: `UPDATE ... WHERE id = ? AND version = ?`, False when zero rows changed (someone saved
first). What a save means, and what the reviewer is told, is decided in core/review.py.
"""

from datetime import datetime

from sqlalchemy import func, literal_column, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.constants import PENDING, VERDICTS
from storage.models import Rationale, RationaleVersion, Review, SelectionItem, utcnow
from storage.review_counts import selection_review_counts, status_sql
from storage.reviewers import require_writer

# status_sql() as a column for select() statements that join the Review table.
REVIEW_STATUS = literal_column(status_sql())


def get_review(*, session: Session, scene_id: int) -> Review | None:
    """The stored review of a scene (None = pending, never reviewed); always read fresh from the database."""
    stmt = select(Review).where(Review.scene_id == scene_id).execution_options(populate_existing=True)
    return session.exec(stmt).first()


def insert_review(*, session: Session, scene_id: int, status: str, reviewer: str, note: str | None) -> Review | None:
    """Create a scene's first review (version 1) and commit; None (rolled back) when one was created meanwhile;
    Forbidden for a read-only reviewer."""
    require_writer(session=session, name=reviewer)
    review = Review(scene_id=scene_id, status=status, reviewer=reviewer, note=note, updated_at=utcnow())
    try:
        session.add(review)
        session.commit()
    except IntegrityError:  # another reviewer created it first
        session.rollback()
        return None
    return review


def update_review(
    *, session: Session, review_id: int, base_version: int, status: str, reviewer: str, note: str | None
) -> bool:
    """Overwrite a review as version base_version + 1 and commit, only if its stored version is still base_version;
    False (rolled back) when it is not; Forbidden for a read-only reviewer."""
    require_writer(session=session, name=reviewer)
    changed = session.execute(
        update(Review)
        .where(col(Review.id) == review_id, col(Review.version) == base_version)
        .values(status=status, reviewer=reviewer, note=note, version=base_version + 1, updated_at=utcnow())
    ).rowcount
    if changed:
        session.commit()
    else:
        session.rollback()
    return bool(changed)


def get_rationale(*, session: Session, rationale_id: int) -> Rationale | None:
    """A rationale read fresh from the database (not this session's copy), or None."""
    return session.get(Rationale, rationale_id, populate_existing=True)


def update_rationale(
    *, session: Session, rationale_id: int, expected_version: int, values: dict, updated_at: datetime, author: str
) -> bool:
    """Write values (text and parsed fields) as version expected_version + 1, only if the stored version is still
    expected_version; False (rolled back) when it is not; Forbidden when the author is read-only. Does not commit:
    the caller adds the version rows."""
    require_writer(session=session, name=author)
    changed = session.execute(
        update(Rationale)
        .where(col(Rationale.id) == rationale_id, col(Rationale.version) == expected_version)
        .values(**values, version=expected_version + 1, updated_at=updated_at)
    ).rowcount
    if not changed:
        session.rollback()
    return bool(changed)


def add_rationale_version(
    *, session: Session, rationale_id: int, version: int, text: str, author: str, created_at: datetime
) -> None:
    """Stage one RationaleVersion row (the caller commits)."""
    session.add(
        RationaleVersion(rationale_id=rationale_id, version=version, text=text, author=author, created_at=created_at)
    )


def stored_versions(*, session: Session, rationale_id: int) -> list[RationaleVersion]:
    """The stored versions of a rationale, oldest first ([] until its first edit)."""
    stmt = select(RationaleVersion).where(RationaleVersion.rationale_id == rationale_id)
    return list(session.exec(stmt.order_by(col(RationaleVersion.version))))


def latest_version(*, session: Session, rationale_id: int) -> RationaleVersion | None:
    """The newest stored version of a rationale, or None."""
    stmt = select(RationaleVersion).where(RationaleVersion.rationale_id == rationale_id)
    return session.exec(stmt.order_by(col(RationaleVersion.version).desc()).limit(1)).first()


def list_reviews(*, session: Session, selection_id: int, status: str | None = None) -> list[dict]:
    """The selection's scenes in rank order with their review (status, reviewer, note, version, updated_at)."""
    stmt = (
        select(
            SelectionItem.scene_id,
            SelectionItem.rank,
            REVIEW_STATUS.label("status"),
            Review.reviewer,
            Review.note,
            func.coalesce(Review.version, 0).label("version"),
            Review.updated_at,
        )
        .join(Review, col(Review.scene_id) == SelectionItem.scene_id, isouter=True)
        .where(SelectionItem.selection_id == selection_id)
        .order_by(col(SelectionItem.rank))
    )
    if status is not None:
        stmt = stmt.where(REVIEW_STATUS == status)  # noqa: SIM300
    return [dict(row._mapping) for row in session.exec(stmt)]


def review_counts(*, session: Session, selection_id: int) -> dict[str, int]:
    """{"scenes", "approved", "rejected", "pending"} over a selection's scenes (no Review row = pending)."""
    found = selection_review_counts(conn=session.connection(), selection_id=selection_id)
    return next(iter(found.values()), {"scenes": 0, **dict.fromkeys((*VERDICTS, PENDING), 0)})
