"""list_runs: a running run whose process is gone from this host is reported as interrupted (never written)."""

import os
from datetime import UTC, datetime

from sqlmodel import Session

from storage.claims import db_clock
from storage.models import Run
from storage.runs import finish_run, list_runs, pid_alive, start_run
from tests.factories import dead_pid


def test_dead_or_reused_pid_reads_as_interrupted_and_the_row_is_unchanged(engine):
    gone = dead_pid()
    with Session(engine) as s:
        alive = start_run(session=s, kind="scenes")
        killed = start_run(session=s, kind="rationales")
        reused = start_run(session=s, kind="predict")
        finished = start_run(session=s, kind="score")
        no_pid = start_run(session=s, kind="import")
        elsewhere = start_run(session=s, kind="predict")
        lapsed = start_run(session=s, kind="predict")
        s.get(Run, killed.id).pid = gone
        # Runs of another host: their pid means nothing here, their lease (alive_until) decides.
        now = db_clock(session=s)
        for run_id, until in ((elsewhere.id, now + 600), (lapsed.id, now - 1)):
            s.get(Run, run_id).host, s.get(Run, run_id).pid, s.get(Run, run_id).alive_until = "other", gone, until
        # This test process started long after 2001: its pid was reused, the run's own process is gone.
        s.get(Run, reused.id).started_at = datetime(2001, 1, 1, tzinfo=UTC)
        s.get(Run, no_pid.id).pid = None
        s.commit()
        finish_run(session=s, run_id=finished.id)
        finished_pid = s.get(Run, finished.id)
        finished_pid.pid = gone
        s.commit()
        ids = [alive.id, killed.id, reused.id, finished.id, no_pid.id, elsewhere.id, lapsed.id]
    with Session(engine) as s:
        shown = {r.id: r.status for r in list_runs(session=s)}
        s.commit()
    # Same on both backends: a run records its host, so its pid is checked only here.
    running, interrupted = "running", "interrupted"
    assert [shown[i] for i in ids] == [running, interrupted, interrupted, "done", running, running, interrupted]
    with Session(engine) as s:
        assert [s.get(Run, i).status for i in ids] == [running] * 3 + ["done"] + [running] * 3


def test_pid_alive():
    assert pid_alive(os.getpid()) is True
    assert pid_alive(os.getpid(), datetime.now(UTC)) is True
    assert pid_alive(os.getpid(), datetime(2001, 1, 1)) is False  # naive times are UTC, as SQLite returns them
    assert pid_alive(dead_pid()) is False
