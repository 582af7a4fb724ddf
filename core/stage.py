"""Stage plumbing shared by the LLM stages (core/rationales.py, core/predict.py, evaluation): the run record, the
endpoint and dataset they resolve, the claim loop that lets several workers split a stage (core/workers.py), and a
request runner that stores each finished batch at once and records an unusable answer against its item (and, when it
came from the cache, asks for it again live once).

A stage hands tracked_run its work query, the key of an item and a body(ctx, chunk); the body builds the chunk's
requests and runs them with run_stage(ctx=ctx, ...). Everything else — leases, counts, progress, the run record —
happens here, so every stage gets it by using this module.
"""

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.choices import LOCAL, STAGE_SPLITS
from core.errors import BadInput, NotFound
from core.llm.batch_file import BatchOut
from core.llm.client import LlmRequest, LlmResult, call_row, run_requests
from core.llm.endpoints import api_key, find_endpoint, open_endpoint
from core.llm.loop import LlmLoop
from core.progress import Bar, Progress
from core.settings import load_settings
from core.workers import Heartbeat, claim_size, claimed_chunks
from storage.claims import begin_work, forget_settled
from storage.constants import ANY
from storage.datasets import get_dataset
from storage.llm import insert_calls
from storage.models import Endpoint
from storage.runs import finish_run, interrupt_dead_runs, start_run, update_run
from storage.status import refresh_counts

T = TypeVar("T")


@dataclass
class StageReport:
    """Counts of one run, in items: total = done + failed + elsewhere. cached = done items that needed no call;
    elsewhere = items another worker on the same stage finished meanwhile (so this one left them, or found them
    stored when it came to store them)."""

    total: int = 0
    done: int = 0
    failed: int = 0
    cached: int = 0
    estimated: int = 0
    elsewhere: int = 0
    run_id: int | None = None
    batched: int = 0  # --batch-out: items whose requests went to the batch file (neither done nor failed)
    batch_lines: int = 0
    batch_path: str | None = None

    def summary(self, label: str) -> str:
        counts = f"{self.done} done, {self.failed} failed, {self.cached} cached"
        if self.elsewhere:
            counts += f", {self.elsewhere} by other workers"
        extra = f", {self.estimated} estimated by sampling" if self.estimated else ""
        if self.batch_path is not None:
            extra += f"; {self.batched} written to {self.batch_path} as {self.batch_lines} requests"
        return f"{label}: {counts}, of {self.total}{extra}"


@dataclass
class StageContext:
    """What a stage body runs under: the database, the ready endpoint, the run's report and progress bar.

    While a chunk runs it notes which items (LlmRequest.unit) got an answer and which needed a live call, so the
    report counts cached *items*, never more than it has.
    """

    engine: Engine
    endpoint: Endpoint
    report: StageReport
    bar: Bar | None = None
    batch: BatchOut | None = None  # --batch-out: requests go to this file, not to the endpoint
    llm: LlmLoop | None = None  # the run's event loop and client, shared by its chunks
    _answered: set[str] = field(default_factory=set)
    _live: set[str] = field(default_factory=set)
    _elsewhere: int = 0

    def note(self, results: list[LlmResult], requests: dict[str, LlmRequest]) -> None:
        """Record the items these results belong to (and which were called live); move the bar per new item."""
        units = {(requests[r.item_key].unit or r.item_key, r.cached) for r in results}
        new = {unit for unit, _ in units} - self._answered
        self._answered |= new
        self._live |= {unit for unit, cached in units if not cached}
        if self.bar and new:
            self.bar.update(len(new))

    def open_chunk(self) -> None:
        """Start noting a new chunk."""
        self._answered, self._live, self._elsewhere = set(), set(), self.report.elsewhere

    def close_chunk(self, keys: list[str]) -> None:
        """Count the chunk's items stored without any live call as cached.

        An item the stage found already stored (by a worker that died before settling it) was answered from the
        cache that worker filled first; it counts as elsewhere, not as cached here.
        """
        answered = sum(1 for key in keys if key in self._answered and key not in self._live)
        self.report.cached += max(0, answered - (self.report.elsewhere - self._elsewhere))


