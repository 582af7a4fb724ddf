"""run_requests against the fault-injecting loopback server: retries, logging, cache, resume, no secrets."""

import asyncio
import logging
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

import core.llm.retry as retry
from core.errors import BadInput, NotFound
from core.llm.client import LlmRequest, run_requests
from core.llm.endpoints import open_endpoint
from core.progress import Progress
from storage.dialect import table_names
from storage.llm import add_endpoint, call_stats, calls_for_item, failed_item_keys
from storage.models import Endpoint, LlmCache
from tests.fault_server import fault_server  # noqa: F401  (fixture)

SECRET = "sk-test-7f3a9c1e5b2d4680aa"
MARKERS = ["429", "500", "hang", "close", "badjson", "nologprobs", "letter=Z", "fail-once", "echo-auth", "plain"]
DEFAULT_LOGPROBS = [
    {
        "token": "B",
        "logprob": -0.1,
        "top_logprobs": [
            {"token": "B", "logprob": -0.1},
            {"token": "A", "logprob": -2.0},
            {"token": "C", "logprob": -4.0},
            {"token": "D", "logprob": -5.0},
        ],
    }
]


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(retry, "BACKOFF_BASE", 0.01)
    monkeypatch.setenv("FAULT_TEST_KEY", SECRET)


@pytest.fixture
def endpoint(engine, fault_server):  # noqa: F811
    with Session(engine) as session:
        row = Endpoint(
            name="fault",
            base_url=fault_server.url,
            model="fault-model",
            api_key_env="FAULT_TEST_KEY",
            concurrency=4,
            timeout=0.5,
            retries=2,
        )
        add_endpoint(session=session, endpoint=row)
        session.commit()
    fault_server.hang_seconds = 2.0
    with open_endpoint(engine=engine, name="fault") as opened:
        yield opened


def requests_for(markers: list[str], prefix: str = "q") -> list[LlmRequest]:
    return [
        LlmRequest(
            item_key=f"item:{marker}",
            messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": f"{prefix} FAULT:{marker}"}],
            params={"max_tokens": 1, "logprobs": True, "top_logprobs": 4},
            stage="predict",
        )
        for marker in markers
    ]


def statuses(engine, item_key: str) -> list[str]:
    with Session(engine) as session:
        return [call.status for call in calls_for_item(session=session, item_key=item_key)]


def test_every_fault_completes_and_is_recorded_against_its_item(engine, endpoint, fault_server):  # noqa: F811
    results = run_requests(engine=engine, endpoint=endpoint, requests=requests_for(MARKERS), run_id=None)

    by_key = {r.item_key: r for r in results}
    assert [r.item_key for r in results] == [f"item:{m}" for m in MARKERS]
    assert {k for k, r in by_key.items() if r.ok} == {
        "item:nologprobs",
        "item:letter=Z",
        "item:fail-once",
        "item:plain",
    }
    assert by_key["item:plain"].content == "B"
    assert by_key["item:plain"].logprobs == DEFAULT_LOGPROBS
    assert by_key["item:plain"].usage == {"prompt_tokens": 11, "completion_tokens": 1}
    assert by_key["item:plain"].finish_reason == "stop"
    assert by_key["item:nologprobs"].logprobs is None
    assert by_key["item:letter=Z"].content == "Z"
    assert by_key["item:letter=Z"].logprobs[0]["token"] == "Z"
    assert by_key["item:429"].error.startswith("http_429: RateLimitError")
    assert by_key["item:500"].error.startswith("http_500: InternalServerError")
    assert by_key["item:hang"].error == "timeout: APITimeoutError: Request timed out."
    assert by_key["item:close"].error == "connection: APIConnectionError: Connection error."
    assert by_key["item:badjson"].error.startswith("bad_reply: JSONDecodeError")

    # retryable faults: 1 + 2 retries; a 400 is not retried; fail-once succeeds on its second attempt
    expected = {"429": 3, "500": 3, "hang": 3, "close": 3, "badjson": 3, "echo-auth": 1, "fail-once": 2}
    expected |= {"nologprobs": 1, "letter=Z": 1, "plain": 1}
    assert dict(fault_server.counts) == expected
    succeeded = ("nologprobs", "letter=Z", "fail-once", "plain")
    for marker, count in expected.items():
        last = "ok" if marker in succeeded else "error"
        assert statuses(engine, f"item:{marker}") == ["error"] * (count - 1) + [last]
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(LlmCache)).scalar_one() == 4
        assert failed_item_keys(session=session) == {
            f"item:{m}" for m in ("429", "500", "hang", "close", "badjson")
        } | {"item:echo-auth"}
        stats = call_stats(session=session)
        call = calls_for_item(session=session, item_key="item:plain")[0]
    assert [(s["endpoint"], s["calls"], s["failures"], s["prompt_tokens"]) for s in stats] == [("fault", 21, 17, 44)]
    assert (call.endpoint, call.model, call.stage, call.prompt_tokens, call.completion_tokens) == (
        "fault",
        "fault-model",
        "predict",
        11,
        1,
    )
    assert call.params == {"max_tokens": 1, "logprobs": True, "top_logprobs": 4}
    assert len(call.prompt_hash) == 64 and call.latency_ms > 0


