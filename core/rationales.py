"""Rationale generation (DESIGN.md §3): N EKB decision processes per scene and role, resumable and never overwriting.

The run record, endpoint and batch plumbing are core/stage.py's, shared with core/predict.py.
"""

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import limits
from core.errors import EndpointError, NotFound
from core.format_grammar import FORMAT, check_constraint, format_grammar, grammar_params, longest_answer, text_chars
from core.llm.client import LlmRequest, LlmResult
from core.llm.endpoints import describe_endpoint
from core.predict import predict
from core.progress import Progress
from core.rationale_parser import parse_rationale
from core.scene_prompts import SceneText, scene_prompt
from core.stage import StageContext, StageReport, dataset_id_for, endpoint_for, run_stage, split_filter, tracked_run
from storage.constants import ANY, TRAIN
from storage.models import Endpoint
from storage.rationales import add_new_rationales, missing_rationale_work, next_sample_index, scene_prompts

TEMPERATURE = 1.0
TOP_P = 0.9


def rationale_key(*, scene_id: int, role: str, index: int) -> str:
    """The item key of one rationale sample: its lease, its requests and its call-log rows."""
    return f"rationale:{scene_id}:{role}:{index}"


def rationale_requests(
    *,
    session: Session,
    endpoint: Endpoint,
    work: list[tuple[int, int]],
    role: str,
    max_tokens: int,
    temperature: float,
    constraint: str,
) -> tuple[list[LlmRequest], dict[str, tuple[int, int, int]]]:
    """The requests of (scene, sample index) work items, and item key -> (scene id, index, option count)."""
    scenes = scene_prompts(session=session, scene_ids=[scene_id for scene_id, _ in work])
    requests, meta = [], {}
    max_chars = text_chars(max_tokens) if constraint == FORMAT else 0
    for scene_id, index in work:
        scene = scenes[scene_id]
        key = rationale_key(scene_id=scene_id, role=role, index=index)
        text = SceneText.from_row(scene)
        messages = scene_prompt(text, "rationale").messages
        params = {"temperature": temperature, "top_p": TOP_P, "max_tokens": max_tokens, "seed": index}
        if constraint == FORMAT:  # the scene's own style and letters: a grammar per scene
            grammar = format_grammar(text.style, len(text.options), max_chars=max_chars)
            params.update(grammar_params(endpoint, grammar))
            params["max_tokens"] = max(max_tokens, longest_answer(text.style, len(text.options), max_chars=max_chars))
        requests.append(LlmRequest(key, messages, params, scene_id=scene_id, stage="rationale"))
        meta[key] = (scene_id, index, len(scene["options"]))
    return requests, meta


def rationale_row(
    *, endpoint: Endpoint, scene_id: int, role: str, index: int, n_options: int, text: str, constraint: str
) -> dict:
    """The rationale row of one answer: its text, where it came from, and the parsed fields."""
    fields = parse_rationale(text, n_options).columns()
    source = {"endpoint": endpoint.name, "model": endpoint.model, "text": text, "decoding": constraint}
    return {"scene_id": scene_id, "role": role, "sample_index": index, **source, **fields}


def _generate(
    *,
    ctx: StageContext,
    role: str,
    work: list[tuple[int, int]],
    max_tokens: int,
    temperature: float = TEMPERATURE,
    constraint: str,
) -> list[int]:
    endpoint, report = ctx.endpoint, ctx.report
    with Session(ctx.engine) as session:
        requests, meta = rationale_requests(
            session=session,
            endpoint=endpoint,
            work=work,
            role=role,
            max_tokens=max_tokens,
            temperature=temperature,
            constraint=constraint,
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
            rows.append(
                rationale_row(
                    endpoint=endpoint,
                    scene_id=scene_id,
                    role=role,
                    index=index,
                    n_options=n_options,
                    text=result.content,
                    constraint=constraint,
                )
            )
        ids = add_new_rationales(session=session, rows=rows)
        created.extend(ids)
        report.done += len(ids)
        report.elsewhere += len(rows) - len(ids)  # stored meanwhile by a worker that then died
        return bad

    run_stage(ctx=ctx, requests=requests, on_batch=on_batch)
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
    split: str = TRAIN,
    batch_out: str | None = None,
    constrain: str | None = None,
) -> StageReport:
    """Generate the missing rationales (sample indices 0..n-1) of `role` for the first `limit` scenes of `split`
    (train by default: eval scenes are only predicted when asked, "any" = both). batch_out: write the requests to
    that batch file instead (core/llm/batch_file.py).

    constrain: "format" (decoding constrained to the decision-process format), "none", or None for the endpoint's
    default (format on the embedded model); checked before anything is written.
    """
    limits.N.check(n, label="--n"), limits.MAX_TOKENS.check(max_tokens, label="--max-tokens")
    limits.TEMPERATURE.check(temperature, label="--temperature")
    if limit is not None:
        limits.LIMIT.check(limit, label="--limit")
    constraint = check_constraint(describe_endpoint(engine=engine, endpoint=endpoint), constrain)
    if constraint == FORMAT:
        text_chars(max_tokens)  # a max_tokens too small for the format is bad input, before the run starts
    with Session(engine) as session:
        ds_id = dataset_id_for(session=session, name=dataset)
        only = split_filter(split)
    params = {"role": role, "n": n, "dataset": dataset, "limit": limit, "max_tokens": max_tokens}
    params |= {"temperature": temperature, "split": split, "constrain": constraint}

    def work(session: Session) -> list[tuple[int, int]]:
        return missing_rationale_work(session=session, role=role, n=n, dataset_id=ds_id, limit=limit, split=only)

    def body(ctx: StageContext, chunk: list[tuple[int, int]]) -> None:
        _generate(ctx=ctx, role=role, work=chunk, max_tokens=max_tokens, temperature=temperature, constraint=constraint)

    return tracked_run(
        engine=engine,
        endpoint=endpoint,
        kind="rationales",
        dataset_id=ds_id,
        params=params,
        work=work,
        key=lambda item: rationale_key(scene_id=item[0], role=role, index=item[1]),
        label=f"{role} rationales",
        body=body,
        progress=progress,
        batch_out=batch_out,
    )


def generate_for_scene(
    *,
    engine: Engine,
    scene_id: int,
    role: str,
    endpoint: Endpoint | str,
    n: int = 1,
    max_tokens: int = 1024,
    constrain: str | None = None,
) -> list[int]:
    """n fresh rationales (new sample indices) for one scene, predicted with the same endpoint; their ids."""
    constraint = check_constraint(describe_endpoint(engine=engine, endpoint=endpoint), constrain)
    with endpoint_for(engine=engine, endpoint=endpoint) as ep:
        with Session(engine) as session:
            if not scene_prompts(session=session, scene_ids=[scene_id]):
                raise NotFound(f"unknown scene {scene_id}")
            first = next_sample_index(session=session, scene_id=scene_id, role=role)
        work = [(scene_id, first + k) for k in range(n)]
        ctx = StageContext(engine=engine, endpoint=ep, report=StageReport(total=n))
        ids = _generate(ctx=ctx, role=role, work=work, max_tokens=max_tokens, constraint=constraint)
        if not ids and n:
            raise EndpointError(f"endpoint {ep.name!r} gave no usable rationale for scene {scene_id}; see the call log")
        predict(engine=engine, role=None, endpoint=ep, rationale_ids=ids, split=ANY)
    return ids
