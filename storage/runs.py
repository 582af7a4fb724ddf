"""Pipeline runs: start, progress, finish, list (a run whose process died shows as interrupted)."""

import os
import socket
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.claims import db_clock, release
from storage.models import Run, utcnow

RUNNING, INTERRUPTED = "running", "interrupted"


@cache
def host_id() -> str:
    """This process's host as far as pids go: host name, kernel boot and pid namespace (containers differ)."""
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8])
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:
        parts.append("?")
    return ":".join(parts)


def start_run(
    *, session: Session, kind: str, dataset_id: int | None = None, params: dict | None = None, total: int = 0
) -> Run:
    """Record a new running run and commit it so other processes see it."""
    run = Run(kind=kind, dataset_id=dataset_id, params=params or {}, total=total, pid=os.getpid(), host=host_id())
    session.add(run)
    session.commit()
    session.refresh(run)
    return run


def update_run(
    *,
    session: Session,
    run_id: int,
    done: int | None = None,
    failed: int | None = None,
    total: int | None = None,
    message: str | None = None,
) -> None:
    """Store progress counters; commits."""
    run = session.get(Run, run_id)
    if run is None:
        return
    if done is not None:
        run.done = done
    if failed is not None:
        run.failed = failed
    if total is not None:
        run.total = total
    if message is not None:
        run.message = message
    session.add(run)
    session.commit()


def finish_run(*, session: Session, run_id: int, status: str = "done", message: str | None = None) -> None:
    """Mark a run done or failed; commits."""
    run = session.get(Run, run_id)
    if run is None:
        return
    run.status = status
    run.finished_at = utcnow()
    if message is not None:
        run.message = message
    session.add(run)
    session.commit()


def _process_start(pid: int) -> float | None:
    """Unix time the process started (Linux /proc), None when unknown."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def pid_alive(pid: int, started_at: datetime | None = None) -> bool:
    """Whether the process of a run still exists on this host.

    A pid taken over by a process started after the run began (pid reuse) counts as gone.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    if started_at is None:
        return True
    began = (started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)).timestamp()
    start = _process_start(pid)
    return start is None or start <= began + 5.0  # /proc start times are exact to about a second


def _alive(run: Run, *, now: float, local: bool) -> bool:
    """Whether a running run's worker still exists: by pid on its own host (or on a SQLite file's runs from before
    hosts were recorded), else by the lease it renews; a run with neither cannot be judged and counts as alive."""
    if run.pid is not None and (run.host == host_id() or (run.host is None and local)):
        return pid_alive(run.pid, run.started_at)
    if run.alive_until is not None:
        return now <= run.alive_until
    return True


def _dead(session: Session, runs: list[Run]) -> list[Run]:
    running = [run for run in runs if run.status == RUNNING]
    if not running:
        return []
    now = db_clock(session=session)
    local = session.get_bind().dialect.name == "sqlite"
    return [run for run in running if not _alive(run, now=now, local=local)]


def list_runs(*, session: Session, limit: int = 50) -> list[Run]:
    """Most recent runs first; a "running" run whose worker is gone is shown as "interrupted".

    The interrupted status is reported, never written here (interrupt_dead_runs writes it when a stage starts): the
    returned rows are detached from the session.
    """
    runs = list(session.exec(select(Run).order_by(col(Run.id).desc()).limit(limit)))
    for run in _dead(session, runs):
        session.expunge(run)
        run.status = INTERRUPTED
    return runs


def interrupt_dead_runs(*, session: Session) -> list[int]:
    """Record every running run whose worker is gone as interrupted and give back the items it held; their ids."""
    dead = [run.id for run in _dead(session, list(session.exec(select(Run).where(Run.status == RUNNING))))]
    if dead:
        message = "interrupted: its process ended without finishing the run"
        session.execute(
            update(Run)
            .where(col(Run.id).in_(dead), Run.status == RUNNING)
            .values(status=INTERRUPTED, finished_at=utcnow(), message=message)
        )
        release(session=session, run_ids=dead)
    session.commit()
    return dead


def running_runs(*, session: Session, kind: str) -> list[Run]:
    """The runs of that kind still running with a live worker, oldest first."""
    runs = list(session.exec(select(Run).where(Run.kind == kind, Run.status == RUNNING).order_by(col(Run.id))))
    dead = {run.id for run in _dead(session, runs)}
    return [run for run in runs if run.id not in dead]


def latest_run(*, session: Session, kind: str) -> Run | None:
    """The most recent run of that kind (detached; a running one whose worker is gone shows as interrupted)."""
    run = session.exec(select(Run).where(Run.kind == kind).order_by(col(Run.id).desc()).limit(1)).first()
    if run is None:
        return None
    session.expunge(run)
    if run.status == RUNNING and _dead(session, [run]):
        run.status = INTERRUPTED
    return run
