"""Behaviour prediction (DESIGN.md §4): per rationale, a distribution over the scene's letters and a sampled choice."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import limits
from core.choices import PREDICT_SAMPLES
from core.conditioning import Conditioner, answer_constraint, conditioning_for
from core.llm.client import LOGPROB_TOKENS, LlmRequest, LlmResult
from core.progress import Progress
from core.prompts import letter_range
from core.rationale_parser import find_letter
from core.scene_prompts import SceneText, scene_prompt
from core.stage import BatchHandler, StageContext, StageReport, dataset_id_for, run_stage, split_filter, tracked_run
from storage.constants import FOLLOW_UP, LETTERS, TRAIN
from storage.models import Endpoint
from storage.rationales import prediction_work, upsert_predictions

FLOOR = 1e-10
TOP_LOGPROBS = 20
MIN_LETTER_MASS = 0.1  # letter probability at a position whose own token is no letter, to read the letters there
SAMPLE_MAX_TOKENS = 4
# How the first answer token may spell letter X; each matching entry of top_logprobs adds exp(logprob) to X.
PREFIXES = ("", " ", "[", " [", "[ ")
SUFFIXES = ("", "]")


def _spellings(n_options: int) -> dict[str, int]:
    return {f"{pre}{LETTERS[k]}{suf}": k for k in range(n_options) for pre in PREFIXES for suf in SUFFIXES}


def normalise(mass: np.ndarray) -> np.ndarray:
    """Floor every entry at 1e-10, then renormalise to sum 1."""
    floored = np.maximum(np.asarray(mass, dtype=np.float64), FLOOR)
    return floored / floored.sum()


def letter_distribution(top_logprobs: list[dict], n_options: int) -> np.ndarray | None:
    """p(letter) from one token position's top logprobs; None when no spelling of any option letter is among them."""
    spellings = _spellings(n_options)
    mass = np.zeros(n_options, dtype=np.float64)
    found = False
    for entry in top_logprobs:
        index = spellings.get(entry.get("token") or "")
        if index is not None and entry.get("logprob") is not None:
            mass[index] += math.exp(entry["logprob"])
            found = True
    return normalise(mass) if found else None


def _letter_mass(top_logprobs: list[dict], n_options: int) -> float:
    spellings = _spellings(n_options)
    logprobs = [e.get("logprob") for e in top_logprobs if (e.get("token") or "") in spellings]
    return sum(math.exp(v) for v in logprobs if v is not None)


def _ends_a_word(tokens: list[str], i: int) -> bool:
    """A letter token is an answer only when the text does not go on with a word ("I would", "A good fit")."""
    following = tokens[i + 1].lstrip() if i + 1 < len(tokens) else ""
    return not following[:1].isalnum()


def answer_top(logprobs: list[dict] | None, n_options: int) -> list[dict] | None:
    """The top logprobs of the token position that answers with a letter; None when no position does.

    That is the first position whose generated token spells one of the scene's letters (`B`, ` B`, `[B`, ...) and is
    not the start of a word ("I would pick [C]" is read at C), so a reply starting `[`, `Behavior` or a space is read
    where its letter is; failing that, the first position whose
    alternatives give the scene's letters at least MIN_LETTER_MASS (e.g. an out-of-range letter `Z` was generated).
    A position without top logprobs cannot give a distribution (None): the caller samples instead.
    """
    if not logprobs:
        return None
    spellings = _spellings(n_options)
    tokens = [tok.get("token") or "" for tok in logprobs]
    chosen = [i for i, token in enumerate(tokens) if token in spellings and _ends_a_word(tokens, i)]
    if not chosen:
        chosen = [
            i
            for i, tok in enumerate(logprobs)
            if _letter_mass(tok.get("top_logprobs") or [], n_options) >= MIN_LETTER_MASS
        ]
    return (logprobs[chosen[0]].get("top_logprobs") or None) if chosen else None


def logprob_distribution(logprobs: list[dict] | None, n_options: int) -> np.ndarray | None:
    """p(letter) read at the answer position (answer_top); None = sample answers instead."""
    top = answer_top(logprobs, n_options)
    return letter_distribution(top, n_options) if top else None


def sampled_distribution(letters: list[int | None], n_options: int) -> np.ndarray | None:
    """Counts of the valid sampled answers as a distribution; None when fewer than half of them (rounded up) are
    valid (None = no option letter in the answer, or the call failed)."""
    valid = [index for index in letters if index is not None]
    if not letters or len(valid) < math.ceil(len(letters) / 2):
        return None
    counts = np.bincount(np.asarray(valid, dtype=np.int64), minlength=n_options)[:n_options]
    return normalise(counts / len(valid))


