"""Reviewers' unsaved drafts (ReviewDraft): a rationale's edited text or a scene's review note, kept per reviewer in the
database so a reload, a new tab or a walk to other scenes loses nothing. A draft holds the version it began from; what
a stale draft means is the Review page's (pages/drafts.py) and core/review.py's. Writing a draft needs the reviewer
or admin role (storage.reviewers.require_writer); every function that writes commits."""

from dataclasses import dataclass

from sqlalchemy import and_, delete
from sqlmodel import Session, col, select

from core.errors import BadInput
from storage.constants import DRAFT_KINDS, RATIONALE_EDIT
from storage.dialect import insert_on_conflict
from storage.draft_models import ReviewDraft
from storage.models import Rationale, utcnow
from storage.reviewers import require_writer

MAX_LISTED = 50  # drafts listed across scenes (the Review page's "your unsaved drafts")


@dataclass(frozen=True)
class DraftPlace:
    """Where one of a reviewer's drafts is: its scene, kind and target, and for a rationale edit the rationale's role
    and sample index (None for a note)."""

    scene_id: int
    kind: str
    target_id: int
    role: str | None
    sample_index: int | None


def _check_kind(kind: str) -> None:
    if kind not in DRAFT_KINDS:
        raise BadInput(f"unknown draft kind {kind!r}; use one of: {', '.join(DRAFT_KINDS)}")


def save_draft(
    *,
    session: Session,
    reviewer: str,
    kind: str,
    target_id: int,
    scene_id: int,
    text: str,
    base_version: int,
    base_text: str,
) -> None:
    """Keep (insert or overwrite) the reviewer's draft of one target and commit; Forbidden for a read-only reviewer."""
    _check_kind(kind)
    require_writer(session=session, name=reviewer)
    values = dict(
        reviewer=reviewer,
        kind=kind,
        target_id=target_id,
        scene_id=scene_id,
        text=text,
        base_version=base_version,
        base_text=base_text,
        updated_at=utcnow(),
    )
    stmt = insert_on_conflict(session.connection(), ReviewDraft).values(**values)
    kept = {k: values[k] for k in ("text", "base_version", "base_text", "updated_at")}
    session.execute(stmt.on_conflict_do_update(index_elements=["reviewer", "kind", "target_id"], set_=kept))
    session.commit()


def scene_drafts(*, session: Session, reviewer: str, scene_id: int) -> dict[tuple[str, int], ReviewDraft]:
    """(kind, target id) -> the reviewer's draft, for the drafts of one scene (read fresh)."""
    stmt = select(ReviewDraft).where(ReviewDraft.reviewer == reviewer, ReviewDraft.scene_id == scene_id)
    rows = session.exec(stmt.execution_options(populate_existing=True))
    return {(row.kind, row.target_id): row for row in rows}


def draft_places(*, session: Session, reviewer: str, limit: int = MAX_LISTED) -> list[DraftPlace]:
    """Where the reviewer's drafts are, by scene: its note first ('note' < 'rationale'), then its rationales by role
    and sample index."""
    stmt = (
        select(ReviewDraft.scene_id, ReviewDraft.kind, ReviewDraft.target_id, Rationale.role, Rationale.sample_index)
        .outerjoin(
            Rationale,
            and_(col(ReviewDraft.kind) == RATIONALE_EDIT, col(Rationale.id) == col(ReviewDraft.target_id)),
        )
        .where(ReviewDraft.reviewer == reviewer)
        .order_by(col(ReviewDraft.scene_id), col(ReviewDraft.kind), col(Rationale.role), col(Rationale.sample_index))
        .limit(limit)
    )
    return [DraftPlace(*row) for row in session.exec(stmt)]


def delete_draft(*, session: Session, reviewer: str, kind: str, target_id: int) -> bool:
    """Drop the reviewer's draft of one target (saved, discarded) and commit; False when there was none. Needs no
    role: it only removes what the reviewer kept."""
    _check_kind(kind)
    mine = and_(
        col(ReviewDraft.reviewer) == reviewer, col(ReviewDraft.kind) == kind, col(ReviewDraft.target_id) == target_id
    )
    gone = session.execute(delete(ReviewDraft).where(mine)).rowcount
    session.commit()
    return bool(gone)
