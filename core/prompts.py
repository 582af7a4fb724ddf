"""The studio prompt style: this project's rewrite of the EKB decision-process prompt (DESIGN.md §3, §11).

core/scene_prompts.py chooses between it and the reference's prompt (core/reference_prompts.py) per scene.
"""

from core.reference_prompts import enumerate_options
from core.vocabulary import (
    EVALUATION_STYLES,
    EXTERNAL_CUES,
    INFORMATION_SOURCES,
    INTERNAL_STATES,
    PRIOR_KNOWLEDGE,
    PRODUCT_ATTRIBUTES,
)
from storage.constants import LETTERS, letter

BEHAVIOR_PREFILL = "Behavior: ["

# The parser (core/rationale_parser.py) reads exactly these labels.
LABELS = {
    "stimulus": "Stimulus:",
    "stimulus_factors": "Stimulus factors:",
    "knowledge": "Knowledge:",
    "knowledge_factors": "Knowledge factors:",
    "evaluation": "Evaluation:",
    "style": "Evaluation style:",
}
OUTPUT_FORMAT = """Stimulus: <in my own words, what makes me want something right now>
Stimulus factors: <1 to 3 stimulus factors, comma separated>
Knowledge: <what I notice in the options and how it relates to who I am and what I did before>
Knowledge factors: <2 to 4 knowledge factors, comma separated>
Evaluation: <how I weigh the options and why I settle on one>
Evaluation style: <one of: logical, intuitive, impulsive, habitual>
Behavior: [<letter of the option I pick>]"""

SYSTEM_PROMPT = f"""You play a real person using a recommendation service. You will see your profile, the things \
you interacted with recently and the options on your screen right now. Stay in character and think in the first \
person ("I ...") about how you end up picking one option, going through three stages.

1. Stimulus: what triggers my need at this moment. Name 1 to 3 stimulus factors taken from these lists.
   Internal states: {", ".join(INTERNAL_STATES)}.
   External cues: {", ".join(EXTERNAL_CUES)}.
2. Knowledge: what I notice about the options, tied to my profile and my history. Name 2 to 4 knowledge factors \
taken from these lists.
   Product attributes: {", ".join(PRODUCT_ATTRIBUTES)}.
   Information source and presentation: {", ".join(INFORMATION_SOURCES)}.
   Prior knowledge: {", ".join(PRIOR_KNOWLEDGE)}.
3. Evaluation: how I justify the choice. Name exactly one evaluation style: {", ".join(EVALUATION_STYLES)}.

Then pick exactly one of the options shown. Answer in exactly this format, one label per line, nothing before or \
after it:
{OUTPUT_FORMAT}"""


def letter_range(n_options: int) -> str:
    """'A-D' for four options ('A' for one)."""
    return "A" if n_options == 1 else f"A-{LETTERS[n_options - 1]}"


def scene_text(profile: str, history: list[str], options: list[str]) -> str:
    """The studio user turn: profile, history (oldest first) and the lettered options, then the question."""
    if len(options) > len(LETTERS):
        raise ValueError(f"{len(options)} options; at most {len(LETTERS)} can be lettered")
    past = "\n".join(f"- {entry}" for entry in history) or "- (nothing yet)"
    choices = ", ".join(letter(k) for k in range(len(options)))
    return (
        f"My profile:\n{profile}\n\n"
        f"What I interacted with recently, oldest first:\n{past}\n\n"
        f"Options on my screen now:\n{enumerate_options(options)}\n\n"
        f"Which one do I pick? Think it through in the format above and finish with the line "
        f"`Behavior: [X]`, where X is one of {choices}."
    )


def letter_question(options: list[str]) -> str:
    """The last user turn of the prediction fallback (endpoints that cannot continue an assistant message): the
    options again and a request for the letter only."""
    choices = ", ".join(letter(k) for k in range(len(options)))
    return (
        f"{enumerate_options(options)}\n\nWhich option do I pick? Answer with only its letter, one of {choices}, "
        "and nothing else."
    )
