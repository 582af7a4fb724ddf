"""Pipeline runs: start, progress, finish, list (a run whose process died shows as interrupted)."""

import os
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from storage.models import Run, utcnow


def start_run(
    *, session: Session, kind: str, dataset_id: int | None = None, params: dict | None = None, total: int = 0
) -> Run:
    """Record a new running run and commit it so other processes see it."""
    run = Run(kind=kind, dataset_id=dataset_id, params=params or {}, total=total, pid=os.getpid())
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


def list_runs(*, session: Session, limit: int = 50) -> list[Run]:
    """Most recent runs first; a "running" run whose process is gone from this host is shown as "interrupted".

    Only on SQLite (a local file, so its runs ran here): on a server database the pid may belong to another host.
    The interrupted status is reported, never written: the returned rows are detached from the session.
    """
    runs = list(session.exec(select(Run).order_by(col(Run.id).desc()).limit(limit)))
    if session.get_bind().dialect.name != "sqlite":
        return runs
    for run in runs:
        if run.status == "running" and run.pid is not None and not pid_alive(run.pid, run.started_at):
            session.expunge(run)
            run.status = "interrupted"
    return runs
