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

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from storage.audit_models import Assignment, ReviewLease
from storage.browse import SceneFilter, SceneOrder, beyond, matching_scene_ids, queue_pieces
from storage.claims import db_clock
from storage.constants import PENDING
from storage.dialect import insert_on_conflict
from storage.models import Review, Scene
from storage.reviews import REVIEW_STATUS

LEASE_SECONDS = 120.0  # a scene stays yours this long after your last look (the app: MIRROR_REVIEW_LEASE)
BATCH = 8  # candidates read per try: a lost race moves on to the next one without another query


def _assigned(reviewer: str) -> Select:
    return select(Assignment.scene_id).where(Assignment.reviewer == reviewer)


def _scoped(session: Session, stmt: Select, *, reviewer: str, mine_only: bool) -> list[Select]:
    """stmt narrowed to the reviewer's queue, as the parts served in turn: their assigned scenes, then the scenes
    assigned to nobody else (no assignment at all: stmt as it is, not even a lookup)."""
    mine = col(Scene.id).in_(_assigned(reviewer))
    if session.execute(select(Assignment.scene_id).limit(1)).first() is None:
        return [] if mine_only else [stmt]
    if mine_only:
        return [stmt.where(mine)]
    others = select(Assignment.scene_id).where(Assignment.reviewer != reviewer)
    return [stmt.where(mine), stmt.where(~mine, col(Scene.id).not_in(others))]


def queue_progress(*, session: Session, flt: SceneFilter, order: SceneOrder, reviewer: str, mine_only: bool = False):
    """(done, total) of the queue: its scenes with a verdict, and all its scenes (order: unused, kept for callers).
    Counted as the filter's scenes, and the reviews with a verdict whose scene is among them (the reviews drive that
    count: a scene scan joined to its review took ~27 ms per 100k scenes on every Review run; now ~1 ms)."""
    found, total = 0, 0
    for part in _scoped(session, matching_scene_ids(session=session, flt=replace(flt, status=None)), reviewer=reviewer,
                        mine_only=mine_only):  # fmt: skip
        total += session.execute(select(func.count()).select_from(part.subquery())).scalar_one()
        scene = part.where(col(Scene.id) == Review.scene_id).exists()
        found += session.execute(select(func.count()).where(Review.status != PENDING, scene)).scalar_one()
    return found, total


def _parts(session: Session, *, flt: SceneFilter, order: SceneOrder, reviewer: str, mine_only: bool) -> list[tuple]:
    """The queue's pending scenes as consecutive parts in queue order, each (SELECT, sort key, id column)."""
    pieces = queue_pieces(session=session, flt=replace(flt, status=None), order=order)
    parts = []
    for scope in range(2):
        for stmt, key, sid in pieces:
            scoped = _scoped(session, stmt.where(REVIEW_STATUS == PENDING), reviewer=reviewer, mine_only=mine_only)
            if scope < len(scoped):
                parts.append((scoped[scope], key, sid))
    return parts


def _free(stmt: Select, *, reviewer: str, now: float, slots: int) -> Select:
    """Only scenes fewer than `slots` other reviewers hold a live lease on."""
    held = (
        select(ReviewLease.scene_id)
        .where(ReviewLease.reviewer != reviewer, ReviewLease.expires_at >= now)
        .group_by(ReviewLease.scene_id)
        .having(func.count() >= slots)
    )
    return stmt.where(col(Scene.id).not_in(held))


def _after(session: Session, part: tuple, order: SceneOrder, scene_id: int):
    """The condition "after scene_id in this part's order" (None when scene_id is not in it)."""
    stmt, key, sid = part
    here = session.execute(stmt.with_only_columns(key).where(sid == scene_id)).first()
    if here is None:
        return None
    if order.descending:  # ties still by id upwards
        return or_(key < here[0], and_(key == here[0], sid > scene_id))
    return beyond(key, sid, here[0], scene_id)


def _sorted(stmt: Select, key: ColumnElement, sid: ColumnElement, order: SceneOrder) -> Select:
    return stmt.order_by(key.desc() if order.descending else key.asc(), sid.asc())


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
    parts = _parts(session, flt=flt, order=order, reviewer=reviewer, mine_only=mine_only)
    tries = []
    if after is not None:
        for k, (stmt, key, sid) in enumerate(parts):
            if (later := _after(session, (stmt, key, sid), order, after)) is not None:
                tries = [(stmt.where(later), key, sid), *parts[k + 1 :]]
                break
    tries += [(stmt.where(sid != after) if after is not None else stmt, key, sid) for stmt, key, sid in parts]
    for candidates, key, sid in tries:
        while True:
            free = _free(candidates, reviewer=reviewer, now=db_clock(session=session), slots=1)
            ids = session.execute(_sorted(free, key, sid, order).limit(BATCH)).scalars().all()
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
