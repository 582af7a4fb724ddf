"""Test an endpoint with one uncached call (the CLI's `endpoints test` and the Settings page)."""

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.llm.client import LlmRequest, run_requests
from core.llm.endpoints import open_endpoint
from storage.llm import calls_for_item

TEST_MESSAGES = [{"role": "user", "content": "Reply with the single word: ready"}]


def probe_endpoint(*, engine: Engine, name: str) -> tuple[bool, str]:
    """One uncached call; (ok, "NAME: ok in N ms, model M: 'reply'" or "NAME: failed after N ms: error").

    The latency is the logged call's own, so starting the embedded server is not counted.
    """
    request = LlmRequest(item_key=f"test:{name}", messages=TEST_MESSAGES, params={"max_tokens": 8}, stage="test")
    with open_endpoint(engine=engine, name=name) as endpoint:
        [result] = run_requests(engine=engine, endpoint=endpoint, requests=[request], use_cache=False)
    with Session(engine) as session:
        calls = calls_for_item(session=session, item_key=request.item_key)
        latency = calls[-1].latency_ms if calls else 0.0
    if not result.ok:
        return False, f"{name}: failed after {latency:.0f} ms: {result.error}"
    return True, f"{name}: ok in {latency:.0f} ms, model {endpoint.model}: {result.content!r}"
