"""The review queue: the scenes of a filter (a saved selection, a Samples filter) still pending, in the filter's order,
your assigned scenes first, each handed to one reviewer at a time under a short lease (as storage/claims.py leases
pipeline work).

- A lease is a ReviewLease row (scene, slot, reviewer, expires_at on the database's clock). Claiming a scene renews
  your lease, takes a free slot (INSERT … ON CONFLICT DO NOTHING), or takes over an expired one (… DO UPDATE … WHERE
  expired): one statement each, so two reviewers racing for a scene cannot both win it (PostgreSQL's row lock and
  SQLite's single writer). A reviewer has one scene open: winning a scene gives back their other leases.
- slots = how many reviewers may hold a scene at once: 1, or 2 for a double-reviewed scene (the hook double review
  uses; the queue itself always asks for 1).
- Scenes assigned to a reviewer (Assignment) come first in their queue, or alone with mine_only; other reviewers'
  queues skip them.
Every function that writes commits.
"""

from dataclasses import replace

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from storage.audit_models import Assignment, ReviewLease
from storage.browse import SceneFilter, SceneOrder, queue_base
from storage.claims import db_clock
from storage.constants import PENDING
from storage.dialect import insert_on_conflict
from storage.models import Scene
from storage.reviews import REVIEW_STATUS

LEASE_SECONDS = 120.0  # a scene stays yours this long after your last look (the app: MIRROR_REVIEW_LEASE)
BATCH = 8  # candidates read per try: a lost race moves on to the next one without another query


def _assigned(reviewer: str) -> Select:
    return select(Assignment.scene_id).where(Assignment.reviewer == reviewer)


def _queue(
    session: Session, *, flt: SceneFilter, order: SceneOrder, reviewer: str, mine_only: bool
) -> tuple[Select, ColumnElement, ColumnElement]:
    """(SELECT of the queue's scene ids whatever their status, 0 for a scene assigned to the reviewer else 1, the
    order's sort key): the queue runs by (assigned first, key, id)."""
    stmt, key = queue_base(session=session, flt=replace(flt, status=None), order=order)
    sid, mine = col(Scene.id), col(Scene.id).in_(_assigned(reviewer))
    if mine_only:
        stmt = stmt.where(mine)
    else:  # scenes assigned only to others are theirs
        others = select(Assignment.scene_id).where(Assignment.reviewer != reviewer)
        stmt = stmt.where(or_(mine, sid.not_in(others)))
    return stmt, case((mine, 0), else_=1), key


def _sort(first: ColumnElement, key: ColumnElement, order: SceneOrder) -> tuple:
    return first, key.desc() if order.descending else key.asc(), col(Scene.id).asc()


def queue_progress(*, session: Session, flt: SceneFilter, order: SceneOrder, reviewer: str, mine_only: bool = False):
    """(done, total) of the queue: its scenes with a verdict, and all its scenes."""
    stmt, _, _ = _queue(session, flt=flt, order=order, reviewer=reviewer, mine_only=mine_only)
    done = func.sum(case((REVIEW_STATUS != PENDING, 1), else_=0))
    row = session.execute(stmt.with_only_columns(func.count(), done)).one()
    return int(row[1] or 0), int(row[0])


def _free(stmt: Select, *, reviewer: str, now: float, slots: int) -> Select:
    """Only scenes fewer than `slots` other reviewers hold a live lease on."""
    held = (
        select(ReviewLease.scene_id)
        .where(ReviewLease.reviewer != reviewer, ReviewLease.expires_at >= now)
        .group_by(ReviewLease.scene_id)
        .having(func.count() >= slots)
    )
    return stmt.where(col(Scene.id).not_in(held))


