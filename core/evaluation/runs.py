"""`evaluate`: a named, resumable evaluation of an endpoint (direct / thought) or a baseline on held-out scenes.

A run is stored under its name with its configuration; the same command again resumes it (only missing scene ×
repeat rows are asked, every answer comes from the LLM cache when it was already paid for), a different
configuration under the same name is refused. Each row's behaviour is one draw from its distribution by a generator
seeded from (seed, scene id, repeat), so runs with the same seed share their random numbers (paired comparisons).
"""

from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.choices import EVAL_BASELINES, EVAL_MODES, EVAL_REPEAT, PREDICT_SAMPLES, THOUGHT_MAX_TOKENS
from core.errors import BadInput
from core.evaluation.baselines import baseline_distributions
from core.evaluation.llm_modes import Scored, run_direct, run_thought
from core.evaluation.summary import refresh_summary
from core.predict import LetterRun
from core.progress import Progress
from core.seeded_draws import draw_options
from core.stage import StageContext, dataset_id_for, tracked_run
from storage.constants import SPLITS
from storage.evaluations import (
    create_eval_run,
    eval_progress,
    eval_scenes,
    get_eval_run,
    insert_eval_rows,
    insert_eval_skips,
    update_eval_run,
)
from storage.models import Endpoint, EvalRun
from storage.runs import finish_run, start_run, update_run


@dataclass
class EvalReport:
    """What one `evaluate` command did, and the run's summary afterwards."""

    name: str
    total: int = 0  # scene × repeat rows still to score when it started
    done: int = 0
    skipped: int = 0  # scenes newly found too long for the endpoint's context
    failed: int = 0
    cached: int = 0  # items (direct: scenes, thought: rows) answered from the cache
    elsewhere: int = 0  # rows another worker on the same run scored meanwhile
    batch: str | None = None  # --batch-out: what was written where
    summary: dict | None = None

    def line(self) -> str:
        """One line for the terminal."""
        others = f", {self.elsewhere} by other workers" if self.elsewhere else ""
        batch = f"; {self.batch}" if self.batch else ""
        return (
            f"evaluation {self.name!r}: {self.done} rows scored, {self.skipped} scenes skipped (prompt too long), "
            f"{self.failed} failed, {self.cached} cached answers{others}, of {self.total} rows to do{batch}"
        )


def _check(mode, baseline, endpoint, split: str, repeat: int, limit, max_tokens, samples) -> None:
    if (endpoint is None) == (baseline is None):
        raise BadInput("evaluate needs either --endpoint NAME --mode {direct,thought} or --baseline NAME")
    if baseline is not None and baseline not in EVAL_BASELINES:
        raise BadInput(f"unknown baseline {baseline!r}; use one of: {', '.join(EVAL_BASELINES)}")
    if endpoint is not None and mode is None:
        raise BadInput(f"--mode is required with --endpoint: {' or '.join(EVAL_MODES)}")
    if endpoint is not None and mode not in EVAL_MODES:
        raise BadInput(f"unknown mode {mode!r}; use one of: {', '.join(EVAL_MODES)}")
    if baseline is not None and mode is not None:
        raise BadInput("--mode applies to an endpoint; a baseline has none")
    if split not in SPLITS:
        raise BadInput(f"unknown split {split!r}; use one of: {', '.join(SPLITS)}")
    for flag, value in (("--repeat", repeat), ("--limit", limit), ("--max-tokens", max_tokens), ("--samples", samples)):
        if value is not None and value < 1:
            raise BadInput(f"{flag} must be at least 1 (got {value})")


def _endpoint_identity(engine: Engine, endpoint: Endpoint | str, *, key_needed: bool = True) -> tuple[str, str]:
    """(name, model) of the endpoint, without starting it; NotFound / BadInput for an unknown one or a missing key."""
    from core.llm.endpoints import LOCAL, api_key, find_endpoint
    from core.llm.local_server import find_gguf

    if isinstance(endpoint, Endpoint):
        return endpoint.name, endpoint.model
    if endpoint == LOCAL:
        return LOCAL, find_gguf().stem
    found = find_endpoint(engine=engine, name=endpoint)
    if key_needed:
        api_key(found)
    return found.name, found.model


def _open_run(session: Session, name: str, mode: str, endpoint: str | None, model: str | None, config: dict) -> EvalRun:
    run = get_eval_run(session=session, name=name)
    if run is None:  # two workers starting one run: both get the row the first inserted
        run = create_eval_run(session=session, name=name, mode=mode, endpoint=endpoint, model=model, config=config)
    if run.config != config:
        changed = sorted(k for k in config.keys() | run.config.keys() if config.get(k) != run.config.get(k))
        was = ", ".join(f"{k}={run.config.get(k)!r}" for k in changed)
        raise BadInput(f"evaluation run {name!r} exists with another configuration ({was}); choose another --name")
    return run