def sample_behavior(probs: np.ndarray, *, seed: int, rationale_id: int) -> int:
    """The seeded sampled behaviour: one draw from probs by a Generator seeded from (seed, rationale id)."""
    return int(np.random.default_rng([seed, rationale_id]).choice(len(probs), p=probs))


def prefills(endpoint: Endpoint) -> bool:
    """Whether the endpoint can continue a final assistant message, so the letter comes right after `Behavior: [`
    (vLLM itself, llama.cpp through the model's chat template: core/conditioning.py)."""
    return conditioning_for(endpoint) != FOLLOW_UP


@dataclass
class LetterCall:
    """One call asking for a letter: its item key, messages, number of options and scene."""

    key: str
    messages: list[dict]
    n: int
    scene_id: int | None = None
    unit: str | None = None  # the stage's work item it serves, when that is not key


Found = list[tuple[LetterCall, np.ndarray, bool]]  # (call, distribution, estimated by sampling)
# store(session, found) persists distributions inside the batch's transaction.
Store = Callable[[Session, Found], None]
# refused(session, [(call, result)]): calls the endpoint answered with an error (the client has logged them).
Refused = Callable[[Session, list[tuple[LetterCall, LlmResult]]], None]


@dataclass
class LetterRun:
    """Where letter calls run: the stage's context (ready endpoint, run report, progress), the stage name, and how
    many answers to sample for a call without a distribution."""

    ctx: StageContext
    stage: str
    samples: int = PREDICT_SAMPLES

    @property
    def engine(self) -> Engine:
        return self.ctx.engine

    @property
    def endpoint(self) -> Endpoint:
        return self.ctx.endpoint

    @property
    def report(self) -> StageReport:
        return self.ctx.report

    @cached_property
    def conditioner(self) -> Conditioner:
        """How this endpoint's requests continue an assistant prefix (core/conditioning.py)."""
        return Conditioner.open(self.endpoint)

    def run(self, requests: list[LlmRequest], on_batch: BatchHandler) -> None:
        """run_stage under this stage's context (its run, counts and progress)."""
        run_stage(ctx=self.ctx, requests=requests, on_batch=on_batch)


def letter_distributions(
    *, run: LetterRun, calls: list[LetterCall], store: Store, refused: Refused | None = None
) -> None:
    """The letter distribution of every call (DESIGN.md §4), handed to `store` batch by batch.

    Read from the answer token's logprobs (one token restricted to the letters where the endpoint allows it); a
    call whose answer gives no distribution is asked `run.samples` times and its answers counted (estimated).
    """
    conditioner = run.conditioner
    by_key = {call.key: call for call in calls}
    fallback: list[LetterCall] = []

    def on_batch(session: Session, batch: list[LlmResult]) -> list[tuple[LlmResult, str]]:
        found, failed = [], []
        for result in batch:
            call = by_key[result.item_key]
            if not result.ok:
                failed.append((call, result))
                continue
            probs = logprob_distribution(result.logprobs, call.n)
            if probs is None:  # no logprobs, or no position answering with a letter
                fallback.append(call)
            else:
                found.append((call, probs, False))
        store(session, found)
        if refused and failed:
            refused(session, failed)
        return []

    # A continued "Behavior: [" makes the letter the first token; otherwise the letter may come a few tokens in.
    tokens = 1 if conditioner.continues else LOGPROB_TOKENS
    params = {"logprobs": True, "top_logprobs": TOP_LOGPROBS, "max_tokens": tokens, "temperature": 0.0}
    requests = [
        conditioner.request(
            c.key,
            c.messages,
            {**params, **answer_constraint(run.endpoint, c.n)},
            scene_id=c.scene_id,
            stage=run.stage,
            unit=c.unit,
        )
        for c in calls
    ]
    run.run(requests, on_batch)
    if fallback:
        _sample(run=run, calls=fallback, store=store)


