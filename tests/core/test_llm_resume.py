"""A run killed with SIGKILL mid-way resumes from the cache: no item lost, none logged twice."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import Session

from core.llm.batches import BATCH_SIZE
from core.llm.client import LlmRequest, run_requests
from storage.db import get_engine
from storage.llm import add_endpoint
from storage.models import Endpoint
from tests.fault_server import fault_server  # noqa: F401  (fixture)

ITEMS = 600
CONCURRENCY = 4
SCRIPT = """
import sys
from core.llm.client import LlmRequest, run_requests
from core.settings import load_settings
from storage.db import get_engine
from storage.models import Endpoint
endpoint = Endpoint(name="fault", base_url=sys.argv[1], model="fault-model", concurrency=4, timeout=5, retries=0)
requests = [LlmRequest(item_key=f"k{i}", messages=[{"role": "user", "content": f"n{i}"}]) for i in range(600)]
run_requests(engine=get_engine(load_settings().db), endpoint=endpoint, requests=requests)
"""


def count(db_path: str, sql: str) -> int:
    with get_engine(db_path).connect() as conn:
        return conn.exec_driver_sql(sql).scalar_one()


def test_sigkill_then_rerun_loses_nothing_and_logs_each_item_once(engine, db_path, fault_server):  # noqa: F811
    fault_server.latency = 0.01
    with Session(engine) as session:
        add_endpoint(session=session, endpoint=Endpoint(name="fault", base_url=fault_server.url, model="fault-model"))
        session.commit()
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "MIRROR_DB": db_path, "PYTHONPATH": str(root)}
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, fault_server.url], env=env, cwd=root)
    deadline = time.monotonic() + 60
    while count(db_path, "SELECT count(*) FROM llmcache") < BATCH_SIZE and time.monotonic() < deadline:
        assert child.poll() is None, "the run finished before it could be killed"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    done_before = count(db_path, "SELECT count(*) FROM llmcache")
    assert BATCH_SIZE <= done_before < ITEMS

    endpoint = Endpoint(name="fault", base_url=fault_server.url, model="fault-model", concurrency=CONCURRENCY)
    requests = [LlmRequest(item_key=f"k{i}", messages=[{"role": "user", "content": f"n{i}"}]) for i in range(ITEMS)]
    results = run_requests(engine=engine, endpoint=endpoint, requests=requests)

    assert all(r.ok for r in results)
    assert sum(r.cached for r in results) == done_before
    assert count(db_path, "SELECT count(*) FROM llmcache") == ITEMS
    assert count(db_path, "SELECT count(*) FROM llmcall WHERE status = 'ok'") == ITEMS
    assert count(db_path, "SELECT count(DISTINCT item_key) FROM llmcall") == ITEMS
    # only calls in flight or in the unflushed batch at the kill are made twice
    assert 0 <= fault_server.counts["default"] - ITEMS <= BATCH_SIZE + CONCURRENCY
