"""Scenes assigned to reviewers, in bulk over a whole filtered set, each bulk action recorded (BulkAction with status
assign / unassign, one AssignChange row per scene and assignee it added or removed) so one undo puts it back.
Set-based: one INSERT … SELECT or DELETE per step, no loop per scene."""

from sqlalchemy import and_, delete, exists, func, insert, literal, select, update
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from storage.audit_models import AssignChange, Assignment, BulkAction
from storage.constants import ASSIGN, UNASSIGN
from storage.models import Scene, utcnow
from storage.reviewers import clean_name, require_writer


def _action(session: Session, *, kind: str, reviewer: str) -> BulkAction:
    require_writer(session=session, name=reviewer)
    action = BulkAction(status=kind, reviewer=reviewer, created_at=utcnow())
    session.add(action)
    session.flush()
    return action


def _finish(session: Session, action: BulkAction) -> BulkAction:
    mine = select(AssignChange.scene_id).where(AssignChange.action_id == action.id)
    action.scenes = session.execute(select(func.count()).select_from(mine.subquery())).scalar_one()
    session.add(action)
    session.commit()
    return action


def _changed(action_id: int):
    """The AssignChange row of this action matching an Assignment row."""
    return exists().where(
        col(AssignChange.action_id) == action_id,
        col(AssignChange.scene_id) == col(Assignment.scene_id),
        col(AssignChange.reviewer) == col(Assignment.reviewer),
    )


def bulk_assign(*, session: Session, scene_ids: Select, assignee: str, reviewer: str) -> BulkAction:
    """Assign every scene of the scene_ids SELECT to assignee (those already theirs are left as they are); commits.
    The action's `scenes` counts the assignments added. Forbidden when the reviewer is read-only."""
    assignee = clean_name(assignee)
    action = _action(session, kind=ASSIGN, reviewer=reviewer)
    taken = exists().where(col(Assignment.scene_id) == col(Scene.id), col(Assignment.reviewer) == assignee)
    picked = select(literal(action.id), col(Scene.id), literal(assignee)).where(
        col(Scene.id).in_(scene_ids.scalar_subquery()), ~taken
    )
    session.execute(insert(AssignChange).from_select(["action_id", "scene_id", "reviewer"], picked))
    added = select(AssignChange.scene_id, AssignChange.reviewer, literal(action.created_at))
    added = added.where(AssignChange.action_id == action.id)
    session.execute(insert(Assignment).from_select(["scene_id", "reviewer", "assigned_at"], added))
    return _finish(session, action)


def bulk_unassign(*, session: Session, scene_ids: Select, assignee: str | None, reviewer: str) -> BulkAction:
    """Take the scenes of the scene_ids SELECT away from assignee (None: from everyone); commits. The action's
    `scenes` counts the assignments removed. Forbidden when the reviewer is read-only."""
    action = _action(session, kind=UNASSIGN, reviewer=reviewer)
    gone = select(literal(action.id), col(Assignment.scene_id), col(Assignment.reviewer)).where(
        col(Assignment.scene_id).in_(scene_ids.scalar_subquery())
    )
    if assignee is not None:
        gone = gone.where(col(Assignment.reviewer) == assignee)
    session.execute(insert(AssignChange).from_select(["action_id", "scene_id", "reviewer"], gone))
    session.execute(delete(Assignment).where(_changed(action.id)).execution_options(synchronize_session=False))
    return _finish(session, action)


def undo_assignments(*, session: Session, action: BulkAction, reviewer: str) -> int:
    """Undo a bulk assign (remove the assignments it added) or unassign (put back what it removed) and commit; the
    number of assignments changed back. Forbidden when the reviewer is read-only."""
    require_writer(session=session, name=reviewer)
    if action.status == ASSIGN:
        stmt = delete(Assignment).where(_changed(action.id)).execution_options(synchronize_session=False)
        changed = session.execute(stmt).rowcount
    else:
        back = select(AssignChange.scene_id, AssignChange.reviewer, literal(utcnow())).where(
            AssignChange.action_id == action.id,
            ~exists().where(
                and_(
                    col(Assignment.scene_id) == col(AssignChange.scene_id),
                    col(Assignment.reviewer) == col(AssignChange.reviewer),
                )
            ),
        )
        stmt = insert(Assignment).from_select(["scene_id", "reviewer", "assigned_at"], back)
        changed = len(session.execute(stmt.returning(Assignment.scene_id)).all())  # PostgreSQL's rowcount says -1
    session.execute(update(BulkAction).where(col(BulkAction.id) == action.id).values(undone_at=utcnow()))
    session.commit()
    return changed


def assigned_count(*, session: Session, reviewer: str) -> int:
    """How many scenes are assigned to the reviewer."""
    stmt = select(func.count()).select_from(Assignment).where(Assignment.reviewer == reviewer)
    return int(session.execute(stmt).scalar_one())