def evaluate(
    *,
    engine: Engine,
    endpoint: Endpoint | str | None = None,
    mode: str | None = None,
    baseline: str | None = None,
    name: str | None = None,
    dataset: str | None = None,
    split: str = "eval",
    repeat: int = EVAL_REPEAT,
    seed: int = 0,
    limit: int | None = None,
    max_tokens: int = THOUGHT_MAX_TOKENS,
    samples: int = PREDICT_SAMPLES,
    progress: Progress | None = None,
    batch_out: str | None = None,
) -> EvalReport:
    """Score every missing scene × repeat of the run, then store and return its summary. batch_out: write the
    requests to that batch file instead (core/llm/batch_file.py; thought mode: the thoughts first, their letter
    calls in a second file after the import)."""
    _check(mode, baseline, endpoint, split, repeat, limit, max_tokens, samples)
    if batch_out is not None and baseline is not None:
        raise BadInput("--batch-out writes LLM requests; a baseline makes none")
    config: dict = {"dataset": dataset, "split": split, "repeat": repeat, "seed": seed, "limit": limit}
    with Session(engine, expire_on_commit=False) as session:
        ds_id = dataset_id_for(session=session, name=dataset)
        scenes = {
            row["scene_id"]: row for row in eval_scenes(session=session, split=split, dataset_id=ds_id, limit=limit)
        }
        if not scenes:
            where = f"dataset {dataset!r}" if dataset else "the database"
            raise BadInput(
                f"no {split} scenes in {where}: build them with `python -m core scenes --dataset NAME --count N "
                f"--split {split}`"
            )
        if baseline is not None:
            ep_name, model, mode = None, None, baseline
        else:
            ep_name, model = _endpoint_identity(engine, endpoint, key_needed=batch_out is None)
            config |= {"samples": samples} | ({"max_tokens": max_tokens} if mode == "thought" else {})
        config = {"mode": mode, "endpoint": ep_name, "model": model, **config}
        name = name or (baseline if baseline else f"{ep_name}-{mode}")
        run = _open_run(session, name, mode, ep_name, model, config)
        scored, skipped = eval_progress(session=session, eval_run_id=run.id)
        session.commit()
    report = EvalReport(name=name)
    writer = _Writer(run_id=run.id, seed=seed, report=report)
    if baseline is not None:
        work = _todo(scored, skipped, scenes, repeat)
        report.total = sum(map(len, work.values()))
        _run_baseline(engine, run, baseline, work, scenes, writer, ds_id)
    else:
        llm = _LlmRun(run=run, mode=mode, scenes=scenes, repeat=repeat, writer=writer)
        options = {"seed": seed, "max_tokens": max_tokens, "samples": samples, "batch_out": batch_out}
        llm.run(engine, endpoint, ds_id, progress=progress, **options)
    report.summary = refresh_summary(engine=engine, run=run)
    return report


def _todo(scored, skipped, scenes: dict, repeat: int) -> dict[int, list[int]]:
    """{scene_id: repeats still to score} of the run's scenes, skipped scenes left out."""
    work = {s: [r for r in range(repeat) if (s, r) not in scored] for s in scenes if s not in skipped}
    return {s: repeats for s, repeats in work.items() if repeats}


class _Writer:
    """Stores scored rows (drawing their behaviours) and skipped scenes for one run."""

    def __init__(self, *, run_id: int, seed: int, report: EvalReport) -> None:
        self.run_id, self.seed, self.report = run_id, seed, report
        self.skipped: set[int] = set()
        self.saved: set[tuple[int, int]] = set()

    def save(self, session: Session, scored: list[Scored]) -> None:
        scored = [s for s in scored if s.scene_id not in self.skipped]
        if not scored:
            return
        counts = np.array([len(s.repeats) for s in scored])
        lengths = np.repeat([len(s.probs) for s in scored], counts)
        probs = np.zeros((len(lengths), int(lengths.max())))
        for i, (s, start) in enumerate(zip(scored, np.cumsum(counts) - counts, strict=True)):
            probs[start : start + counts[i], : len(s.probs)] = s.probs
        scene_ids = np.repeat([s.scene_id for s in scored], counts)
        repeats = np.concatenate([s.repeats for s in scored])
        behaviors = draw_options(probs, lengths, seed=self.seed, keys=(scene_ids, repeats))
        rows = []
        for i, s in enumerate(np.repeat(np.arange(len(scored)), counts)):
            item = scored[s]
            rows.append(
                {
                    "eval_run_id": self.run_id,
                    "scene_id": int(scene_ids[i]),
                    "repeat": int(repeats[i]),
                    "probs": np.asarray(item.probs, dtype=np.float64).tobytes(),
                    "behavior": int(behaviors[i]),
                    "estimated": item.estimated,
                    "thought": item.thought,
                }
            )
        insert_eval_rows(session=session, rows=rows)
        self.saved.update((row["scene_id"], row["repeat"]) for row in rows)
        self.report.done += len(rows)

    def skip(self, session: Session, skips: dict[int, str]) -> None:
        fresh = {scene_id: why for scene_id, why in skips.items() if scene_id not in self.skipped}
        if fresh:
            insert_eval_skips(session=session, eval_run_id=self.run_id, skips=fresh)
            self.skipped |= set(fresh)
            self.report.skipped += len(fresh)


