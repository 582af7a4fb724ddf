"""build_scenes: targets, histories, exposures, rendering and one bulk insert per call (DESIGN.md §2)."""

import json
import time
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session
from threadpoolctl import threadpool_limits

from core.choices import POSITIONS, SCORERS
from core.errors import BadInput, NotFound
from core.limits import COUNT, HISTORY, PROMPT_TOKENS, SEED
from core.progress import SILENT, Progress
from core.scene_prompts import SceneText, check_prompt_style, scene_prompt
from core.scenes import exposure as expo
from core.scenes.interleave import interleave
from core.scenes.prompt_length import TokenCounter, token_counter
from core.scenes.reference_text import strategy_for
from core.scenes.render import format_value
from core.scenes.rows import Built, SceneSource, render_scene_rows
from core.scenes.scorers import Catalog, Targets, make_scorers, rank_candidates
from core.scenes.targets import MIN_EARLIER, build_timeline, draw_history, eligible_positions
from core.templates import current_templates
from storage import scenes as store
from storage.constants import DEFAULT_PROMPT_STYLE, LETTERS, REFERENCE, SPLITS
from storage.datasets import get_dataset
from storage.models import Dataset
from storage.runs import finish_run, start_run, update_run

MAX_LETTERS = len(LETTERS)
ROUNDS = 3  # extra draws to replace targets whose exposure came out too short


@dataclass
class ScenesReport:
    """What one build_scenes call did; message says how many were built and, when fewer, why."""

    created: int
    requested: int
    message: str
    split: str = "train"
    eligible: int = 0
    skipped: int = 0
    too_long: int = 0  # scenes left out: their prompt is over max_prompt_tokens
    timings: dict[str, float] = field(default_factory=dict)


def candidate_count(max_exposure: int) -> int:
    """K, the length of each scorer's ranked list."""
    return max(32, 3 * max_exposure)


def _validate(
    count: int, split: str, min_exposure: int, max_exposure: int, history: tuple[int, int], scorers, style, seed: int
):
    check_prompt_style(style)
    COUNT.check(count, label="--count"), SEED.check(seed, label="--seed")
    HISTORY.check(history[0], label="--history-min"), HISTORY.check(history[1], label="--history-max")
    if split not in SPLITS:
        raise BadInput(f"--split must be {' or '.join(SPLITS)} (got {split!r})")
    if not 2 <= min_exposure <= max_exposure <= MAX_LETTERS:
        raise BadInput(
            f"exposure length range [{min_exposure}, {max_exposure}] is invalid: need 2 <= min <= max <= {MAX_LETTERS}"
        )
    if not 1 <= history[0] <= history[1]:
        raise BadInput(f"history length range [{history[0]}, {history[1]}] is invalid: need 1 <= min <= max")
    unknown = [name for name in scorers if name not in SCORERS]
    if unknown or not scorers:
        raise BadInput(f"unknown scorer(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(SCORERS)}")


def _item_text(title: str, features_json: str | None) -> str:
    features = (json.loads(features_json) if isinstance(features_json, str) else features_json) or {}
    return " ".join([title or "", *(t for v in features.values() if (t := format_value(v, 2000)))])


@dataclass(frozen=True)
class Options:
    """One build's settings (validated)."""

    count: int
    split: str
    min_exposure: int
    max_exposure: int
    seed: int
    scorers: tuple[str, ...]
    history_min: int
    history_max: int
    prompt_style: str = DEFAULT_PROMPT_STYLE
    position: str = POSITIONS[0]
    max_prompt_tokens: int | None = None
    tokenizer: str | None = None  # the endpoint whose tokenizer counts prompt tokens (None: the estimate)


