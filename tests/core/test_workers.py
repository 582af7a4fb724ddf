"""Two worker processes on one stage and one database split the work: every request is made once (counted by the
server), every item is stored once, the reports add up, and a killed worker's items are finished by the other."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.choices import PREDICT_SAMPLES
from core.llm.client import LlmRequest, cache_key
from storage.claims import db_clock
from storage.llm import add_endpoint
from storage.models import Endpoint, Run, WorkClaim
from tests.factories import make_dataset, make_rationale, make_scene
from tests.fault_server import FaultServer

ROOT = Path(__file__).resolve().parents[2]
SCENES, N = 16, 5
ITEMS = SCENES * N
CONCURRENCY = 2
SUMMARY = re.compile(
    r"(?P<done>\d+) done, (?P<failed>\d+) failed, (?P<cached>\d+) cached"
    r"(?:, (?P<elsewhere>\d+) by other workers)?, of (?P<total>\d+)"
)


def _count(engine, sql: str) -> int:
    with Session(engine) as session:
        return int(session.execute(text(sql)).scalar_one())


def _claims(engine, run_id: int) -> int:
    return _count(engine, f"SELECT COUNT(*) FROM workclaim WHERE run_id = {run_id}")


def _worker(db_path: str, stage: str, lease_seconds: int = 60) -> subprocess.Popen:
    args = ["--db", db_path, stage, "--role", "strong", "--endpoint", "slow"]
    args += ["--n", str(N)] if stage == "rationales" else []
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MIRROR_LEASE_SECONDS": str(lease_seconds)}
    return subprocess.Popen(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until(condition, worker: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 90
    while not condition():
        assert worker.poll() is None, worker.communicate()
        assert time.monotonic() < deadline, f"no progress: {what}"
        time.sleep(0.05)


def _report(worker: subprocess.Popen) -> dict[str, int]:
    out, err = worker.communicate(timeout=180)
    assert worker.returncode == 0, err
    found = SUMMARY.search(out.strip().splitlines()[-1])
    assert found, out
    return {name: int(value or 0) for name, value in found.groupdict().items()}


@pytest.fixture
def server():
    server = FaultServer(latency=0.2).start()
    yield server
    server.stop()


def _workspace(session: Session, server: FaultServer, stage: str) -> None:
    dataset = make_dataset(session, n_users=1)
    for k in range(SCENES):
        scene = make_scene(session, dataset=dataset, profile=f"user {k}", timestamp=1_700_000_000 + k)
        if stage == "predict":  # half the scenes answer without logprobs: sampled answers each (unit accounting)
            if k % 2:
                scene.options = [f"Item {j} FAULT:nologprobs" for j in range(scene.choice_cnt)]
                session.add(scene)
            for i in range(N):
                make_rationale(session, scene=scene, role="strong", sample_index=i, text=f"Rationale {k}.{i}")
    add_endpoint(
        session=session, endpoint=Endpoint(name="slow", base_url=server.url, model="m", concurrency=CONCURRENCY)
    )
    session.commit()


STORED = {"rationales": "SELECT COUNT(*) FROM rationale", "predict": "SELECT COUNT(*) FROM prediction"}
DISTINCT = {
    "rationales": "SELECT COUNT(DISTINCT scene_id || ':' || sample_index) FROM rationale",
    "predict": "SELECT COUNT(DISTINCT rationale_id) FROM prediction",
}
# requests per stored item: one rationale each; a prediction is one logprob call, or that plus the sampled answers
REQUESTS = {"rationales": ITEMS, "predict": ITEMS + (ITEMS // 2) * PREDICT_SAMPLES}


def _longest_open_transaction(engine, backend: str, workers: list[subprocess.Popen]) -> tuple[float, float, str]:
    """(seconds the oldest transaction of another session stayed open, idle or waiting on a lock; seconds the workers
    ran; that transaction's last statement), sampled every 0.1 s on PostgreSQL (0 on SQLite). A worker must never
    keep one open across its LLM calls: such a transaction would last about as long as the run."""
    worst, query, started = 0.0, "", time.monotonic()
    while any(worker.poll() is None for worker in workers):
        if backend == "postgresql":
            sql = (
                "SELECT EXTRACT(EPOCH FROM clock_timestamp() - xact_start), query FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
                "AND (state = 'idle in transaction' OR wait_event_type = 'Lock') ORDER BY 1 DESC LIMIT 1"
            )
            with Session(engine) as session:
                row = session.execute(text(sql)).first()
            if row is not None and float(row[0]) > worst:
                worst, query = float(row[0]), row[1]
        time.sleep(0.1)
    return worst, time.monotonic() - started, query


def _no_long_transaction(engine, backend: str, workers: list[subprocess.Popen]) -> None:
    worst, ran, query = _longest_open_transaction(engine, backend, workers)
    assert worst < max(2.0, ran / 2), (worst, ran, query)  # a fixed bound is flaky on a loaded machine


@pytest.mark.parametrize("stage", ["rationales", "predict"])
def test_two_workers_split_a_stage_and_pay_for_every_call_once(engine, db_path, session, server, stage, backend):
    _workspace(session, server, stage)
    server.pause()  # however slowly the second process starts, both hold claims before any answer comes
    first = _worker(db_path, stage)
    _wait_until(lambda: _claims(engine, 1) > 0, first, "first worker's claim")
    second = _worker(db_path, stage)
    _wait_until(lambda: _claims(engine, 2) > 0, second, "second worker's claim")
    server.resume()
    _no_long_transaction(engine, backend, [first, second])
    a, b = _report(first), _report(second)

    assert server.duplicates() == {}
    assert sum(server.body_counts.values()) == REQUESTS[stage]
    assert _count(engine, STORED[stage]) == _count(engine, DISTINCT[stage]) == ITEMS
    assert a["done"] > 0 and b["done"] > 0, (a, b)  # both did part of the work
    assert a["done"] + b["done"] == ITEMS
    for report in (a, b):
        assert report["failed"] == report["cached"] == 0
        assert report["done"] + report["elsewhere"] == report["total"]
    assert a["total"] == ITEMS and b["total"] <= ITEMS
    assert _count(engine, "SELECT COUNT(*) FROM run WHERE status = 'done'") == 2
    assert _count(engine, "SELECT COUNT(*) FROM workclaim WHERE settled_at IS NULL") == 0


def test_a_killed_worker_loses_and_duplicates_nothing(engine, db_path, session, server):
    _workspace(session, server, "rationales")
    first = _worker(db_path, "rationales", lease_seconds=600)  # only its gone pid can free its items so soon
    _wait_until(lambda: _count(engine, "SELECT COUNT(*) FROM rationale") >= 8, first, "first worker")
    server.pause()
    second = _worker(db_path, "rationales", lease_seconds=600)
    _wait_until(lambda: _claims(engine, 2) > 0, second, "second worker's claim")
    server.resume()
    _wait_until(lambda: _count(engine, "SELECT COUNT(*) FROM llmcall WHERE run_id = 2") >= 2, second, "second")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()
    b = _report(second)

    assert time.monotonic() - killed_at < 30  # the dead worker's items came back at once, not after its lease
    assert _count(engine, STORED["rationales"]) == _count(engine, DISTINCT["rationales"]) == ITEMS
    # Asked again, once: only what the killed worker had not yet stored — its calls in flight and the answers of its
    # last unflushed batch (batches.FLUSH_SECONDS at 10 answers/s) — never an answer it had logged and cached.
    again = server.duplicates()
    assert set(again.values()) <= {2} and len(again) <= CONCURRENCY + 5
    endpoint = Endpoint(name="slow", base_url=server.url, model="m")
    for body in map(json.loads, again):
        body.pop("model")
        key = cache_key(endpoint=endpoint, request=LlmRequest("x", body.pop("messages"), body))
        assert _count(engine, f"SELECT COUNT(*) FROM llmcall WHERE cache_key = '{key}' AND run_id = 1") == 0
        assert _count(engine, f"SELECT COUNT(*) FROM llmcall WHERE cache_key = '{key}' AND run_id = 2") == 1
    # Read under the server's lock: a killed worker's last request may be read by the (loaded) server only now.
    stats = server.stats()
    assert stats["distinct"] == ITEMS and stats["duplicates"] <= CONCURRENCY + 5
    assert b["failed"] == 0 and b["done"] + b["elsewhere"] == b["total"] and b["cached"] <= b["done"]
    # Each item the second worker stored is one call it made, or an answer the killed worker had logged but not yet
    # stored, read from the cache (no call, no row of run 2). How many of those depends on when the kill lands.
    ok_calls = _count(engine, "SELECT COUNT(*) FROM llmcall WHERE run_id = 2 AND status = 'ok'")
    assert b["done"] == ok_calls + b["cached"], (b, ok_calls)
    assert _count(engine, "SELECT COUNT(*) FROM run WHERE id = 1 AND status = 'interrupted'") == 1
    assert _count(engine, "SELECT COUNT(*) FROM workclaim WHERE settled_at IS NULL") == 0


def test_items_held_on_another_machine_come_back_when_its_lease_expires(engine, session, server, monkeypatch):
    from core.rationales import generate_rationales, rationale_key

    server.latency = 0.0
    _workspace(session, server, "rationales")
    monkeypatch.setenv("MIRROR_LEASE_SECONDS", "2")
    now = db_clock(session=session)
    other = Run(kind="rationales", host="another-machine", pid=1, work_from=now, alive_until=now + 1.5)
    session.add(other)
    session.commit()
    held = [rationale_key(scene_id=1, role="strong", index=i) for i in range(3)]
    session.add_all(WorkClaim(item_key=key, run_id=other.id, expires_at=now + 1.5) for key in held)
    session.commit()

    started = time.monotonic()
    report = generate_rationales(engine=engine, role="strong", endpoint="slow", n=N)
    assert time.monotonic() - started >= 1.0  # it waited for the other machine's lease, then took its items
    assert (report.total, report.done, report.failed, report.elsewhere) == (ITEMS, ITEMS, 0, 0)
    assert server.duplicates() == {} and sum(server.body_counts.values()) == ITEMS
    session.expire_all()
    assert session.get(Run, other.id).status == "interrupted"


def test_cached_counts_items_never_requests(engine, session, server):
    """A rerun answered from the cache counts each prediction once, however many sampled answers it took."""
    from core.predict import predict

    server.latency = 0.0
    _workspace(session, server, "predict")
    first = predict(engine=engine, role="strong", endpoint="slow")
    assert (first.total, first.done, first.cached, first.estimated) == (ITEMS, ITEMS, 0, ITEMS // 2)
    session.execute(text("DELETE FROM prediction"))
    session.commit()
    calls = sum(server.body_counts.values())
    again = predict(engine=engine, role="strong", endpoint="slow")
    assert (again.total, again.done, again.failed, again.cached) == (ITEMS, ITEMS, 0, ITEMS)
    assert again.summary("strong predictions") == (
        f"strong predictions: {ITEMS} done, 0 failed, {ITEMS} cached, of {ITEMS}, {ITEMS // 2} estimated by sampling"
    )
    assert sum(server.body_counts.values()) == calls


EVAL_LINE = re.compile(
    r"(?P<done>\d+) rows scored, (?P<skipped>\d+) scenes skipped \(prompt too long\), (?P<failed>\d+) failed, "
    r"(?P<cached>\d+) cached answers(?:, (?P<elsewhere>\d+) by other workers)?, of (?P<total>\d+) rows to do"
)


def test_two_evaluate_workers_split_one_run(engine, db_path, session, server, backend):
    """evaluate claims like the other stages: direct mode, one item per scene (its call serves every repeat)."""
    dataset = make_dataset(session, n_users=1)
    for k in range(SCENES):
        make_scene(session, dataset=dataset, split="eval", profile=f"user {k}", timestamp=1_700_000_000 + k)
    add_endpoint(
        session=session, endpoint=Endpoint(name="slow", base_url=server.url, model="m", concurrency=CONCURRENCY)
    )
    session.commit()
    args = ["--db", db_path, "evaluate", "--endpoint", "slow", "--mode", "direct", "--repeat", "3", "--name", "e"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def start() -> subprocess.Popen:
        command = [sys.executable, "-m", "core", *args]
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    server.pause()
    workers = [start(), start()]  # both start the same named run at once: one row, one configuration
    for run_id, worker in enumerate(workers, start=1):
        _wait_until(lambda run_id=run_id: _claims(engine, run_id) > 0, worker, f"worker {run_id}'s claim")
    server.resume()
    _no_long_transaction(engine, backend, workers)
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
        found = EVAL_LINE.search(out)
        assert found, out
        reports.append({name: int(value or 0) for name, value in found.groupdict().items()})

    assert server.duplicates() == {} and sum(server.body_counts.values()) == SCENES
    assert _count(engine, "SELECT COUNT(*) FROM evalrun") == 1
    assert _count(engine, "SELECT COUNT(*) FROM evalrow") == SCENES * 3
    assert all(r["done"] > 0 and r["failed"] == r["cached"] == 0 for r in reports), reports
    assert sum(r["done"] for r in reports) == SCENES * 3
    for r in reports:
        assert r["done"] + r["elsewhere"] == r["total"]


def test_claims_shrink_in_whole_waves_near_the_end_only_when_shared():
    from core.workers import next_claim

    alone = [next_claim(size=64, left=left, wave=16, shared=False) for left in (540, 100, 64, 28, 5)]
    assert alone == [64, 64, 64, 28, 5]
    shared = [next_claim(size=64, left=left, wave=16, shared=True) for left in (540, 256, 200, 128, 64, 28, 5)]
    assert shared == [64, 64, 64, 32, 16, 16, 5]
