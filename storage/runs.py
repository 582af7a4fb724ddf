"""Pipeline runs: start, progress, finish, list."""

import os

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


def list_runs(*, session: Session, limit: int = 50) -> list[Run]:
    """Most recent runs first."""
    return list(session.exec(select(Run).order_by(col(Run.id).desc()).limit(limit)))
