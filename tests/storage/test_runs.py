"""list_runs: a running run whose process is gone from this host is reported as interrupted (never written)."""

import os
from datetime import UTC, datetime

from sqlmodel import Session

from storage.models import Run
from storage.runs import finish_run, list_runs, pid_alive, start_run
from tests.factories import dead_pid


def test_dead_or_reused_pid_reads_as_interrupted_and_the_row_is_unchanged(engine, backend):
    gone = dead_pid()
    with Session(engine) as s:
        alive = start_run(session=s, kind="scenes")
        killed = start_run(session=s, kind="rationales")
        reused = start_run(session=s, kind="predict")
        finished = start_run(session=s, kind="score")
        no_pid = start_run(session=s, kind="import")
        s.get(Run, killed.id).pid = gone
        # This test process started long after 2001: its pid was reused, the run's own process is gone.
        s.get(Run, reused.id).started_at = datetime(2001, 1, 1, tzinfo=UTC)
        s.get(Run, no_pid.id).pid = None
        s.commit()
        finish_run(session=s, run_id=finished.id)
        finished_pid = s.get(Run, finished.id)
        finished_pid.pid = gone
        s.commit()
        ids = [alive.id, killed.id, reused.id, finished.id, no_pid.id]
    with Session(engine) as s:
        shown = {r.id: r.status for r in list_runs(session=s)}
        s.commit()
    if backend == "sqlite":
        assert [shown[i] for i in ids] == ["running", "interrupted", "interrupted", "done", "running"]
    else:  # a server database's pids may belong to other hosts: shown as stored
        assert [shown[i] for i in ids] == ["running", "running", "running", "done", "running"]
    with Session(engine) as s:
        assert [s.get(Run, i).status for i in ids] == ["running", "running", "running", "done", "running"]


def test_pid_alive():
    assert pid_alive(os.getpid()) is True
    assert pid_alive(os.getpid(), datetime.now(UTC)) is True
    assert pid_alive(os.getpid(), datetime(2001, 1, 1)) is False  # naive times are UTC, as SQLite returns them
    assert pid_alive(dead_pid()) is False