def test_retry_after_is_honoured(engine, endpoint, fault_server):  # noqa: F811
    fault_server.retry_after = "1"
    started = time.monotonic()
    [result] = run_requests(engine=engine, endpoint=endpoint, requests=requests_for(["429-once"]))
    elapsed = time.monotonic() - started
    assert result.ok and fault_server.counts["429-once"] == 2
    assert 1.0 <= elapsed < 2.5
    assert statuses(engine, "item:429-once") == ["error", "ok"]


def test_rerun_calls_only_failed_items(engine, endpoint, fault_server):  # noqa: F811
    endpoint.retries = 0
    markers = ["fail-once", "plain", "letter=C", "500"]
    first = run_requests(engine=engine, endpoint=endpoint, requests=requests_for(markers))
    assert [r.ok for r in first] == [False, True, True, False]
    assert dict(fault_server.counts) == {"fail-once": 1, "plain": 1, "letter=C": 1, "500": 1}

    second = run_requests(engine=engine, endpoint=endpoint, requests=requests_for(markers))
    assert [(r.ok, r.cached) for r in second] == [(True, False), (True, True), (True, True), (False, False)]
    assert second[1].logprobs == DEFAULT_LOGPROBS and second[2].content == "C"
    assert dict(fault_server.counts) == {"fail-once": 2, "plain": 1, "letter=C": 1, "500": 2}

    third = run_requests(engine=engine, endpoint=endpoint, requests=requests_for(markers[:3]))
    assert all(r.ok and r.cached for r in third)
    assert dict(fault_server.counts) == {"fail-once": 2, "plain": 1, "letter=C": 1, "500": 2}
    assert statuses(engine, "item:fail-once") == ["error", "ok"]


def test_results_arrive_in_batches_in_the_callers_thread(engine, endpoint, fault_server):  # noqa: F811
    endpoint.concurrency = 16
    requests = [LlmRequest(item_key=f"k{i}", messages=[{"role": "user", "content": f"n{i}"}]) for i in range(450)]
    seen: list[tuple[int, list[str]]] = []

    def on_results(batch):
        with Session(engine) as session:  # what was handed over is already in the cache
            stored = session.execute(select(func.count()).select_from(LlmCache)).scalar_one()
        assert stored >= sum(len(keys) for _, keys in seen) + len(batch)
        seen.append((threading.get_ident(), [r.item_key for r in batch]))

    results = run_requests(engine=engine, endpoint=endpoint, requests=requests, on_results=on_results)
    delivered = [key for _, keys in seen for key in keys]
    assert sorted(delivered) == sorted(f"k{i}" for i in range(450))
    assert {ident for ident, _ in seen} == {threading.get_ident()}
    assert max(len(keys) for _, keys in seen) <= 200
    assert [r.item_key for r in results] == [f"k{i}" for i in range(450)]
    assert fault_server.counts["default"] == 450

    seen.clear()
    rerun = run_requests(engine=engine, endpoint=endpoint, requests=requests, on_results=on_results)
    assert all(r.cached for r in rerun) and len([k for _, keys in seen for k in keys]) == 450
    assert fault_server.counts["default"] == 450


def test_works_inside_a_running_event_loop_and_dedupes_identical_requests(engine, endpoint, fault_server):  # noqa: F811
    same = [{"role": "user", "content": "twice"}]
    requests = [LlmRequest(item_key="a", messages=same), LlmRequest(item_key="b", messages=same)]

    async def inside_loop():
        return run_requests(engine=engine, endpoint=endpoint, requests=requests)

    results = asyncio.run(inside_loop())
    assert [(r.item_key, r.ok, r.content) for r in results] == [("a", True, "B"), ("b", True, "B")]
    assert fault_server.counts["default"] == 1


