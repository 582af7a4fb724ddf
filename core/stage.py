"""Stage plumbing shared by the LLM stages (core/rationales.py, core/predict.py): the run record, the endpoint and
dataset they resolve, and a request runner that stores each finished batch at once and records an unusable answer
against its item (and, when it came from the cache, asks for it again live once).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.choices import LOCAL, STAGE_SPLITS
from core.errors import BadInput, NotFound
from core.llm.client import LlmRequest, LlmResult, call_row, run_requests
from core.llm.endpoints import api_key, find_endpoint, open_endpoint
from core.progress import Progress
from storage.constants import ANY
from storage.datasets import get_dataset
from storage.llm import insert_calls
from storage.models import Endpoint
from storage.runs import finish_run, start_run, update_run
from storage.status import refresh_counts


@dataclass
class StageReport:
    """Counts of one run: items to do, stored, failed (recorded in the call log), answered from the cache."""

    total: int = 0
    done: int = 0
    failed: int = 0
    cached: int = 0
    estimated: int = 0
    run_id: int | None = None

    def summary(self, label: str) -> str:
        extra = f", {self.estimated} estimated by sampling" if self.estimated else ""
        return f"{label}: {self.done} done, {self.failed} failed, {self.cached} cached, of {self.total}{extra}"


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


def run_stage(
    *,
    engine: Engine,
    endpoint: Endpoint,
    requests: list[LlmRequest],
    run_id: int | None,
    on_batch: BatchHandler,
    progress: Progress | None,
    done: Callable[[], int],
) -> int:
    """Run requests, storing each batch in one transaction; returns how many answers came from the cache."""
    by_key = {request.item_key: request for request in requests}
    retry: list[LlmRequest] = []
    cached = 0

    def handler(final: bool) -> Callable[[list[LlmResult]], None]:
        def on_results(batch: list[LlmResult]) -> None:
            nonlocal cached
            cached += sum(result.cached for result in batch) if not final else 0
            with Session(engine) as session:
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
                    update_run(session=session, run_id=run_id, done=done())

        return on_results

    common = {"engine": engine, "endpoint": endpoint, "run_id": run_id, "progress": progress}
    run_requests(requests=requests, on_results=handler(False), **common)
    if retry:
        run_requests(requests=retry, on_results=handler(True), use_cache=False, **common)
    return cached


def tracked_run(
    *,
    engine: Engine,
    endpoint: Endpoint | str,
    kind: str,
    dataset_id: int | None,
    params: dict,
    total: int,
    label: str,
    body: Callable[[Endpoint, StageReport], None],
) -> StageReport:
    """Record a Run around body(endpoint, report); the endpoint (maybe the embedded model) opens only if total > 0."""
    if isinstance(endpoint, str) and endpoint != LOCAL:
        api_key(find_endpoint(engine=engine, name=endpoint))  # unknown name or unset key: fail before the run
    name = endpoint if isinstance(endpoint, str) else endpoint.name
    with Session(engine, expire_on_commit=False) as session:
        run = start_run(
            session=session, kind=kind, dataset_id=dataset_id, params={**params, "endpoint": name}, total=total
        )
        report = StageReport(total=total, run_id=run.id)
        try:
            if total:
                with endpoint_for(engine=engine, endpoint=endpoint) as ready:
                    body(ready, report)
        except BaseException as exc:
            finish_run(session=session, run_id=run.id, status="failed", message=str(exc) or type(exc).__name__)
            raise
        report.failed = report.total - report.done
        update_run(session=session, run_id=run.id, done=report.done, failed=report.failed)
        finish_run(session=session, run_id=run.id, message=report.summary(label))
        refresh_counts(conn=session.connection())  # so `status` finds the counts ready
        session.commit()
    return report
