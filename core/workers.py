"""Many workers on one stage: each claims a few of its items at a time under a lease, keeps the lease alive while it
works and settles what it finished, so two processes (or machines) on one database split the work and pay for every
call once. The claims themselves are storage/claims.py; this is the worker's side: heartbeat and claim loop.
"""

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.claims import claim, release, renew, settle
from storage.runs import interrupt_dead_runs

T = TypeVar("T")

CLAIM_WAVES = 4  # a claim is this many rounds of the endpoint's concurrency: small enough to split, big enough to run
MAX_CLAIM = 500
# A worker with nothing left to claim looks whether the held items were settled or freed after FIRST_POLL seconds,
# then ever less often, up to every POLL_SECONDS: the last claims of the others end soon after it ran out, and it
# should end with them, not up to a whole poll later; a long wait (a slow endpoint) costs few queries.
FIRST_POLL = 0.05
POLL_SECONDS = 0.5
SHARE_PARTS = 4  # sharing a stage, a worker claims at most this fraction of the items it has not yet met
WINDOW = 900  # items one claim looks at for free ones (past those other workers hold or settled)


def claim_size(concurrency: int) -> int:
    """Items claimed at a time by a worker running `concurrency` requests at once."""
    return max(1, min(MAX_CLAIM, concurrency * CLAIM_WAVES))


def next_claim(*, size: int, left: int, wave: int, shared: bool) -> int:
    """How many of the `left` items not yet met to try to claim next: `size`, or, once other workers share the
    stage, near its end a quarter of what is left in whole waves (at least one), so the workers run out together
    instead of one finishing a last full claim while the others wait for it."""
    if not shared:
        return min(size, left)
    quarter = -(-left // SHARE_PARTS)
    return min(size, left, max(wave, -(-quarter // wave) * wave))


class Heartbeat:
    """Renews a run's leases (and its alive_until) every third of the lease in a background thread."""

    def __init__(self, *, engine: Engine, run_id: int, lease_seconds: float) -> None:
        self.engine, self.run_id, self.lease_seconds = engine, run_id, lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{run_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            # a busy or briefly unreachable database: try again next beat
            with contextlib.suppress(Exception), Session(self.engine) as session:
                renew(session=session, run_id=self.run_id, lease_seconds=self.lease_seconds)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def claimed_chunks(
    *,
    engine: Engine,
    run_id: int,
    items: list[T],
    key: Callable[[T], str],
    size: int,
    since: float,
    lease_seconds: float,
    on_settled_elsewhere: Callable[[int], None],
    wave: int | None = None,
) -> Iterator[list[T]]:
    """Yield chunks of items this run has claimed, in order; each is settled when the caller asks for the next.

    Items another run settles meanwhile are dropped and counted through on_settled_elsewhere(n). When everything
    left is held by other workers, wait for them: their items come back if their worker dies (its process gone from
    this host, or its lease expired), so a killed worker's items are finished by the others. If the caller stops
    early (an error, Ctrl-C) the unsettled claims are given back at once. One claim (one transaction) looks at up to
    WINDOW items for the next `size` free ones, so the chunks other workers hold cost no round trip each. wave = the
    endpoint's concurrency (by default size / CLAIM_WAVES): claims shrink in whole waves near the end once another
    worker is met.
    """
    by_key = {key(item): item for item in items}
    queue, held = deque(by_key), []
    wave = wave or max(1, size // CLAIM_WAVES)
    shared, poll = False, FIRST_POLL
    try:
        while queue or held:
            if not queue:
                time.sleep(min(poll, lease_seconds / 4))
                poll = min(POLL_SECONDS, poll * 2)
                with Session(engine) as session:
                    interrupt_dead_runs(session=session)
                queue, held = deque(held), []
            count = next_claim(size=size, left=len(queue), wave=wave, shared=shared)
            keys = [queue.popleft() for _ in range(min(len(queue), WINDOW))]
            with Session(engine) as session:
                got = claim(
                    session=session, run_id=run_id, keys=keys, lease_seconds=lease_seconds, since=since, limit=count
                )
                session.commit()
            queue.extendleft(reversed(got.rest))
            held.extend(got.held)
            shared = shared or bool(got.held or got.settled)
            if got.settled:
                on_settled_elsewhere(len(got.settled))
            if got.won:
                poll = FIRST_POLL
                yield [by_key[k] for k in got.won]
                with Session(engine) as session:
                    settle(session=session, run_id=run_id, keys=got.won)
    finally:
        with contextlib.suppress(Exception), Session(engine) as session:  # else the leases simply expire
            release(session=session, run_ids=[run_id])
            session.commit()