def _run_baseline(engine, run: EvalRun, baseline: str, work, scenes, writer: _Writer, ds_id) -> None:
    with Session(engine) as session:
        pipeline = start_run(
            session=session, kind="evaluate", dataset_id=ds_id, params=run.config, total=writer.report.total
        )
        todo = [scenes[s] for s in work]
        probs = baseline_distributions(session=session, name=baseline, scenes=todo)
        writer.save(
            session, [Scored(s["scene_id"], work[s["scene_id"]], p, False) for s, p in zip(todo, probs, strict=True)]
        )
        session.commit()
        update_run(session=session, run_id=pipeline.id, done=writer.report.done)
        finish_run(session=session, run_id=pipeline.id, message=writer.report.line())
        update_eval_run(session=session, eval_run_id=run.id, run_id=pipeline.id)


class _LlmRun:
    """An endpoint's evaluation as a stage (core/stage.tracked_run): its items are claimed, so several workers on one
    evaluation run split it. An item is a scene in direct mode (one call serves all its repeats) and a (scene,
    repeat) row in thought mode (each repeat its own thought)."""

    def __init__(self, *, run: EvalRun, mode: str, scenes: dict, repeat: int, writer: "_Writer") -> None:
        self.run_row, self.mode, self.scenes, self.repeat, self.writer = run, mode, scenes, repeat, writer
        self.prefix = f"evaluate:{run.id}"
        self.rows_here = self.failed_rows = 0

    def work(self, session: Session) -> list[tuple[int, list[int]]]:
        """The items still to score, read when the run starts (after its work_from: nothing settled is missed)."""
        scored, skipped = eval_progress(session=session, eval_run_id=self.run_row.id)
        todo = _todo(scored, skipped, self.scenes, self.repeat)
        self.writer.report.total = sum(map(len, todo.values()))
        if self.mode == "direct":
            return list(todo.items())
        return [(scene_id, [r]) for scene_id, repeats in todo.items() for r in repeats]

    def key(self, item: tuple[int, list[int]]) -> str:
        scene_id, repeats = item
        return f"{self.prefix}:{scene_id}" if self.mode == "direct" else f"{self.prefix}:{scene_id}:{repeats[0]}"

    def body(self, ctx: StageContext, chunk: list[tuple[int, list[int]]], *, seed, max_tokens, samples) -> None:
        letters = LetterRun(ctx=ctx, stage="evaluate", samples=samples)
        work: dict[int, list[int]] = {}
        for scene_id, repeats in chunk:
            work.setdefault(scene_id, []).extend(repeats)
        common = {"run": letters, "prefix": self.prefix, "work": work, "scenes": self.scenes}
        common |= {"save": self.writer.save, "skip": self.writer.skip}
        if self.mode == "direct":
            run_direct(**common)
        else:
            run_thought(**common, seed=seed, max_tokens=max_tokens)
        saved, skipped = self.writer.saved, self.writer.skipped
        for scene_id, repeats in chunk:
            self.rows_here += len(repeats)
            if scene_id in skipped:
                ctx.report.total -= 1  # a scene too long for the endpoint: neither done nor failed
            elif all((scene_id, r) in saved for r in repeats):
                ctx.report.done += 1
            elif ctx.batch is not None and self.key((scene_id, repeats)) in ctx.batch.units:
                continue  # its request went to the batch file
            else:
                self.failed_rows += len(repeats)

    def run(self, engine: Engine, endpoint, ds_id, *, seed, max_tokens, samples, progress, batch_out) -> None:
        report = self.writer.report
        options = {"seed": seed, "max_tokens": max_tokens, "samples": samples}
        stage = tracked_run(
            engine=engine,
            endpoint=endpoint,
            kind="evaluate",
            dataset_id=ds_id,
            params={**self.run_row.config, "name": self.run_row.name},
            work=self.work,
            key=self.key,
            label=f"evaluation {self.run_row.name!r} items",
            body=lambda ctx, chunk: self.body(ctx, chunk, **options),
            progress=progress,
            batch_out=batch_out,
        )
        if stage.batch_path is not None:
            report.batch = f"{stage.batched} items written to {stage.batch_path} as {stage.batch_lines} requests"
        report.failed = self.failed_rows
        report.elsewhere = report.total - self.rows_here
        report.cached = stage.cached
        with Session(engine) as session:
            update_eval_run(session=session, eval_run_id=self.run_row.id, run_id=stage.run_id)