def build_scenes(
    *,
    engine: Engine,
    dataset: str | Dataset,
    count: int,
    split: str = "train",
    min_exposure: int = 2,
    max_exposure: int = 12,
    seed: int = 0,
    progress: Progress | None = None,
    scorers: tuple[str, ...] | list[str] | None = None,
    history_min: int = 2,
    history_max: int = 10,
    prompt_style: str = DEFAULT_PROMPT_STYLE,
    position: str = POSITIONS[0],
    max_prompt_tokens: int | None = None,
    tokenizer: str | None = None,
) -> ScenesReport:
    """Build up to `count` new scenes of one dataset and split in one transaction; same seed, same scenes.

    prompt_style decides the scene text (and every later prompt about these scenes): core/scene_prompts.py;
    position where the true item goes in a sampled exposure (core.choices.POSITIONS); max_prompt_tokens leaves
    out scenes whose prompt is longer, counted by the tokenizer endpoint's (core/scenes/prompt_length.py)."""
    names = tuple(scorers) if scorers is not None else SCORERS
    _validate(count, split, min_exposure, max_exposure, (history_min, history_max), names, prompt_style, seed)
    if position not in POSITIONS:
        raise BadInput(f"unknown position {position!r}; use one of: {', '.join(POSITIONS)}")
    if max_prompt_tokens is not None:
        PROMPT_TOKENS.check(max_prompt_tokens, label="--max-prompt-tokens")
    if tokenizer is not None and max_prompt_tokens is None:
        raise BadInput("--tokenizer-endpoint counts prompt tokens for --max-prompt-tokens: give that too")
    opts = Options(
        count, split, min_exposure, max_exposure, seed, names, history_min, history_max, prompt_style, position
    )
    opts = Options(**{**opts.__dict__, "max_prompt_tokens": max_prompt_tokens, "tokenizer": tokenizer})
    counter = token_counter(engine=engine, endpoint=tokenizer) if max_prompt_tokens else None
    name = dataset.name if isinstance(dataset, Dataset) else dataset
    with Session(engine, expire_on_commit=False) as session:
        ds = get_dataset(session=session, name=name)
        if ds is None:
            raise NotFound(f"dataset {name!r} not found; ingest it first (python -m core ingest --dataset {name} ...)")
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in opts.__dict__.items()}
        run = start_run(session=session, kind="scenes", dataset_id=ds.id, params=params, total=count)
        try:
            # One BLAS thread: the matrices are small; threaded BLAS on a busy machine was 5-10x slower, not faster.
            with threadpool_limits(limits=1, user_api="blas"):
                report = _build(engine, ds, opts, progress or SILENT, counter)
        except BaseException as exc:
            finish_run(session=session, run_id=run.id, status="failed", message=(str(exc) or type(exc).__name__)[:500])
            raise
        update_run(session=session, run_id=run.id, done=report.created)
        finish_run(session=session, run_id=run.id, message=report.message)
    return report


def _build(
    engine: Engine, ds: Dataset, opts: Options, progress: Progress, counter: TokenCounter | None
) -> ScenesReport:
    rng = np.random.default_rng(opts.seed)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[phase] = timings.get(phase, 0.0) + now - clock
        clock = now

    with Session(engine, expire_on_commit=False) as session:
        items = store.load_items(session=session, dataset_id=ds.id)
        timeline = build_timeline(
            store.load_interactions(session=session, dataset_id=ds.id), items["id"].to_numpy(np.int64)
        )
        templates = current_templates(ds.templates, ds.format)
        source = SceneSource(
            session, ds, templates, items, timeline, opts.split, opts.seed, progress, lap, opts.prompt_style
        )
        used = store.used_interaction_ids(session=session, dataset_id=ds.id)
        pool = eligible_positions(timeline, used, _min_earlier(opts, ds))
        lap("load")
        pool = pool[rng.permutation(len(pool))]
        wants_text = "content" in opts.scorers and len(pool) > 0
        texts = [_item_text(t, f) for t, f in zip(items["title"], items["features"], strict=True)] if wants_text else []
        catalog = Catalog(
            n_items=len(items),
            user_items=timeline.user_items(len(items)),
            inter_item=timeline.item,
            inter_ts=timeline.ts,
            release_ts=items["release_ts"].to_numpy(np.float64),
            item_texts=texts,
        )
        prepared = make_scorers(opts.scorers, catalog, rng) if len(pool) else []
        lap("prepare scorers")
        built: list[Built] = []
        skipped, drawn = 0, 0
        for _ in range(ROUNDS):
            want = opts.count - len(built)
            if want <= 0 or drawn >= len(pool):
                break
            chosen = np.sort(pool[drawn : drawn + want])
            drawn += len(chosen)
            done = _exposures(source, Candidates(catalog, prepared, rng), chosen, opts)
            skipped += sum(1 for b in done if b.exposure is None)
            built.extend(b for b in done if b.exposure is not None)
        rows = render_scene_rows(source, built)
        lap("render")
        too_long = 0
        if counter is not None:
            rows, too_long = _fitting(rows, counter, opts.max_prompt_tokens)
            lap("count tokens")
        store.add_scenes(session=session, rows=rows)
        session.commit()
        lap("insert")
    message = _message(ds, opts, len(rows), len(pool), skipped)
    if too_long:
        message += f"; {too_long} scenes left out: prompt over {opts.max_prompt_tokens} tokens ({counter.how})"
    return ScenesReport(len(rows), opts.count, message, opts.split, len(pool), skipped, too_long, timings)


