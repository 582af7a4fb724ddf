"""Run many chat requests against one endpoint: cached, concurrent, retried, every attempt logged.

A request with a `prompt` goes to the raw completion endpoint instead (the chat template already applied, see
core/llm/chat_template.py); its messages are kept for the log.

The asyncio loop runs in a worker thread; the caller's thread writes finished results (call log + cache) in
batches and hands each batch to on_results, so a killed run loses at most one batch and a rerun resumes from
the cache without calling the endpoint again.
"""

import asyncio
import hashlib
import json
import queue
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Protocol

import httpx2
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.llm.batches import Sink, run_in_thread
from core.llm.endpoints import api_key, replica_urls
from core.llm.loop import LlmLoop
from core.llm.retry import BadReply, backoff_delay, classify, retry_after_seconds, scrub, transport_error
from core.progress import Progress
from storage.llm import cache_lookup
from storage.models import Endpoint

LOGPROB_TOKENS = 8  # first tokens whose logprobs are kept (prediction reads the first letter)
MAX_ERROR_CHARS = 500


class RequestSink(Protocol):
    """Where requests go instead of the endpoint (core.llm.batch_file.BatchOut collects them for a batch file)."""

    def add(self, *, endpoint: Endpoint, request: "LlmRequest", keys: tuple[str, str], run_id, units: set[str]) -> None:
        """Take one request not answered from the cache."""


@dataclass
class LlmRequest:
    """One chat request; item_key names what it is for (e.g. "rationale:12:strong:3"); unit names the stage's work
    item it serves when that is not item_key itself (one of several sampled answers for "predict:7:v1")."""

    item_key: str
    messages: list[dict]
    params: dict = field(default_factory=dict)
    scene_id: int | None = None
    stage: str | None = None
    unit: str | None = None
    prompt: str | None = None  # set: sent as this raw prompt to the completion endpoint, not as chat messages

    @property
    def sent(self) -> dict:
        """What goes to the server besides model and parameters."""
        return {"prompt": self.prompt} if self.prompt is not None else {"messages": self.messages}


@dataclass
class LlmResult:
    """The outcome for one request; logprobs = [{token, logprob, top_logprobs: [{token, logprob}]}]."""

    item_key: str
    ok: bool
    content: str | None = None
    logprobs: list[dict] | None = None
    usage: dict | None = None
    error: str | None = None
    cached: bool = False
    finish_reason: str | None = None  # "length" = cut at max_tokens


def request_body(*, model: str, request: LlmRequest) -> dict:
    """The JSON body of request as sent (and as a batch file holds it): extra_body's keys sit at the top level."""
    params = dict(request.params)
    extra = params.pop("extra_body", None) or {}
    return {"model": model, **request.sent, **params, **extra}


