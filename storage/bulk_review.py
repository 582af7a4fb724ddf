"""Bulk verdicts over a whole filtered set of scenes, set-based (one INSERT ... SELECT per step, no loop per scene),
each recorded with what it replaced so one undo puts it back. Scenes reviewed again after the action are left as
they are by the undo (their review version moved on) and counted.

A bulk verdict never writes a double-review scene (its review is its two blind reviewers' agreement or an admin's
decision, core/double_review.py) nor a scene another reviewer has open under a live review lease (storage/queue.py):
those are skipped, and bulk_skips counts them beforehand."""

from sqlalchemy import and_, case, delete, exists, func, insert, literal, select, update
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from storage.audit_models import BulkAction, BulkChange, ReviewLease
from storage.claims import db_clock
from storage.double_models import DoubleReview
from storage.models import Review, Scene, utcnow
from storage.reviewers import require_writer


def _held_by_others(session: Session, reviewer: str) -> Select:
    """Scenes another reviewer holds a live review lease on (the database's clock)."""
    live = col(ReviewLease.expires_at) >= db_clock(session=session)
    return select(ReviewLease.scene_id).where(col(ReviewLease.reviewer) != reviewer, live)


def bulk_skips(*, session: Session, scene_ids: Select, reviewer: str) -> tuple[int, int]:
    """(double-review scenes, other scenes open by another reviewer) among the scene_ids SELECT: what a bulk verdict
    by `reviewer` would skip now."""
    picked = col(Scene.id).in_(scene_ids.scalar_subquery())
    double = col(Scene.id).in_(select(DoubleReview.scene_id))
    held = col(Scene.id).in_(_held_by_others(session, reviewer))
    counts = select(
        func.coalesce(func.sum(case((double, 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(~double, held), 1), else_=0)), 0),
    ).where(picked)
    found = session.execute(counts).one()
    return int(found[0]), int(found[1])


def bulk_verdict(*, session: Session, scene_ids: Select, status: str, reviewer: str) -> BulkAction:
    """Set every scene of the scene_ids SELECT to status (a new review version each), except double-review scenes and
    scenes another reviewer has open, and commit; Forbidden when the reviewer is read-only."""
    require_writer(session=session, name=reviewer)
    now = utcnow()
    action = BulkAction(status=status, reviewer=reviewer, created_at=now)
    session.add(action)
    session.flush()
    picked = (
        select(
            literal(action.id),
            col(Scene.id),
            col(Review.id).is_not(None),
            col(Review.status),
            col(Review.reviewer),
            col(Review.note),
            func.coalesce(col(Review.version), 0),
        )
        .select_from(Scene)
        .outerjoin(Review, col(Review.scene_id) == col(Scene.id))
        .where(col(Scene.id).in_(scene_ids.scalar_subquery()))
        .where(col(Scene.id).not_in(select(DoubleReview.scene_id)))
        .where(col(Scene.id).not_in(_held_by_others(session, reviewer)))
    )
    columns = ["action_id", "scene_id", "had_review", "status", "reviewer", "note", "version"]
    session.execute(insert(BulkChange).from_select(columns, picked))
    mine = select(BulkChange.scene_id).where(BulkChange.action_id == action.id)
    session.execute(
        update(Review)
        .where(col(Review.scene_id).in_(mine.where(col(BulkChange.had_review)).scalar_subquery()))
        .values(status=status, reviewer=reviewer, version=col(Review.version) + 1, updated_at=now)
    )
    fresh = select(BulkChange.scene_id, literal(status), literal(reviewer), literal(1), literal(now)).where(
        BulkChange.action_id == action.id, ~col(BulkChange.had_review)
    )
    session.execute(insert(Review).from_select(["scene_id", "status", "reviewer", "version", "updated_at"], fresh))
    action.scenes = session.execute(select(func.count()).select_from(mine.subquery())).scalar_one()
    session.add(action)
    session.commit()
    return action


def last_bulk_action(*, session: Session, reviewer: str) -> BulkAction | None:
    """The reviewer's most recent bulk action not undone yet, or None."""
    stmt = select(BulkAction).where(BulkAction.reviewer == reviewer, col(BulkAction.undone_at).is_(None))
    return session.execute(stmt.order_by(col(BulkAction.id).desc()).limit(1)).scalars().first()


def undo_bulk(*, session: Session, action_id: int, reviewer: str) -> tuple[int, int]:
    """Put back what the action replaced and commit: (scenes restored, scenes left as they are because they were
    reviewed again since). Forbidden when the reviewer is read-only."""
    require_writer(session=session, name=reviewer)
    change = select(BulkChange).where(BulkChange.action_id == action_id)
    untouched = and_(
        col(BulkChange.action_id) == action_id,
        col(BulkChange.scene_id) == col(Review.scene_id),
        col(Review.version) == col(BulkChange.version) + 1,
    )
    before = lambda column: select(column).where(untouched).scalar_subquery()  # noqa: E731
    restored = session.execute(
        update(Review)
        .where(exists().where(untouched, col(BulkChange.had_review)))
        .values(
            status=before(BulkChange.status),
            reviewer=before(BulkChange.reviewer),
            note=before(BulkChange.note),
            version=col(Review.version) + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    restored += session.execute(
        delete(Review)
        .where(exists().where(untouched, ~col(BulkChange.had_review)))
        .execution_options(synchronize_session=False)
    ).rowcount
    total = session.execute(select(func.count()).select_from(change.subquery())).scalar_one()
    session.execute(update(BulkAction).where(col(BulkAction.id) == action_id).values(undone_at=utcnow()))
    session.commit()
    return restored, total - restored
