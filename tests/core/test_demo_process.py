"""The demo build as a process of its own (what the app starts): recorded as a run any process follows, resumable
after a kill, one at a time, and its failures said in words."""

import os
import signal
import time

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.choices import DEMO_RUN, DEMO_STEPS
from core.demo import build_demo, failure_words
from core.demo_process import LOG_NAME, log_tail, start_demo_build, wait_for_build
from core.errors import BadInput, EndpointError, MirrorError
from storage.llm import add_endpoint
from storage.models import Endpoint, Run
from tests.factories import wait_for_demo_run
from tests.fault_server import FaultServer


@pytest.fixture
def fault(engine, monkeypatch):
    """A loopback endpoint named `fault` the demo builds with, on 2 train scenes and 1 eval scene."""
    server = FaultServer().start()
    with Session(engine) as session:
        add_endpoint(session=session, endpoint=Endpoint(name="fault", base_url=server.url, model="m", timeout=30))
        session.commit()
    monkeypatch.setenv("MIRROR_DEMO_ENDPOINT", "fault")
    monkeypatch.setenv("MIRROR_DEMO_SCENES", "2")
    yield server
    server.stop()


def _count(engine, sql: str) -> int:
    with Session(engine) as session:
        return int(session.execute(text(sql)).scalar_one())


def test_the_build_runs_in_its_own_process_and_records_its_steps(engine, db_path, fault, tmp_path):
    pid = start_demo_build(db=db_path, log_dir=tmp_path)
    assert pid != os.getpid()
    started = wait_for_build(engine=engine, pid=pid)
    assert (started.kind, started.pid, started.total) == (DEMO_RUN, pid, DEMO_STEPS)
    run = wait_for_demo_run(engine, lambda r: r.status != "running")
    assert (run.status, run.done, run.message) == ("done", DEMO_STEPS, "demo workspace ready")
    assert _count(engine, "SELECT COUNT(*) FROM scene WHERE split = 'train'") == 2
    assert _count(engine, "SELECT COUNT(*) FROM rationale") == 8  # 2 scenes x 2 roles x 2 rationales
    assert _count(engine, "SELECT COUNT(*) FROM score") == 2
    assert "demo workspace ready" in (tmp_path / LOG_NAME).read_text()
    assert log_tail(log_dir=tmp_path, lines=1) == "demo workspace ready: streamlit run app.py"


@pytest.mark.sqlite_only  # process signals, not SQL: once
def test_a_killed_build_shows_as_interrupted_and_a_second_start_resumes_it(engine, db_path, fault, tmp_path):
    fault.pause()  # the build reaches the rationale calls and waits there
    pid = start_demo_build(db=db_path, log_dir=tmp_path)
    wait_for_demo_run(engine, lambda r: r.pid == pid and r.done == 2)  # ingest and scenes done
    deadline = time.monotonic() + 60
    while not fault.received:
        assert time.monotonic() < deadline, "no rationale request arrived"
        time.sleep(0.1)
    with pytest.raises(MirrorError, match=r"^a demo build is already running \(run \d+\)"):
        build_demo(engine=engine)  # one build at a time
    os.killpg(pid, signal.SIGKILL)  # the whole process group: as a machine restart would
    interrupted = wait_for_demo_run(engine, lambda r: r.status == "interrupted", timeout=30)
    assert (interrupted.pid, interrupted.done) == (pid, 2)

    fault.resume()
    again = start_demo_build(db=db_path, log_dir=tmp_path)
    run = wait_for_demo_run(engine, lambda r: r.pid == again and r.status != "running")
    assert (run.status, run.message) == ("done", "demo workspace ready")
    assert _count(engine, "SELECT COUNT(*) FROM scene") == 3  # the scenes of the first build, not built again
    assert _count(engine, "SELECT COUNT(*) FROM rationale") == 8
    assert _count(engine, "SELECT COUNT(DISTINCT scene_id || role || sample_index) FROM rationale") == 8
    with Session(engine) as session:
        first = session.get(Run, interrupted.id)
    assert (first.status, first.message) == ("interrupted", "interrupted: its process ended without finishing the run")


def test_a_build_that_ends_before_it_begins_is_reported_with_its_log(engine, tmp_path):
    bad = str(tmp_path / "no-such-dir" / "mirror.db")
    pid = start_demo_build(db=bad, log_dir=tmp_path)
    with pytest.raises(MirrorError, match=r"^the demo build ended before it began: .*no-such-dir"):
        wait_for_build(engine=engine, pid=pid, log_dir=tmp_path)


def test_failures_are_said_in_words_never_as_exception_names():
    assert failure_words(KeyboardInterrupt()) == "stopped before finishing: interrupted by the user"
    assert failure_words(EndpointError("endpoint 'x' could not be reached")) == (
        "stopped before finishing: endpoint 'x' could not be reached"
    )
    assert failure_words(BadInput("unknown endpoint 'y'")) == "stopped before finishing: unknown endpoint 'y'"
    assert failure_words(RuntimeError("disk full\nmore")) == (
        "stopped before finishing by an unexpected error (disk full); the build log has the rest"
    )
    assert "Error" not in failure_words(ValueError())
    assert failure_words(ValueError()) == (
        "stopped before finishing by an unexpected error (no detail given); the build log has the rest"
    )
