"""SIGKILL an `evaluate` run mid-way and rerun it: no duplicate row, none lost, no call made twice."""

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
SCENES, REPEAT = 12, 2


def _count(engine, sql: str) -> int:
    with Session(engine) as session:
        return int(session.execute(text(sql)).scalar_one())


def _command(db_path: str) -> subprocess.Popen:
    args = ["--db", db_path, "evaluate", "--endpoint", "slow", "--mode", "direct", "--repeat", str(REPEAT)]
    return subprocess.Popen(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_evaluation_resumes_without_duplicates_or_repeated_calls(engine, db_path, session):
    dataset = make_dataset(session, n_users=1)
    for k in range(SCENES):
        make_scene(session, dataset=dataset, split="eval", profile=f"user {k}", timestamp=1_700_000_000 + k)
    server = FaultServer(latency=0.15).start()
    try:
        add_endpoint(session=session, endpoint=Endpoint(name="slow", base_url=server.url, model="m", concurrency=2))
        session.commit()
        first = _command(db_path)
        deadline = time.monotonic() + 60
        while _count(engine, "SELECT COUNT(*) FROM evalrow") < 2 * REPEAT:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        kept = _count(engine, "SELECT COUNT(*) FROM evalrow")
        cached = _count(engine, "SELECT COUNT(*) FROM llmcache")
        calls_before = sum(server.counts.values())
        assert kept % REPEAT == 0 and 2 <= kept // REPEAT <= cached < SCENES  # whole scenes; each one's answer cached

        second = _command(db_path)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        todo = SCENES * REPEAT - kept
        assert out.splitlines()[0] == (
            f"evaluation 'slow-direct': {todo} rows scored, 0 scenes skipped (prompt too long), 0 failed, "
            f"{cached - kept // REPEAT} cached answers, of {todo} rows to do"
        )
    finally:
        server.stop()
    assert _count(engine, "SELECT COUNT(*) FROM evalrow") == SCENES * REPEAT
    assert _count(engine, "SELECT COUNT(DISTINCT scene_id || ':' || repeat) FROM evalrow") == SCENES * REPEAT
    assert sum(server.counts.values()) - calls_before == SCENES - cached  # only the answers not yet cached
    assert _count(engine, "SELECT COUNT(*) FROM evalrun") == 1
    assert _count(engine, "SELECT COUNT(*) FROM evalrun WHERE summary IS NOT NULL") == 1