def _fitting(rows: list[dict], counter: TokenCounter, limit: int) -> tuple[list[dict], int]:
    """The rows whose prompt (system and user turn, as the scene will be sent) has at most `limit` tokens, and how
    many were left out."""
    lengths = counter.lengths([scene_prompt(SceneText.from_row(row), "rationale").messages for row in rows])
    kept = [row for row, n in zip(rows, lengths, strict=True) if n <= limit]
    return kept, len(rows) - len(kept)


@dataclass(frozen=True)
class Candidates:
    """Where negative options come from: the catalog the scorers learnt, the prepared scorers, the random stream."""

    catalog: Catalog
    scorers: list
    rng: np.random.Generator


def _exposures(source: SceneSource, candidates: Candidates, chosen: np.ndarray, opts: Options) -> list[Built]:
    """A Built (exposure None when too short) for each chosen target position."""
    session, timeline, progress, lap = source.session, source.timeline, source.progress, source.lap
    catalog, prepared, rng = candidates.catalog, candidates.scorers, candidates.rng
    known_items = source.items["id"].to_numpy(np.int64)
    min_len, max_len = opts.min_exposure, opts.max_exposure
    hist, drawn = draw_history(timeline, chosen, rng, opts.history_min, opts.history_max)
    result: dict[int, tuple] = {}
    real = chosen[timeline.has_impressions[chosen]]
    if len(real):
        shown = store.interaction_impressions(session=session, interaction_ids=timeline.ids[real])
        known = set(known_items.tolist())  # every item of the dataset: most shown items were never clicked
        for p in real.tolist():
            result[p] = expo.from_impressions(
                shown[int(timeline.ids[p])], int(timeline.item_id[p]), known, rng, min_len, max_len
            )
    scored = np.flatnonzero(~timeline.has_impressions[chosen])
    lap("impressions")
    if len(scored):
        pos = chosen[scored]
        targets = Targets(
            user=timeline.user[pos],
            ts=timeline.ts[pos],
            history=np.where(hist[scored] >= 0, timeline.item[np.maximum(hist[scored], 0)], -1),
        )
        with progress.bar(total=len(pos), label="scoring candidates") as bar:
            lists = rank_candidates(catalog, prepared, targets, candidate_count(max_len), on_batch=bar.update)
        lap("score")
        items, sources = interleave(lists, rng)
        made = expo.from_candidates(
            catalog,
            items,
            sources,
            targets.user,
            targets.ts,
            timeline.item[pos],
            opts.scorers,
            rng,
            min_len,
            max_len,
            opts.position,
        )
        for p, exposure in zip(pos.tolist(), made, strict=True):
            result[p] = exposure
        lap("assemble")
    return [
        Built(int(p), h, result[int(p)], int(k)) for p, h, k in zip(chosen.tolist(), hist, drawn.tolist(), strict=True)
    ]


def _min_earlier(opts: Options, ds: Dataset) -> int:
    """Earlier interactions a target needs: 3, or more when the history must be longer (unless the layout fills the
    history up from the user's own logged history, as the reference's MIND layout does)."""
    if opts.prompt_style == REFERENCE and strategy_for(ds.format).static_history:
        return MIN_EARLIER
    return max(MIN_EARLIER, opts.history_min)


def _message(ds: Dataset, opts: Options, created: int, eligible: int, skipped: int) -> str:
    text = f"built {created} of {opts.count} requested {opts.split} scenes for dataset {ds.name!r}"
    reasons = []
    if opts.count > eligible:
        reasons.append(
            f"only {eligible} eligible targets (interactions with at least {_min_earlier(opts, ds)} earlier "
            "interactions by the same user, not already the target of a scene)"
        )
    if skipped:
        reasons.append(
            f"{skipped} targets skipped: fewer than {opts.min_exposure} options left after removing items the user "
            "interacted with and items released after the target time (or a shorter impression list)"
        )
    return text + ("; " + "; ".join(reasons) if reasons else "")
