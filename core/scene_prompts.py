"""The messages every stage sends for a scene: chosen by the scene's prompt style and the purpose of the call.

A scene records its style when it is built (Scene.prompt_style) and every later stage reads it from there — the
style is never a setting of the stage, so one scene never meets two styles. Styles:
- `reference`: the paper's code byte for byte (core/reference_prompts.py); the default.
- `studio`: this project's rewrite (core/prompts.py), kept as a documented alternative.

Purposes: `rationale` (write a decision process), `predict` (the letter after a given decision process), `direct`
(the letter without a decision process) and `thought` (a decision process, then the letter) — the last two are the
reference's evaluation modes (run_eval.py).
"""

from dataclasses import dataclass

from core import prompts as studio
from core import reference_prompts as ref
from core.errors import BadInput
from core.rationale_parser import decision_process
from core.vocabulary import EVALUATION_STYLES, KNOWLEDGE_FACTORS, STIMULUS_FACTORS
from storage.constants import DEFAULT_PROMPT_STYLE, LEGACY_PROMPT_STYLE, PROMPT_STYLES, REFERENCE, STUDIO, letter

PURPOSES = ("rationale", "predict", "direct", "thought")


def check_prompt_style(value: str) -> str:
    """The style itself; BadInput naming the valid ones otherwise."""
    if value not in PROMPT_STYLES:
        raise BadInput(f"unknown prompt style {value!r}; use one of: {', '.join(PROMPT_STYLES)}")
    return value


@dataclass(frozen=True)
class SceneText:
    """What a prompt shows of one scene, and the style it was built with."""

    profile: str
    history: list[str]
    options: list[str]
    style: str = DEFAULT_PROMPT_STYLE
    system: str | None = None  # an imported scene's own system message, when it differs from its style's

    @classmethod
    def from_row(cls, row: dict) -> "SceneText":
        """From a query row holding profile, history, options, prompt_style and (optionally) system_prompt."""
        return cls(
            profile=row["profile"],
            history=list(row["history"]),
            options=list(row["options"]),
            style=row.get("prompt_style") or LEGACY_PROMPT_STYLE,
            system=row.get("system_prompt"),
        )


@dataclass(frozen=True)
class Prompt:
    """The messages of one call; continues = the last message is an assistant prefix the model goes on with."""

    messages: list[dict]
    continues: bool = False


@dataclass(frozen=True)
class OutputFormat:
    """How a style's decision process is written: an optional header line, one labelled line per field (in this
    order), then `Behavior: [X]`; factor and style names as that style's system prompt spells them."""

    header: str | None
    labels: dict[str, str]
    stimulus_factors: tuple[str, ...]
    knowledge_factors: tuple[str, ...]
    evaluation_styles: tuple[str, ...]
    behavior: str = ref.BEHAVIOR_PREFIX


OUTPUT_FORMATS = {
    REFERENCE: OutputFormat(ref.HEADER, ref.LABELS, ref.STIMULUS_FACTORS, ref.KNOWLEDGE_FACTORS, ref.EVALUATION_STYLES),
    STUDIO: OutputFormat(None, studio.LABELS, STIMULUS_FACTORS, KNOWLEDGE_FACTORS, EVALUATION_STYLES),
}


def output_format(style: str) -> OutputFormat:
    """The output format the style's system prompt asks for."""
    return OUTPUT_FORMATS[check_prompt_style(style)]


def system_message(scene: SceneText, *, direct: bool = False) -> str:
    """The system prompt of a scene's calls (the reference's direct_system for its `direct` mode)."""
    if scene.style == REFERENCE:
        return ref.DIRECT_SYSTEM if direct else (scene.system or ref.DEFAULT_SYSTEM)
    return scene.system or studio.SYSTEM_PROMPT


def user_message(scene: SceneText) -> str:
    """The user turn showing the scene."""
    if scene.style == REFERENCE:
        return ref.user_turn(profile=scene.profile, history=scene.history, options=scene.options)
    return studio.scene_text(scene.profile, scene.history, scene.options)


def decision_text(style: str, text: str) -> str:
    """A rationale's decision process as its style keeps it (the reference: all before the first "Behavior:")."""
    return ref.decision(text) if style == REFERENCE else decision_process(text)


def answer_turn(style: str, text: str, option: int) -> str:
    """The assistant turn of a training row: the decision process, then `Behavior: [X]` for option index `option`."""
    chosen = letter(option)
    if style == REFERENCE:
        return ref.answer(ref.decision(text), chosen)
    process = decision_process(text)
    return f"{process}\nBehavior: [{chosen}]" if process else f"Behavior: [{chosen}]"


def scene_prompt(
    scene: SceneText, purpose: str, *, rationale: str | None = None, continue_final: bool = True
) -> Prompt:
    """The messages of one call about a scene.

    rationale: the decision-process text (for `predict`). continue_final=False is for endpoints that cannot continue
    an assistant message: `predict` then closes the rationale as an assistant turn and asks for the letter in a last
    user turn (the documented fallback); `direct` and `thought` send no assistant prefix.
    """
    base = [
        {"role": "system", "content": system_message(scene, direct=purpose == "direct")},
        {"role": "user", "content": user_message(scene)},
    ]
    if purpose == "rationale":
        return Prompt(base)
    if purpose == "predict":
        process = decision_text(scene.style, rationale or "")
        if not continue_final:
            ask = studio.letter_question(scene.options)
            turns = [{"role": "assistant", "content": process or "(no reasoning)"}, {"role": "user", "content": ask}]
            return Prompt([*base, *turns])
        if scene.style == REFERENCE:
            prefix = ref.prediction_prefix(process)
        else:
            prefix = f"{process}\n{studio.BEHAVIOR_PREFILL}" if process else studio.BEHAVIOR_PREFILL
        return Prompt([*base, {"role": "assistant", "content": prefix}], continues=True)
    if purpose in ("direct", "thought"):
        if not continue_final:
            return Prompt(base)
        if purpose == "direct":
            prefix = ref.BEHAVIOR_PREFIX
        else:
            prefix = ref.THOUGHT_PREFIX if scene.style == REFERENCE else studio.LABELS["stimulus"]
        return Prompt([*base, {"role": "assistant", "content": prefix}], continues=True)
    raise ValueError(f"unknown purpose {purpose!r}; one of {', '.join(PURPOSES)}")