@contextmanager
def endpoint_for(*, engine: Engine, endpoint: Endpoint | str) -> Iterator[Endpoint]:
    """A ready endpoint: an Endpoint is used as is, a name is opened (starting the embedded model for `local`)."""
    if isinstance(endpoint, str):
        with open_endpoint(engine=engine, name=endpoint) as ready:
            yield ready
    else:
        yield endpoint


def dataset_id_for(*, session: Session, name: str | None) -> int | None:
    """The id of the named dataset (None for all datasets); NotFound for an unknown name."""
    if name is None:
        return None
    dataset = get_dataset(session=session, name=name)
    if dataset is None:
        raise NotFound(f"unknown dataset {name!r}")
    return dataset.id


def split_filter(split: str) -> str | None:
    """The scene split a stage works on (None = any); BadInput for an unknown value."""
    if split not in STAGE_SPLITS:
        raise BadInput(f"unknown split {split!r}; use one of: {', '.join(STAGE_SPLITS)}")
    return None if split == ANY else split


# on_batch(session, results) stores what it can and returns the unusable answers with the reason for each.
BatchHandler = Callable[[Session, list[LlmResult]], list[tuple[LlmResult, str]]]


def run_stage(*, ctx: StageContext, requests: list[LlmRequest], on_batch: BatchHandler) -> None:
    """Run requests on ctx's endpoint, storing each batch in one transaction (on_batch) and counting into ctx."""
    by_key = {request.item_key: request for request in requests}
    retry: list[LlmRequest] = []
    run_id, endpoint = ctx.report.run_id, ctx.endpoint

    def handler(final: bool) -> Callable[[list[LlmResult]], None]:
        def on_results(batch: list[LlmResult]) -> None:
            ctx.note(batch, by_key)
            with Session(ctx.engine) as session:
                failures = []
                for result, reason in on_batch(session, batch):
                    if result.cached and not final:  # a stale bad answer: ask again once, live
                        retry.append(by_key[result.item_key])
                    else:
                        request = by_key[result.item_key]
                        error = f"invalid answer: {reason}"
                        failures.append(call_row(endpoint=endpoint, request=request, run_id=run_id, error=error))
                insert_calls(session=session, rows=failures)
                session.commit()
                if run_id is not None:
                    update_run(session=session, run_id=run_id, done=ctx.report.done)

        return on_results

    common = {"engine": ctx.engine, "endpoint": endpoint, "run_id": run_id, "batch_out": ctx.batch, "llm": ctx.llm}
    run_requests(requests=requests, on_results=handler(False), **common)
    if retry:
        run_requests(requests=retry, on_results=handler(True), use_cache=False, **common)


def _check_endpoint(*, engine: Engine, endpoint: Endpoint | str, batch: bool) -> str:
    """The endpoint's name; an unknown name or an unset key (not needed for a batch file) fails here, before any run
    row is written."""
    if batch and endpoint == LOCAL:
        raise BadInput("--batch-out writes requests for a stored endpoint (its model); `local` runs here, call it")
    if isinstance(endpoint, str) and endpoint != LOCAL:
        found = find_endpoint(engine=engine, name=endpoint)
        if not batch:
            api_key(found)
    return endpoint if isinstance(endpoint, str) else endpoint.name


@contextmanager
def _ready(*, engine: Engine, endpoint: Endpoint | str, batch: bool) -> Iterator[Endpoint]:
    """The endpoint to run on; for a batch file only its row (nothing is called, the embedded model never starts)."""
    if batch and isinstance(endpoint, str):
        yield find_endpoint(engine=engine, name=endpoint)
    else:
        with endpoint_for(engine=engine, endpoint=endpoint) as ready:
            yield ready


def _batch_chunks(*, ctx: StageContext, items: list[T], key: Callable[[T], str], body) -> None:
    """body(ctx, chunk) over all items, unclaimed: a batch file only writes requests, other workers may call them."""
    size = claim_size(ctx.endpoint.concurrency) * 8
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        ctx.open_chunk()
        body(ctx, chunk)
        ctx.close_chunk([key(item) for item in chunk])


