"""Leases on the work items of an LLM stage, so several workers (processes, machines) on one database split it.

A worker claims a few of its items at a time: an item nobody holds gets a WorkClaim row (on PostgreSQL a held but
expired row is taken over with SELECT … FOR UPDATE SKIP LOCKED; on SQLite the claim's writes are one transaction
under the database's single write lock). The worker renews its leases while it works and settles each item when it
has stored it (or given up on it). An item another run settled after this run began (its `work_from`) is that run's:
skipped and counted, never requested again. An item settled before this run began is stale history (e.g. a failure
to retry) and claimable again. Every time comes from the database's clock, so workers on machines whose clocks
disagree still agree on who holds what.
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import Run, WorkClaim

_CHUNK = 900  # bound parameters per IN (...) list, far below SQLite's limit


def db_clock(*, session: Session) -> float:
    """The database server's current time in seconds since the epoch (millisecond resolution on SQLite)."""
    if session.get_bind().dialect.name == "sqlite":
        sql = "SELECT (julianday('now') - 2440587.5) * 86400.0"
    else:
        sql = "SELECT EXTRACT(EPOCH FROM clock_timestamp())"
    return float(session.execute(text(sql)).scalar_one())


@dataclass
class Claimed:
    """The outcome of one claim: items won, items another run settled during this one, items still held."""

    won: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)  # free, but past the claim's limit: not claimed


def begin_work(*, session: Session, run_id: int, lease_seconds: float) -> float:
    """Record that run_id starts reading its work now (its `work_from`) and is alive for lease_seconds; commits."""
    now = db_clock(session=session)
    session.execute(update(Run).where(Run.id == run_id).values(work_from=now, alive_until=now + lease_seconds))
    session.commit()
    return now


def claim(
    *, session: Session, run_id: int, keys: list[str], lease_seconds: float, since: float, limit: int | None = None
) -> Claimed:
    """Claim for run_id, in the order of keys (at most 900), the first `limit` (default all) that no live lease
    holds; the caller commits. The free keys past the limit come back as `rest`, so one query looks past the items
    other workers hold (or settled) to the next free ones, however many of them there are.

    since = the run's work_from: a key settled by another run at or after it is reported as settled, not claimed.
    """
    now = db_clock(session=session)
    rows = session.execute(
        select(WorkClaim.item_key, WorkClaim.run_id, WorkClaim.expires_at, WorkClaim.settled_at).where(
            WorkClaim.item_key.in_(keys)
        )
    ).all()
    existing = {key: (holder, expires, settled) for key, holder, expires, settled in rows}
    settled = {k for k, (holder, _, at) in existing.items() if at is not None and at >= since and holder != run_id}

    def free(key: str) -> bool:  # as the take-over below decides (which settles a race with another worker)
        if key not in existing:
            return True
        holder, expires, at = existing[key]
        return (at is None and (expires < now or holder == run_id)) or (at is not None and at < since)

    open_keys = [key for key in keys if key not in settled and free(key)]
    chosen = set(open_keys[: len(keys) if limit is None else limit])
    fresh = [key for key in keys if key in chosen and key not in existing]
    until = now + lease_seconds
    won: set[str] = set()
    if fresh:
        dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
        insert = dialect.insert(WorkClaim).on_conflict_do_nothing(index_elements=["item_key"])
        # inserted in key order: two workers inserting overlapping keys wait on each other in one order, never both
        values = [{"item_key": key, "run_id": run_id, "expires_at": until} for key in sorted(fresh)]
        won.update(session.execute(insert.returning(WorkClaim.item_key), values).scalars())
    stale = [key for key in existing if key in chosen]
    if stale:
        claimable = or_(
            and_(WorkClaim.settled_at.is_(None), or_(WorkClaim.expires_at < now, WorkClaim.run_id == run_id)),
            WorkClaim.settled_at < since,
        )
        # PostgreSQL: rows another worker is taking over right now are skipped, not waited for.
        picked = select(WorkClaim.item_key).where(WorkClaim.item_key.in_(stale), claimable)
        picked = picked.with_for_update(skip_locked=True)
        take = (
            update(WorkClaim)
            .where(WorkClaim.item_key.in_(picked.scalar_subquery()))
            .values(run_id=run_id, expires_at=until, settled_at=None)
            .returning(WorkClaim.item_key)
        )
        won.update(session.execute(take).scalars())
    rest = [key for key in open_keys if key not in chosen]
    past = set(rest)
    return Claimed(
        won=[key for key in keys if key in won],
        settled=[key for key in keys if key in settled],
        held=[key for key in keys if key not in won and key not in settled and key not in past],
        rest=rest,
    )


def _lock_in_key_order(session: Session, where) -> None:
    """PostgreSQL: lock the claim rows an UPDATE is about to change in key order first. The heartbeat's renew and the
    worker's settle change overlapping rows at once; an UPDATE locks rows in scan order, and two of them in different
    orders would deadlock (one aborted). SQLite has one write lock, nothing to order (and a read before a write
    there would only risk a stale snapshot)."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(WorkClaim.item_key).where(where).order_by(WorkClaim.item_key).with_for_update())


def renew(*, session: Session, run_id: int, lease_seconds: float) -> None:
    """Extend run_id's unsettled leases and its alive_until by lease_seconds from now; commits."""
    until = db_clock(session=session) + lease_seconds
    held = and_(WorkClaim.run_id == run_id, WorkClaim.settled_at.is_(None))
    _lock_in_key_order(session, held)
    session.execute(update(WorkClaim).where(held).values(expires_at=until))
    session.execute(update(Run).where(Run.id == run_id).values(alive_until=until))
    session.commit()


def settle(*, session: Session, run_id: int, keys: list[str]) -> None:
    """Mark run_id's claims on keys finished (stored, or given up on in this run); commits."""
    now = db_clock(session=session)
    keys = sorted(keys)  # locked in key order across the chunks too
    for start in range(0, len(keys), _CHUNK):
        mine = and_(WorkClaim.run_id == run_id, WorkClaim.item_key.in_(keys[start : start + _CHUNK]))
        _lock_in_key_order(session, mine)
        session.execute(update(WorkClaim).where(mine).values(settled_at=now))
    session.commit()


def release(*, session: Session, run_ids: list[int]) -> None:
    """Give back the unsettled claims of these runs (stopped, or dead) so other workers take them at once."""
    if run_ids:
        held = and_(WorkClaim.run_id.in_(run_ids), WorkClaim.settled_at.is_(None))
        session.execute(delete(WorkClaim).where(held))


def forget_settled(*, session: Session) -> None:
    """Delete settled claims no running run needs (settled before the earliest running run's work_from); commits."""
    oldest = session.execute(
        select(func.min(Run.work_from)).where(Run.status == "running", Run.work_from.is_not(None))
    ).scalar_one()
    horizon = oldest if oldest is not None else db_clock(session=session)
    session.execute(delete(WorkClaim).where(WorkClaim.settled_at < horizon))
    session.commit()
