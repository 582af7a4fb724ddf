"""SIGKILL a `rationales` run mid-way and rerun it: no duplicate, no lost rationale, no call made twice."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from storage.llm import add_endpoint
from storage.models import Endpoint
from tests.factories import make_dataset, make_scene
from tests.fault_server import FaultServer

ROOT = Path(__file__).resolve().parents[2]
SCENES, N = 10, 5
ITEMS = SCENES * N


def _count(engine, sql: str) -> int:
    with Session(engine) as session:
        return int(session.execute(text(sql)).scalar_one())


def _command(db_path: str) -> subprocess.Popen:
    args = ["--db", db_path, "rationales", "--role", "strong", "--endpoint", "slow", "--n", str(N)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_run_resumes_without_duplicates_or_repeated_calls(engine, db_path, session):
    dataset = make_dataset(session, n_users=1)
    for k in range(SCENES):
        make_scene(session, dataset=dataset, profile=f"user {k}", timestamp=1_700_000_000 + k)
    server = FaultServer(latency=0.15).start()
    try:
        endpoint = Endpoint(name="slow", base_url=server.url, model="m", concurrency=2, timeout=10)
        add_endpoint(session=session, endpoint=endpoint)
        session.commit()

        first = _command(db_path)
        deadline = time.monotonic() + 60
        while _count(engine, "SELECT COUNT(*) FROM rationale") < 6:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL

        kept = _count(engine, "SELECT COUNT(*) FROM rationale")
        cached = _count(engine, "SELECT COUNT(*) FROM llmcache")
        calls_before = sum(server.counts.values())
        assert 6 <= kept <= cached < ITEMS  # stopped mid-way; every stored rationale's answer is cached

        second = _command(db_path)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert out.strip().endswith(f"{ITEMS - kept} done, 0 failed, {cached - kept} cached, of {ITEMS - kept}")
    finally:
        server.stop()

    assert _count(engine, "SELECT COUNT(*) FROM rationale") == ITEMS
    # The killed run is recorded as interrupted when the next one starts (CLI status and the Overview show it).
    assert _count(engine, "SELECT COUNT(*) FROM run WHERE id = 1 AND status = 'interrupted'") == 1
    assert _count(engine, "SELECT COUNT(DISTINCT scene_id || ':' || sample_index) FROM rationale") == ITEMS
    assert _count(engine, "SELECT COUNT(*) FROM rationaleversion") == 0  # version rows are stored on edit
    # The rerun calls the server exactly for the items whose answer the killed run had not yet cached.
    assert sum(server.counts.values()) - calls_before == ITEMS - cached
    assert _count(engine, "SELECT COUNT(*) FROM llmcache") == ITEMS
    # Every call that reached the server is either logged or was in flight when the process died.
    lost = calls_before - _count(engine, "SELECT COUNT(*) FROM llmcall WHERE run_id = 1")
    assert 0 <= lost <= 2 + 2 * 4  # in flight (concurrency 2) + finished in the last 0.5 s flush window