def _claim_and_run(
    *, ctx: StageContext, items: list[T], key: Callable[[T], str], since: float, lease_seconds: float, body
) -> None:
    """body(ctx, chunk) over the chunks of items this worker claims, its leases renewed meanwhile."""
    report, bar = ctx.report, ctx.bar

    def elsewhere(n: int) -> None:
        report.elsewhere += n
        if bar:
            bar.update(n)

    chunks = claimed_chunks(
        engine=ctx.engine,
        run_id=report.run_id,
        items=items,
        key=key,
        size=claim_size(ctx.endpoint.concurrency),
        since=since,
        lease_seconds=lease_seconds,
        on_settled_elsewhere=elsewhere,
    )
    with Heartbeat(engine=ctx.engine, run_id=report.run_id, lease_seconds=lease_seconds), contextlib.closing(chunks):
        for chunk in chunks:
            ctx.open_chunk()
            body(ctx, chunk)
            ctx.close_chunk([key(item) for item in chunk])


def tracked_run(
    *,
    engine: Engine,
    endpoint: Endpoint | str,
    kind: str,
    dataset_id: int | None,
    params: dict,
    work: Callable[[Session], list[T]],
    key: Callable[[T], str],
    label: str,
    body: Callable[[StageContext, list[T]], None],
    progress: Progress | None = None,
    batch_out: str | Path | None = None,
) -> StageReport:
    """Record a Run, read its work (work(session)) and run body(ctx, chunk) over the chunks of it this worker claims.

    Other workers on the same stage and database claim the rest; items one of them finishes during this run are
    counted as `elsewhere`; the items of a worker that died come back to the living ones. The endpoint (maybe the
    embedded model) opens only if there is work. batch_out: the requests not answered from the cache are written to
    that OpenAI Batch API file instead of being called (core/llm/batch_file.py); their items count as batched.
    """
    name = _check_endpoint(engine=engine, endpoint=endpoint, batch=batch_out is not None)
    batch = BatchOut.open(engine=engine, path=batch_out) if batch_out is not None else None
    lease_seconds = load_settings().lease_seconds
    with Session(engine, expire_on_commit=False) as session:
        interrupt_dead_runs(session=session)
        run = start_run(session=session, kind=kind, dataset_id=dataset_id, params={**params, "endpoint": name})
        report = StageReport(run_id=run.id)
        try:
            since = begin_work(session=session, run_id=run.id, lease_seconds=lease_seconds)
            items = work(session)  # read after work_from: nothing settled from here on can be missed
            report.total = len(items)
            update_run(session=session, run_id=run.id, total=report.total)
            if items:
                bar = progress.bar(total=report.total, label=label) if progress else None
                with _ready(engine=engine, endpoint=endpoint, batch=batch is not None) as ready, bar or nullcontext():
                    ctx = StageContext(engine=engine, endpoint=ready, report=report, bar=bar, batch=batch)
                    if batch is not None:
                        _batch_chunks(ctx=ctx, items=items, key=key, body=body)
                    else:
                        lease = {"since": since, "lease_seconds": lease_seconds}
                        with LlmLoop() as ctx.llm:
                            _claim_and_run(ctx=ctx, items=items, key=key, body=body, **lease)
            if batch is not None:
                report.batch_lines = batch.write(engine=engine)
                report.batch_path = str(batch.path)
                report.batched = len(batch.units & {key(item) for item in items})
        except BaseException as exc:
            finish_run(session=session, run_id=run.id, status="failed", message=str(exc) or type(exc).__name__)
            raise
        report.failed = report.total - report.done - report.elsewhere - report.batched
        update_run(session=session, run_id=run.id, done=report.done, failed=report.failed)
        finish_run(session=session, run_id=run.id, message=report.summary(label))
        refresh_counts(conn=session.connection())  # so `status` finds the counts ready
        session.commit()
        with contextlib.suppress(Exception):  # housekeeping only
            forget_settled(session=session)
    return report