def test_api_key_never_reaches_database_or_logs(engine, db_path, endpoint, fault_server, caplog, capsys):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    results = run_requests(engine=engine, endpoint=endpoint, requests=requests_for(["echo-auth", "500", "plain"]))
    assert fault_server.auth == {f"Bearer {SECRET}"}  # the key was really sent
    assert results[0].error.startswith("http_400") and "Bearer ***" in results[0].error
    with engine.connect() as conn:
        errors = [row[0] for row in conn.execute(text("SELECT error FROM llmcall WHERE error IS NOT NULL"))]
        every_row = "".join(str(conn.exec_driver_sql(f'SELECT * FROM "{t}"').all()) for t in table_names(conn)).encode()
    engine.dispose()
    files = Path(db_path).parent.glob("mirror.db*") if "://" not in db_path else []
    stored = b"".join(p.read_bytes() for p in files) + every_row
    assert len(errors) == 4 and all("***" in e for e in errors if e.startswith("http_400"))
    captured = capsys.readouterr()
    for blob in (stored, caplog.text.encode(), captured.out.encode(), captured.err.encode()):
        assert SECRET.encode() not in blob
        assert SECRET[3:].encode() not in blob


def test_missing_key_variable_and_unknown_endpoint_are_bad_input(engine, endpoint, monkeypatch):
    monkeypatch.delenv("FAULT_TEST_KEY")
    message = r"^environment variable FAULT_TEST_KEY \(the API key of endpoint 'fault'\) is not set$"
    with pytest.raises(BadInput, match=message), open_endpoint(engine=engine, name="fault"):
        pass
    with pytest.raises(NotFound, match="unknown endpoint 'nope'"), open_endpoint(engine=engine, name="nope"):
        pass


def test_error_in_on_results_stops_the_run_and_keeps_finished_work(engine, endpoint, fault_server):  # noqa: F811
    endpoint.concurrency = 2
    fault_server.latency = 0.02
    requests = [LlmRequest(item_key=f"k{i}", messages=[{"role": "user", "content": f"n{i}"}]) for i in range(300)]

    def on_results(batch):
        raise RuntimeError(f"disk full after {len(batch)}")

    with pytest.raises(RuntimeError, match=r"^disk full after \d+$"):
        run_requests(engine=engine, endpoint=endpoint, requests=requests, on_results=on_results)
    time.sleep(0.2)
    made = fault_server.counts["default"]
    assert made < 300  # cancelled, not run to the end
    with Session(engine) as session:
        cached = session.execute(select(func.count()).select_from(LlmCache)).scalar_one()
    assert 1 <= cached <= made
    time.sleep(0.3)
    assert fault_server.counts["default"] == made


def test_progress_reports_every_result(engine, endpoint, fault_server):  # noqa: F811
    ticks: list[tuple[int, int, str]] = []
    progress = Progress(callback=lambda done, total, label: ticks.append((done, total, label)), show_bar=False)
    requests = requests_for(["plain", "letter=A", "500"])
    run_requests(engine=engine, endpoint=endpoint, requests=requests, progress=progress)
    assert ticks[-1] == (3, 3, "LLM fault")


def test_no_key_endpoint_sends_none(engine, fault_server):  # noqa: F811
    plain = Endpoint(name="open", base_url=fault_server.url, model="m", retries=0)
    [result] = run_requests(engine=engine, endpoint=plain, requests=requests_for(["500"]))
    assert fault_server.auth == {"Bearer none"}
    assert result.error == "http_500: InternalServerError: Error code: 500 - boom"


def test_uncached_run_calls_again_and_replaces_the_cached_answer(engine, endpoint, fault_server):  # noqa: F811
    requests = [LlmRequest(item_key="x", messages=[{"role": "user", "content": "again"}])]
    fault_server.responder = lambda body: "A"
    assert run_requests(engine=engine, endpoint=endpoint, requests=requests)[0].content == "A"
    fault_server.responder = lambda body: "C"
    assert run_requests(engine=engine, endpoint=endpoint, requests=requests)[0].content == "A"
    fresh = run_requests(engine=engine, endpoint=endpoint, requests=requests, use_cache=False)[0]
    assert (fresh.content, fresh.cached) == ("C", False)
    again = run_requests(engine=engine, endpoint=endpoint, requests=requests)[0]
    assert (again.content, again.cached) == ("C", True)
    assert fault_server.counts["default"] == 2


def test_calls_go_through_the_aiohttp_transport(endpoint):
    import openai

    from core.llm.endpoints import endpoint_client

    # the cheaper transport (core/llm/endpoints.py); a silent fall back to httpx2's would cost a worker a third more CPU
    assert isinstance(endpoint_client(endpoint)._client, openai.DefaultAioHttpClient)


def test_a_refused_connection_is_a_connection_error_retried_and_logged(engine):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = Endpoint(name="closed", base_url=f"http://127.0.0.1:{port}/v1", model="m", retries=1, timeout=5)
    [result] = run_requests(engine=engine, endpoint=closed, requests=requests_for(["plain"]))
    assert result.error == "connection: APIConnectionError: Connection error."
    assert statuses(engine, "item:plain") == ["error", "error"]