def _sample(*, run: LetterRun, calls: list[LetterCall], store: Store) -> None:
    """The no-logprobs fallback: `run.samples` answers per call, counted into an estimated distribution."""
    answers: dict[str, list[int | None]] = {call.key: [None] * run.samples for call in calls}
    by_key: dict[str, tuple[LetterCall, int]] = {}
    requests = []
    for call in calls:
        for j in range(run.samples):
            key = f"{call.key}:sample{j}"
            by_key[key] = (call, j)
            params = {"temperature": 1.0, "max_tokens": SAMPLE_MAX_TOKENS, "seed": j}
            params.update(answer_constraint(run.endpoint, call.n))
            requests.append(
                run.conditioner.request(
                    key, call.messages, params, scene_id=call.scene_id, stage=run.stage, unit=call.unit or call.key
                )
            )

    def on_batch(session: Session, batch: list[LlmResult]) -> list[tuple[LlmResult, str]]:
        bad = []
        for result in batch:
            call, j = by_key[result.item_key]
            if not result.ok:
                continue
            answers[call.key][j] = find_letter(result.content or "", call.n)
            if answers[call.key][j] is None:
                bad.append((result, f"no option letter ({letter_range(call.n)}) in the answer {result.content!r}"))
        return bad

    run.run(requests, on_batch)
    found = []
    for call in calls:
        probs = sampled_distribution(answers[call.key], call.n)
        if probs is not None:
            found.append((call, probs, True))
    with Session(run.engine) as session:
        store(session, found)
        session.commit()


def prediction_key(row: dict) -> str:
    """The item key of one rationale's prediction (its current version): its lease, requests and call-log rows."""
    return f"predict:{row['rationale_id']}:v{row['version']}"


def predict(
    *,
    engine: Engine,
    role: str | None,
    endpoint: Endpoint | str,
    progress: Progress | None = None,
    dataset: str | None = None,
    rationale_ids: list[int] | None = None,
    samples: int = PREDICT_SAMPLES,
    seed: int = 0,
    split: str = TRAIN,
    batch_out: str | None = None,
) -> StageReport:
    """Predict every rationale (of `role`, or of the given ids) of a `split` scene (train by default, "any" = both)
    lacking a prediction for its current version. batch_out: write the requests to that batch file instead (a
    rationale answered without logprobs then needs its sampled answers: a second batch file, after the import)."""
    limits.SAMPLES.check(samples, label="--samples"), limits.SEED.check(seed, label="--seed")
    with Session(engine) as session:
        ds_id = dataset_id_for(session=session, name=dataset)
        only = split_filter(split)
    params = {"role": role, "dataset": dataset, "samples": samples, "seed": seed, "split": split}

    def work(session: Session) -> list[dict]:
        return prediction_work(session=session, role=role, dataset_id=ds_id, rationale_ids=rationale_ids, split=only)

    def body(ctx: StageContext, chunk: list[dict]) -> None:
        _predict(run=LetterRun(ctx=ctx, stage="predict", samples=samples), work=chunk, seed=seed)

    return tracked_run(
        engine=engine,
        endpoint=endpoint,
        kind="predict",
        dataset_id=ds_id,
        params=params,
        work=work,
        key=prediction_key,
        label=f"{role or 'rationale'} predictions",
        body=body,
        progress=progress,
        batch_out=batch_out,
    )


def _predict(*, run: LetterRun, work: list[dict], seed: int) -> None:
    prefill = run.conditioner.continues
    conditioning = run.conditioner.conditioning
    rows: dict[str, dict] = {}
    calls = []
    for row in work:
        prompt = scene_prompt(SceneText.from_row(row), "predict", rationale=row["text"], continue_final=prefill)
        key = prediction_key(row)
        rows[key] = row
        calls.append(LetterCall(key, prompt.messages, len(row["options"]), row["scene_id"]))

    def store(session: Session, found: Found) -> None:
        made = [_prediction(rows[c.key], p, e, run.endpoint, seed, conditioning) for c, p, e in found]
        written = upsert_predictions(session=session, rows=made)
        run.report.done += len(written)
        run.report.estimated += sum(est for c, _, est in found if rows[c.key]["rationale_id"] in written)
        run.report.elsewhere += len(found) - len(written)  # stored meanwhile by a worker that then died

    letter_distributions(run=run, calls=calls, store=store)


def _prediction(
    row: dict, probs: np.ndarray, estimated: bool, endpoint: Endpoint, seed: int, conditioning: str
) -> dict:
    return {
        "rationale_id": row["rationale_id"],
        "scene_id": row["scene_id"],
        "role": row["role"],
        "rationale_version": row["version"],
        "probs": probs.astype(np.float64).tobytes(),
        "estimated": estimated,
        "behavior_index": sample_behavior(probs, seed=seed, rationale_id=row["rationale_id"]),
        "endpoint": endpoint.name,
        "model": endpoint.model,
        "conditioning": conditioning,
    }