def _sha(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def server_identity(endpoint: Endpoint) -> str:
    """The server a cached answer came from: its base URL (the embedded model, which gets a new port every start,
    by its model file instead)."""
    return f"local:{endpoint.model}" if endpoint.kind == "local" else endpoint.base_url.rstrip("/")


def cache_key(*, endpoint: Endpoint, request: LlmRequest) -> str:
    """sha256 of the canonical JSON of everything that decides the answer: the server, the model, the parameters and
    what is sent (messages, or the raw prompt) — two servers reporting the same model name never share answers."""
    sent = {"server": server_identity(endpoint), "model": endpoint.model, "params": request.params, **request.sent}
    return _sha(sent)


def _text_logprobs(raw: dict) -> list[dict] | None:
    """The legacy completion logprobs ({tokens, token_logprobs, top_logprobs: [{token: logprob}]}) as chat ones."""
    tokens, values, tops = raw.get("tokens") or [], raw.get("token_logprobs") or [], raw.get("top_logprobs") or []
    return [
        {
            "token": token,
            "logprob": value,
            "top_logprobs": [{"token": t, "logprob": lp} for t, lp in (top or {}).items()],
        }
        for token, value, top in zip(tokens, values, tops, strict=False)
    ] or None


def extract(data, *, completion: bool = False) -> dict:
    """The cacheable parts of a chat.completion (or, completion=True, a text completion) body as plain dicts;
    BadReply when it is not one."""
    try:
        choice = data["choices"][0]
        content = choice["text"] if completion else choice["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        kind = "text completion" if completion else "chat completion"
        raise BadReply(f"reply is not a {kind}: {str(data)[:200]}") from exc
    if content is not None and not isinstance(content, str):
        raise BadReply("reply content is not text")
    logprobs = None
    raw = choice.get("logprobs") if isinstance(choice.get("logprobs"), dict) else {}
    tokens = raw.get("content")
    if completion and not tokens and raw.get("tokens"):
        tokens = _text_logprobs(raw)
    if tokens:
        logprobs = [
            {
                "token": tok.get("token"),
                "logprob": tok.get("logprob"),
                "top_logprobs": [
                    {"token": t.get("token"), "logprob": t.get("logprob")} for t in tok.get("top_logprobs") or []
                ],
            }
            for tok in tokens[:LOGPROB_TOKENS]
        ]
    usage = data.get("usage") or {}
    return {
        "content": content,
        "logprobs": logprobs,
        "usage": {"prompt_tokens": usage.get("prompt_tokens"), "completion_tokens": usage.get("completion_tokens")},
        "finish_reason": choice.get("finish_reason"),
    }


def call_row(
    *,
    endpoint: Endpoint,
    request: LlmRequest,
    run_id: int | None,
    error: str | None,
    usage: dict | None = None,
    latency_ms: float | None = None,
    keys: tuple[str, str] | None = None,
) -> dict:
    """One call-log row (an LlmCall) for an attempt at request: status "error" when error is given, else "ok".

    keys = (cache key, prompt hash) when the caller has them already; otherwise they are computed here.
    """
    usage = usage or {}
    key, prompt_hash = keys or (cache_key(endpoint=endpoint, request=request), _sha(request.sent))
    return {
        "run_id": run_id,
        "endpoint": endpoint.name,
        "model": endpoint.model,
        "params": request.params,
        "prompt_hash": prompt_hash,
        "cache_key": key,
        "item_key": request.item_key,
        "scene_id": request.scene_id,
        "stage": request.stage,
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens"),
        "latency_ms": latency_ms,
        "status": "ok" if error is None else "error",
        "error": error,
        "created_at": datetime.now(UTC),
    }


@dataclass
class _Job:
    key: str
    request: LlmRequest
    prompt_hash: str


@dataclass
class _Done:
    job: _Job
    calls: list[dict]
    response: dict | None
    error: str | None


class _Runner:
    """The async side: a pool of `concurrency` workers, each attempt logged to `calls`."""

    def __init__(self, *, endpoint: Endpoint, run_id: int | None, secrets: list[str]):
        self.endpoint = endpoint
        self.run_id = run_id
        self.secrets = secrets

    async def run(self, jobs: list[_Job], out: queue.SimpleQueue, llm: LlmLoop) -> None:
        """Run every job with `concurrency` workers on llm's clients, putting each _Done on `out` as it finishes.

        An endpoint served by several replicas gets one worker per replica, and each worker takes a whole scene's
        consecutive jobs at a time: the scene's prompt is then evaluated once, on one server, and the following
        requests of that scene reuse it from that server's prompt cache.
        """
        clients = [llm.client(self.endpoint, base_url=url) for url in replica_urls(self.endpoint)]
        if len(clients) == 1:
            pending = iter([job] for job in jobs)
            workers = max(1, min(self.endpoint.concurrency, len(jobs)))
            await asyncio.gather(*(self._worker(clients[0], pending, out) for _ in range(workers)))
        else:
            pending = (list(group) for _, group in groupby(jobs, key=lambda job: job.request.scene_id))
            await asyncio.gather(*(self._worker(client, pending, out) for client in clients))

    async def _worker(self, client, pending: Iterator[list[_Job]], out: queue.SimpleQueue) -> None:
        for group in pending:
            for job in group:
                out.put(await self._one(client, job))

    def _row(self, job: _Job, started: float, error: str | None, usage: dict | None) -> dict:
        return call_row(
            endpoint=self.endpoint,
            request=job.request,
            run_id=self.run_id,
            error=error,
            usage=usage,
            latency_ms=(time.monotonic() - started) * 1000.0,
            keys=(job.key, job.prompt_hash),
        )

    async def _one(self, client, job: _Job) -> _Done:
        calls: list[dict] = []
        request = job.request
        for attempt in range(self.endpoint.retries + 1):
            started = time.monotonic()
            try:
                # the client's plain POST: the same errors, timeouts and headers as completions.create, without
                # re-validating a body built here already (about a quarter of the CPU of a call)
                path = "/chat/completions" if request.prompt is None else "/completions"
                body = request_body(model=self.endpoint.model, request=request)
                raw = await client.post(path, body=body, cast_to=httpx2.Response)
                response = extract(raw.json(), completion=request.prompt is not None)
            except Exception as raised:  # every failure is logged; only transient ones are retried
                exc = transport_error(raised)
                status, retryable = classify(exc)
                error = scrub(f"{status}: {type(exc).__name__}: {exc}", self.secrets)[:MAX_ERROR_CHARS]
                calls.append(self._row(job, started, error, None))
                if not retryable or attempt == self.endpoint.retries:
                    return _Done(job, calls, None, error)
                await asyncio.sleep(backoff_delay(attempt, retry_after_seconds(exc)))
                continue
            calls.append(self._row(job, started, None, response["usage"]))
            return _Done(job, calls, response, None)
        raise AssertionError("unreachable")


def _result(request: LlmRequest, response: dict | None, error: str | None, cached: bool) -> LlmResult:
    if response is None:
        return LlmResult(item_key=request.item_key, ok=False, error=error)
    return LlmResult(
        item_key=request.item_key,
        ok=True,
        content=response.get("content"),
        logprobs=response.get("logprobs"),
        usage=response.get("usage"),
        cached=cached,
        finish_reason=response.get("finish_reason"),
    )


def run_requests(
    *,
    engine: Engine,
    endpoint: Endpoint,
    requests: list[LlmRequest],
    run_id: int | None = None,
    on_results: Callable[[list[LlmResult]], None] | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
    batch_out: RequestSink | None = None,
    llm: LlmLoop | None = None,
) -> list[LlmResult]:
    """Results in request order; cached ones make no call; on_results(batch) runs in this thread per batch.

    use_cache=False skips the cache lookup (every request is called) and overwrites the cached answers.
    Identical (model, params, messages) share one call: vary params (e.g. "seed") for independent samples.
    batch_out: the requests not answered from the cache go to this batch file instead of the endpoint (no call, no
    key needed; their results stay None). llm: the stage's loop and client to run on (core/llm/loop.py); without
    one a loop is started for this call and closed after it.
    """
    keys = [cache_key(endpoint=endpoint, request=r) for r in requests]
    by_key: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        by_key.setdefault(key, []).append(index)
    cached: dict[str, dict] = {}
    if use_cache:
        with Session(engine) as session:
            cached = cache_lookup(session=session, keys=list(by_key))
    results: list[LlmResult | None] = [None] * len(requests)
    bar = progress.bar(total=len(requests), label=f"LLM {endpoint.name}") if progress else None
    sink = Sink(engine=engine, results=results, on_results=on_results, bar=bar, replace_cache=not use_cache)
    try:
        for key, indices in by_key.items():
            if key in cached:
                sink.add([(i, _result(requests[i], cached[key], None, True)) for i in indices])
        sink.flush()
        jobs = [_Job(key, requests[idx[0]], _sha(requests[idx[0]].sent)) for key, idx in by_key.items()]
        jobs = [job for job in jobs if job.key not in cached]
        if batch_out is not None:
            for job in jobs:
                units = {requests[i].unit or requests[i].item_key for i in by_key[job.key]}
                keys_ = (job.key, job.prompt_hash)
                batch_out.add(endpoint=endpoint, request=job.request, keys=keys_, run_id=run_id, units=units)
            jobs = []

        def handle(done: _Done) -> None:
            indexed = [(i, _result(requests[i], done.response, done.error, False)) for i in by_key[done.job.key]]
            row = {"key": done.job.key, "response": done.response} if done.response is not None else None
            sink.add(indexed, done.calls, row)

        if jobs:
            secrets = [api_key(endpoint)] if endpoint.api_key_env else []
            runner = _Runner(endpoint=endpoint, run_id=run_id, secrets=secrets)
            with nullcontext(llm) if llm is not None else LlmLoop() as loop:
                run_in_thread(lambda out: runner.run(jobs, out, loop), handle=handle, sink=sink, loop=loop)
    finally:
        if bar:
            bar.close()
    return results  # type: ignore[return-value]
