"""The LLM modes of an evaluation, as the reference's run_eval.py: `direct` and `thought`.

- direct: the reference's direct system prompt and the scene; the letter distribution of the answer, read exactly as
  `predict` reads it (core.predict.letter_distributions: the same conditioning rules and fallbacks). One call per
  scene: the distribution does not depend on the repeat, each repeat only draws its own behaviour from it.
- thought: the decision-process prompt; the model writes a thought (T=1.0, top-p 0.8, its own seed per repeat,
  starting `Thought:\\nStimulus:` where the endpoint continues an assistant message), stopped at `Behavior: [`; then
  the letter distribution is read after that thought as in direct mode. Each repeat is a separate thought.

A scene whose prompt (or prompt and thought) does not fit the endpoint's context is skipped, never scored.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlmodel import Session

from core.choices import THOUGHT_MAX_TOKENS
from core.llm.client import LlmResult
from core.llm.retry import context_overflow
from core.predict import Found, LetterCall, LetterRun, letter_distributions
from core.reference_prompts import BEHAVIOR_PREFIX
from core.scene_prompts import SceneText, scene_prompt

THOUGHT_TEMPERATURE = 1.0
THOUGHT_TOP_P = 0.8
CHUNK = 512  # thought mode: (scene, repeat) pairs whose thoughts, then letters, run before the next ones start


@dataclass
class Scored:
    """Distributions found for some repeats of a scene (thought: the text the model wrote)."""

    scene_id: int
    repeats: list[int]
    probs: np.ndarray
    estimated: bool
    thought: str | None = None


# save(session, scored) stores rows; skip(session, {scene_id: reason}) records scenes that do not fit.
Save = Callable[[Session, list[Scored]], None]
Skip = Callable[[Session, dict[int, str]], None]


def _overflows(results: list[tuple[int, LlmResult]]) -> dict[int, str]:
    return {scene_id: r.error or "" for scene_id, r in results if not r.ok and context_overflow(r.error)}


def run_direct(
    *, run: LetterRun, prefix: str, work: dict[int, list[int]], scenes: dict[int, dict], save: Save, skip: Skip
) -> None:
    """Direct mode over work = {scene_id: repeats still to score}; item keys start with `prefix`."""
    prefill = run.conditioner.continues
    calls = []
    for scene_id in work:
        scene = SceneText.from_row(scenes[scene_id])
        messages = scene_prompt(scene, "direct", continue_final=prefill).messages
        calls.append(LetterCall(f"{prefix}:{scene_id}", messages, len(scene.options), scene_id))

    def store(session: Session, found: Found) -> None:
        save(session, [Scored(c.scene_id, work[c.scene_id], p, est) for c, p, est in found])

    def refused(session: Session, failed: list[tuple[LetterCall, LlmResult]]) -> None:
        skip(session, _overflows([(call.scene_id, result) for call, result in failed]))

    letter_distributions(run=run, calls=calls, store=store, refused=refused)


def thought_seed(seed: int, repeat: int) -> int:
    """The sampling seed of one repeat's thought: distinct per (run seed, repeat), the same on every rerun."""
    return int(np.random.SeedSequence([seed, repeat]).generate_state(1)[0])


def run_thought(
    *,
    run: LetterRun,
    prefix: str,
    work: dict[int, list[int]],
    scenes: dict[int, dict],
    save: Save,
    skip: Skip,
    seed: int,
    max_tokens: int = THOUGHT_MAX_TOKENS,
) -> None:
    """Thought mode over work = {scene_id: repeats still to score}, in chunks of CHUNK (scene, repeat) pairs."""
    pairs = [(scene_id, r) for scene_id, repeats in work.items() for r in repeats]
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        _thought_chunk(run, prefix, chunk, scenes, save, skip, seed=seed, max_tokens=max_tokens)


def _thought_chunk(run: LetterRun, prefix: str, pairs, scenes, save: Save, skip: Skip, *, seed, max_tokens) -> None:
    prefill = run.conditioner.continues
    requests, meta = [], {}
    for scene_id, r in pairs:
        scene = SceneText.from_row(scenes[scene_id])
        prompt = scene_prompt(scene, "thought", continue_final=prefill)
        params = {"temperature": THOUGHT_TEMPERATURE, "top_p": THOUGHT_TOP_P, "max_tokens": max_tokens}
        params |= {"seed": thought_seed(seed, r), "stop": [BEHAVIOR_PREFIX]}
        key = f"{prefix}:{scene_id}:{r}:thought"
        unit = f"{prefix}:{scene_id}:{r}"  # the stage's item: its thought and its letter call(s)
        requests.append(
            run.conditioner.request(key, prompt.messages, params, scene_id=scene_id, stage=run.stage, unit=unit)
        )
        meta[key] = (scene_id, r, scene, prompt.messages)
    calls: list[LetterCall] = []
    thoughts: dict[str, tuple[int, int, str]] = {}

    def on_thoughts(session: Session, batch: list[LlmResult]) -> list[tuple[LlmResult, str]]:
        skip(session, _overflows([(meta[r.item_key][0], r) for r in batch]))
        for result in (r for r in batch if r.ok):
            scene_id, repeat, scene, messages = meta[result.item_key]
            text = result.content or ""
            if prefill:  # the reference: the assistant prefix, the thought, then "Behavior: [" continued by a letter
                written = messages[-1]["content"] + text
                letter = [*messages[:-1], {"role": "assistant", "content": written + BEHAVIOR_PREFIX}]
            else:  # predict's fallback: the thought as an assistant turn, then a user turn asking for the letter
                written = text
                letter = scene_prompt(scene, "predict", rationale=text, continue_final=False).messages
            key = f"{result.item_key[: -len(':thought')]}:letter"
            calls.append(LetterCall(key, letter, len(scene.options), scene_id, unit=f"{prefix}:{scene_id}:{repeat}"))
            thoughts[key] = (scene_id, repeat, written)
        return []

    run.run(requests, on_thoughts)

    def store(session: Session, found: Found) -> None:
        rows = []
        for call, probs, estimated in found:
            scene_id, repeat, written = thoughts[call.key]
            rows.append(Scored(scene_id, [repeat], probs, estimated, written))
        save(session, rows)

    def refused(session: Session, failed: list[tuple[LetterCall, LlmResult]]) -> None:
        skip(session, _overflows([(call.scene_id, result) for call, result in failed]))

    letter_distributions(run=run, calls=calls, store=store, refused=refused)
