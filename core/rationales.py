"""Rationale generation (DESIGN.md §3): N EKB decision processes per scene and role, resumable and never overwriting.

Also the stage plumbing shared with core/predict.py: resolving the endpoint and dataset, and running requests so
each finished batch is stored at once, and an unusable answer is recorded against its item (and, when it came
from the cache, asked for again live once).
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import EndpointError, NotFound
from core.llm.client import LlmRequest, LlmResult, cache_key, run_requests
from core.llm.endpoints import LOCAL, api_key, find_endpoint, open_endpoint
from core.progress import Progress
from core.rationale_parser import parse_rationale
from core.scene_prompts import SceneText, scene_prompt
from storage.datasets import get_dataset
from storage.llm import insert_calls
from storage.models import Endpoint, utcnow
from storage.rationales import insert_rationales, missing_rationale_work, next_sample_index, scene_prompts
from storage.runs import finish_run, start_run, update_run

TEMPERATURE = 1.0
TOP_P = 0.9
PARSED_FIELDS = ("stimulus", "stimulus_factors", "knowledge", "knowledge_factors", "evaluation", "style", "behavior")
PARSED_FIELDS += ("problems",)


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


def _failure_row(request: LlmRequest, endpoint: Endpoint, run_id: int | None, reason: str) -> dict:
    prompt = json.dumps(request.messages, sort_keys=True, ensure_ascii=False).encode()
    return {
        "run_id": run_id,
        "endpoint": endpoint.name,
        "model": endpoint.model,
        "params": request.params,
        "prompt_hash": hashlib.sha256(prompt).hexdigest(),
        "cache_key": cache_key(model=endpoint.model, params=request.params, messages=request.messages),
        "item_key": request.item_key,
        "scene_id": request.scene_id,
        "stage": request.stage,
        "status": "error",
        "error": f"invalid answer: {reason}",
        "created_at": utcnow(),
    }


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
                        failures.append(_failure_row(by_key[result.item_key], endpoint, run_id, reason))
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


def _rationale_requests(
    *, session: Session, work: list[tuple[int, int]], role: str, max_tokens: int, temperature: float = TEMPERATURE
) -> tuple[list[LlmRequest], dict[str, tuple[int, int, int]]]:
    scenes = scene_prompts(session=session, scene_ids=[scene_id for scene_id, _ in work])
    requests, meta = [], {}
    for scene_id, index in work:
        scene = scenes[scene_id]
        key = f"rationale:{scene_id}:{role}:{index}"
        messages = scene_prompt(SceneText.from_row(scene), "rationale").messages
        params = {"temperature": temperature, "top_p": TOP_P, "max_tokens": max_tokens, "seed": index}
        requests.append(LlmRequest(key, messages, params, scene_id=scene_id, stage="rationale"))
        meta[key] = (scene_id, index, len(scene["options"]))
    return requests, meta


def _generate(
    *,
    engine: Engine,
    endpoint: Endpoint,
    role: str,
    work,
    max_tokens: int,
    progress,
    report: StageReport,
    temperature: float = TEMPERATURE,
) -> list[int]:
    with Session(engine) as session:
        requests, meta = _rationale_requests(
            session=session, work=work, role=role, max_tokens=max_tokens, temperature=temperature
        )
    created: list[int] = []

    def on_batch(session: Session, batch: list[LlmResult]) -> list[tuple[LlmResult, str]]:
        rows, bad = [], []
        for result in batch:
            if not result.ok:
                continue
            if not (result.content or "").strip():
                bad.append((result, "empty answer"))
                continue
            scene_id, index, n_options = meta[result.item_key]
            parsed = parse_rationale(result.content, n_options)
            fields = {name: getattr(parsed, name) for name in PARSED_FIELDS}
            source = {"endpoint": endpoint.name, "model": endpoint.model, "text": result.content}
            rows.append({"scene_id": scene_id, "role": role, "sample_index": index, **source, **fields})
        ids = insert_rationales(session=session, rows=rows)
        created.extend(ids)
        report.done += len(ids)
        return bad

    stage = {"engine": engine, "endpoint": endpoint, "run_id": report.run_id, "progress": progress}
    report.cached += run_stage(requests=requests, on_batch=on_batch, done=lambda: report.done, **stage)
    report.failed = report.total - report.done
    return sorted(created)


def generate_rationales(
    *,
    engine: Engine,
    role: str,
    endpoint: Endpoint | str,
    n: int = 10,
    dataset: str | None = None,
    limit: int | None = None,
    max_tokens: int = 1024,
    progress: Progress | None = None,
    temperature: float = TEMPERATURE,
) -> StageReport:
    """Generate the missing rationales (sample indices 0..n-1) of `role` for the first `limit` scenes."""
    with Session(engine) as session:
        ds_id = dataset_id_for(session=session, name=dataset)
        work = missing_rationale_work(session=session, role=role, n=n, dataset_id=ds_id, limit=limit)
    params = {"role": role, "n": n, "dataset": dataset, "limit": limit, "max_tokens": max_tokens}
    params["temperature"] = temperature

    def body(ep: Endpoint, report: StageReport) -> None:
        _generate(
            engine=engine,
            endpoint=ep,
            role=role,
            work=work,
            max_tokens=max_tokens,
            progress=progress,
            report=report,
            temperature=temperature,
        )

    return tracked_run(
        engine=engine,
        endpoint=endpoint,
        kind="rationales",
        dataset_id=ds_id,
        params=params,
        total=len(work),
        label=f"{role} rationales",
        body=body,
    )


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
    return report


def generate_for_scene(
    *, engine: Engine, scene_id: int, role: str, endpoint: Endpoint | str, n: int = 1, max_tokens: int = 1024
) -> list[int]:
    """n fresh rationales (new sample indices) for one scene, predicted with the same endpoint; their ids."""
    from core.predict import predict  # predict imports this module's plumbing

    with endpoint_for(engine=engine, endpoint=endpoint) as ep:
        with Session(engine) as session:
            if not scene_prompts(session=session, scene_ids=[scene_id]):
                raise NotFound(f"unknown scene {scene_id}")
            first = next_sample_index(session=session, scene_id=scene_id, role=role)
        work = [(scene_id, first + k) for k in range(n)]
        report = StageReport(total=n)
        ids = _generate(
            engine=engine, endpoint=ep, role=role, work=work, max_tokens=max_tokens, progress=None, report=report
        )
        if not ids and n:
            raise EndpointError(f"endpoint {ep.name!r} gave no usable rationale for scene {scene_id}; see the call log")
        predict(engine=engine, role=None, endpoint=ep, rationale_ids=ids)
    return ids