def _after(session: Session, stmt: Select, first: ColumnElement, key: ColumnElement, order: SceneOrder, scene_id: int):
    """The condition "after scene_id in the queue's order" (None when scene_id is not in the queue)."""
    here = session.execute(stmt.with_only_columns(first, key).where(col(Scene.id) == scene_id)).first()
    if here is None:
        return None
    rank, value = here
    later = key < value if order.descending else key > value
    tie = and_(key == value, col(Scene.id) > scene_id)
    return or_(first > rank, and_(first == rank, or_(later, tie)))


def next_scene(
    *,
    session: Session,
    flt: SceneFilter,
    order: SceneOrder,
    reviewer: str,
    mine_only: bool = False,
    after: int | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> int | None:
    """Claim and return the first pending scene of the queue no other reviewer holds (after `after` in the queue's
    order when given, wrapping round to the start); None when every pending scene is done or held. Commits."""
    base, first, key = _queue(session, flt=flt, order=order, reviewer=reviewer, mine_only=mine_only)
    stmt, sort = base.where(REVIEW_STATUS == PENDING), _sort(first, key, order)
    tries = []
    if after is not None and (later := _after(session, base, first, key, order, after)) is not None:
        tries.append(stmt.where(later))
    tries.append(stmt if after is None else stmt.where(col(Scene.id) != after))
    for candidates in tries:
        while True:
            free = _free(candidates, reviewer=reviewer, now=db_clock(session=session), slots=1)
            ids = session.execute(free.order_by(*sort).limit(BATCH)).scalars().all()
            for scene_id in ids:
                if claim_scene(session=session, scene_id=scene_id, reviewer=reviewer, lease_seconds=lease_seconds):
                    return scene_id
            if len(ids) < BATCH:
                break  # every candidate lost to a faster reviewer: the next read sees them held
    return None


def claim_scene(
    *, session: Session, scene_id: int, reviewer: str, lease_seconds: float = LEASE_SECONDS, slots: int = 1
) -> bool:
    """Hold (or keep holding) scene_id for lease_seconds; False when `slots` other reviewers hold live leases on it.
    Winning gives back the reviewer's leases on other scenes. Commits."""
    now = db_clock(session=session)
    until = now + lease_seconds
    mine = and_(col(ReviewLease.scene_id) == scene_id, col(ReviewLease.reviewer) == reviewer)
    won = session.execute(update(ReviewLease).where(mine).values(expires_at=until)).rowcount > 0
    for slot in range(slots):
        if won:
            break
        values = {"scene_id": scene_id, "slot": slot, "reviewer": reviewer, "expires_at": until}
        take = insert_on_conflict(session.connection(), ReviewLease).values(**values)
        take = take.on_conflict_do_update(
            index_elements=["scene_id", "slot"],
            set_={"reviewer": reviewer, "expires_at": until},
            where=col(ReviewLease.expires_at) < now,
        )
        won = session.execute(take.returning(ReviewLease.scene_id)).first() is not None
    if won:
        others = and_(col(ReviewLease.reviewer) == reviewer, col(ReviewLease.scene_id) != scene_id)
        session.execute(delete(ReviewLease).where(others))
    session.commit()
    return won


def release_scene(*, session: Session, scene_id: int, reviewer: str) -> None:
    """Give back the reviewer's lease on scene_id (a verdict was saved); commits."""
    mine = and_(col(ReviewLease.scene_id) == scene_id, col(ReviewLease.reviewer) == reviewer)
    session.execute(delete(ReviewLease).where(mine))
    session.commit()


def other_holder(*, session: Session, scene_id: int, reviewer: str) -> tuple[str, float] | None:
    """(who, seconds left) of another reviewer's live lease on scene_id when the reviewer holds none there; else
    None (the scene is free, or theirs)."""
    now = db_clock(session=session)
    rows = session.execute(
        select(ReviewLease.reviewer, ReviewLease.expires_at)
        .where(ReviewLease.scene_id == scene_id, ReviewLease.expires_at >= now)
        .order_by(col(ReviewLease.slot))
    ).all()
    if not rows or any(who == reviewer for who, _ in rows):
        return None
    return rows[0][0], rows[0][1] - now
