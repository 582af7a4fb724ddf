"""Review state and rationale edits with optimistic concurrency: a save based on a stale version is refused.

Every write is `UPDATE ... WHERE id = ? AND version = ?`; zero rows updated means someone else saved first, and the
caller gets StaleVersion naming who and when. Functions commit, so the write lock is held for one statement only.
"""

from datetime import datetime

from sqlalchemy import func, literal_column, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.errors import BadInput, NotFound, StaleVersion
from storage.constants import PENDING, STATUSES, VERDICTS
from storage.models import Rationale, RationaleVersion, Review, Scene, SelectionItem, utcnow
from storage.review_counts import selection_review_counts, status_sql

# status_sql() as a column for select() statements that join the Review table.
REVIEW_STATUS = literal_column(status_sql())


def _when(stamp: datetime | None) -> str:
    return f"{stamp:%Y-%m-%d %H:%M:%S} UTC" if stamp else "an unknown time"


def get_review(*, session: Session, scene_id: int) -> Review | None:
    """The stored review of a scene (None = pending, never reviewed); always read fresh from the database."""
    stmt = select(Review).where(Review.scene_id == scene_id).execution_options(populate_existing=True)
    return session.exec(stmt).first()


def set_review(
    *,
    session: Session,
    scene_id: int,
    status: str,
    reviewer: str,
    note: str | None = None,
    expected_version: int | None = None,
) -> Review:
    """Set a scene's status (commits). expected_version = the review version the reviewer saw (0 or None when
    there was none); a different stored version raises StaleVersion. None skips the check (pipeline, demo)."""
    if status not in STATUSES:
        raise BadInput(f"unknown review status {status!r}; use one of: {', '.join(STATUSES)}")
    if session.get(Scene, scene_id) is None:
        raise NotFound(f"scene {scene_id} does not exist")
    for _attempt in range(3):
        current = get_review(session=session, scene_id=scene_id)
        if current is None:
            if expected_version not in (None, 0):
                raise StaleVersion(
                    f"review of scene {scene_id} no longer exists (version 0, yours {expected_version}); "
                    "reload to see it"
                )
            try:
                review = Review(scene_id=scene_id, status=status, reviewer=reviewer, note=note, updated_at=utcnow())
                session.add(review)
                session.commit()
                return review
            except IntegrityError:  # another reviewer created it first
                session.rollback()
                if expected_version is not None:
                    expected_version = 0
                continue
        base = current.version if expected_version is None else expected_version
        changed = session.execute(
            update(Review)
            .where(col(Review.id) == current.id, col(Review.version) == base)
            .values(status=status, reviewer=reviewer, note=note, version=base + 1, updated_at=utcnow())
        ).rowcount
        if changed:
            session.commit()
            return get_review(session=session, scene_id=scene_id)
        session.rollback()
        if expected_version is not None:
            fresh = get_review(session=session, scene_id=scene_id)
            raise StaleVersion(
                f"review of scene {scene_id} was changed by {fresh.reviewer} at {_when(fresh.updated_at)} since you "
                f"opened it (version {fresh.version}, yours {expected_version}); reload to see it"
            )
    raise StaleVersion(f"review of scene {scene_id} keeps changing under concurrent saves; reload and try again")


def original_author(rationale: Rationale) -> str:
    """Who wrote version 1: the generating model (or endpoint), else "pipeline" / the import source."""
    return rationale.model or rationale.endpoint or ("pipeline" if rationale.source == "native" else rationale.source)


def _stored_versions(session: Session, rationale_id: int) -> int:
    stmt = select(func.count()).select_from(RationaleVersion).where(RationaleVersion.rationale_id == rationale_id)
    return int(session.exec(stmt).one())


def edit_rationale(*, session: Session, rationale_id: int, text: str, author: str, expected_version: int) -> Rationale:
    """Save text as the next version of a rationale (commits): re-parsed fields, RationaleVersion with the author.

    RationaleVersion rows exist only once a rationale is edited: the first edit also stores version 1 (the original
    text by original_author), in the same transaction. Raises StaleVersion when the stored version is not
    expected_version, NotFound for an unknown id.
    """
    from core.rationale_parser import parse_rationale  # pure text parsing, no storage

    rationale = session.get(Rationale, rationale_id, populate_existing=True)
    if rationale is None:
        raise NotFound(f"rationale {rationale_id} does not exist")
    if not text.strip():
        raise BadInput(f"rationale {rationale_id}: the edited text is empty")
    n_options = session.exec(select(Scene.choice_cnt).where(Scene.id == rationale.scene_id)).one()
    parsed = parse_rationale(text, n_options)
    original = rationale.text
    now = utcnow()
    changed = session.execute(
        update(Rationale)
        .where(col(Rationale.id) == rationale_id, col(Rationale.version) == expected_version)
        .values(
            text=text,
            version=expected_version + 1,
            stimulus=parsed.stimulus,
            stimulus_factors=parsed.stimulus_factors,
            knowledge=parsed.knowledge,
            knowledge_factors=parsed.knowledge_factors,
            evaluation=parsed.evaluation,
            style=parsed.style,
            behavior=parsed.behavior,
            problems=parsed.problems,
            updated_at=now,
        )
    ).rowcount
    if not changed:
        session.rollback()
        latest = latest_version(session=session, rationale_id=rationale_id)
        stored = session.get(Rationale, rationale_id, populate_existing=True)
        who = latest.author if latest else "someone"
        raise StaleVersion(
            f"rationale {rationale_id} was changed by {who} at {_when(latest.created_at if latest else None)} since "
            f"you opened it (version {stored.version}, yours {expected_version}); reload to see it"
        )
    if _stored_versions(session, rationale_id) == 0:  # the first edit: keep the original as version 1
        # The UPDATE above matched expected_version, and a rationale's text only changes with its version, so the
        # text read before it is the text of expected_version (1 for every rationale stored unedited).
        session.add(
            RationaleVersion(
                rationale_id=rationale_id,
                version=expected_version,
                text=original,
                author=original_author(rationale),
                created_at=rationale.created_at,
            )
        )
    session.add(
        RationaleVersion(
            rationale_id=rationale_id, version=expected_version + 1, text=text, author=author, created_at=now
        )
    )
    session.commit()
    return session.get(Rationale, rationale_id, populate_existing=True)


def rationale_versions(*, session: Session, rationale_id: int) -> list[RationaleVersion]:
    """Every version of a rationale, oldest first: the stored rows, or for a never-edited rationale its text as one
    synthesized version 1 (not added to the session). [] for an unknown id."""
    stmt = select(RationaleVersion).where(RationaleVersion.rationale_id == rationale_id)
    stored = list(session.exec(stmt.order_by(col(RationaleVersion.version))))
    if stored:
        return stored
    rationale = session.get(Rationale, rationale_id, populate_existing=True)
    if rationale is None:
        return []
    return [
        RationaleVersion(
            rationale_id=rationale_id,
            version=rationale.version,
            text=rationale.text,
            author=original_author(rationale),
            created_at=rationale.created_at,
        )
    ]


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
