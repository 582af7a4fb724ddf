"""Per-rationale verdicts and the human chosen/rejected pair of a scene: reads and the guarded writes (every write
checks the reviewer may write, storage.reviewers.require_writer, and commits). What a valid verdict or pair is, is
decided in core/verdicts.py."""

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.audit_models import PairOverride, RationaleVerdict
from storage.dialect import insert_on_conflict
from storage.models import Prediction, Rationale, utcnow
from storage.reviewers import require_writer


def scene_verdicts(*, session: Session, scene_id: int) -> list[RationaleVerdict]:
    """Every reviewer's verdict on the scene's rationales, by rationale id then reviewer."""
    stmt = select(RationaleVerdict).where(RationaleVerdict.scene_id == scene_id)
    stmt = stmt.order_by(col(RationaleVerdict.rationale_id), col(RationaleVerdict.reviewer))
    return list(session.exec(stmt.execution_options(populate_existing=True)))


def put_verdict(
    *, session: Session, rationale_id: int, scene_id: int, reviewer: str, verdict: str, reason: str | None
) -> None:
    """Insert or overwrite this reviewer's verdict on a rationale and commit; Forbidden for a read-only reviewer."""
    require_writer(session=session, name=reviewer)
    values = dict(
        rationale_id=rationale_id,
        scene_id=scene_id,
        reviewer=reviewer,
        verdict=verdict,
        reason=reason,
        updated_at=utcnow(),
    )
    stmt = insert_on_conflict(session.connection(), RationaleVerdict).values(**values)
    keep = {"verdict": verdict, "reason": reason, "updated_at": values["updated_at"]}
    session.execute(stmt.on_conflict_do_update(index_elements=["rationale_id", "reviewer"], set_=keep))
    session.commit()


def remove_verdict(*, session: Session, rationale_id: int, reviewer: str) -> bool:
    """Delete this reviewer's verdict on a rationale and commit; False when there was none."""
    require_writer(session=session, name=reviewer)
    stmt = delete(RationaleVerdict).where(
        col(RationaleVerdict.rationale_id) == rationale_id, col(RationaleVerdict.reviewer) == reviewer
    )
    gone = session.execute(stmt).rowcount
    session.commit()
    return bool(gone)


def get_pair(*, session: Session, scene_id: int) -> PairOverride | None:
    """The human pair of a scene, read fresh, or None."""
    return session.get(PairOverride, scene_id, populate_existing=True)


def put_pair(*, session: Session, scene_id: int, chosen_id: int, rejected_id: int, reviewer: str) -> PairOverride:
    """Set (or replace) the human chosen/rejected pair of a scene and commit; Forbidden for a read-only reviewer."""
    require_writer(session=session, name=reviewer)
    values = dict(
        scene_id=scene_id,
        chosen_rationale_id=chosen_id,
        rejected_rationale_id=rejected_id,
        reviewer=reviewer,
        updated_at=utcnow(),
    )
    stmt = insert_on_conflict(session.connection(), PairOverride).values(**values)
    session.execute(stmt.on_conflict_do_update(index_elements=["scene_id"], set_={**values}))
    session.commit()
    return get_pair(session=session, scene_id=scene_id)


def remove_pair(*, session: Session, scene_id: int, reviewer: str) -> bool:
    """Drop the human pair of a scene (exports fall back to the computed one) and commit; False when none was set."""
    require_writer(session=session, name=reviewer)
    gone = session.execute(delete(PairOverride).where(col(PairOverride.scene_id) == scene_id)).rowcount
    session.commit()
    return bool(gone)


def predicted_version(*, session: Session, rationale_id: int) -> int | None:
    """The rationale version its stored prediction was made for, or None when it has no prediction."""
    stmt = select(Prediction.rationale_version).where(Prediction.rationale_id == rationale_id)
    return session.exec(stmt).first()


def scene_rationale_ids(*, session: Session, scene_id: int) -> list[int]:
    """The ids of a scene's rationales, ascending."""
    stmt = select(Rationale.id).where(Rationale.scene_id == scene_id).order_by(col(Rationale.id))
    return list(session.exec(stmt))
