"""The reference prompts byte for byte, and the messages each style and purpose sends for a scene."""

import hashlib

import pytest

from core import reference_prompts as ref
from core.errors import BadInput
from core.prompts import OUTPUT_FORMAT, SYSTEM_PROMPT
from core.rationale_parser import parse_rationale
from core.scene_prompts import (
    PROMPT_STYLES,
    SceneText,
    answer_turn,
    check_prompt_style,
    decision_text,
    output_format,
    scene_prompt,
)
from core.vocabulary import (
    EVALUATION_STYLES,
    KNOWLEDGE_FACTORS,
    STIMULUS_FACTORS,
    canonical_knowledge,
    canonical_stimulus,
    canonical_style,
)

# sha256 of usermirrorer/generator/template.py's default_system (2,759 characters) at commit b6e628c.
DEFAULT_SYSTEM_SHA256 = "3cdd5660a3107ddaef034ef09d6797724d365295ae4ee8ed93ba465dcb616cb8"

# A reference-style MovieLens scene, as the reference's ML-1M strategy renders it (see test_reference_text.py).
SCENE = SceneText(
    profile="## User Profile\nGender: male\nAge: 25-34\nOccupation: programmer\nLocation: 55117\n",
    history=[
        "A movie viewed 3 days ago\nHeat (1995) Action|Crime|Thriller \nMy Behavior:\nRating: 4.0/5.0\n",
        "A movie viewed 2 hours ago\nToy Story (1995) Animation|Children's|Comedy \nMy Behavior:\nRating: 5.0/5.0\n",
    ],
    options=["Jumanji (1995) - Adventure|Children's|Fantasy \n", "[New Release]Casino (1995) - Drama|Thriller \n"],
)
USER_TURN = (
    "# User Profile\n"
    "## User Profile\n"
    "Gender: male\n"
    "Age: 25-34\n"
    "Occupation: programmer\n"
    "Location: 55117\n"
    "\n"
    "\n"
    "## History\n"
    "A movie viewed 3 days ago\n"
    "Heat (1995) Action|Crime|Thriller \n"
    "My Behavior:\n"
    "Rating: 4.0/5.0\n"
    "\n"
    "A movie viewed 2 hours ago\n"
    "Toy Story (1995) Animation|Children's|Comedy \n"
    "My Behavior:\n"
    "Rating: 5.0/5.0\n"
    "\n"
    "\n"
    "# Exposure List\n"
    "[A] Jumanji (1995) - Adventure|Children's|Fantasy \n"
    "\n"
    "[B] [New Release]Casino (1995) - Drama|Thriller \n"
    "\n"
)
ANSWER = (
    "Thought:\nStimulus: I feel like a crime film tonight.\nStimulus Factors: Time of Day, Emotional State\n"
    "Knowledge: Casino is new and matches the crime films I rated well.\n"
    "Knowledge Factors: Novelty, User Preferences/History, Personal Relevance (Functional, Thematic, Identity-Based)\n"
    "Evaluation: It fits what I usually enjoy.\nEvaluation Style: Habitual\nBehavior: [B]"
)
DECISION = ANSWER[: ANSWER.index("\nBehavior:")]


def test_the_reference_prompt_texts_are_byte_for_byte():
    assert hashlib.sha256(ref.DEFAULT_SYSTEM.encode()).hexdigest() == DEFAULT_SYSTEM_SHA256
    assert ref.DEFAULT_SYSTEM.startswith("You are a sophisticated user behavior emulator, tasked with simulating")
    assert "exposure list.  Highlight specific" in ref.DEFAULT_SYSTEM  # two spaces, as in the reference
    assert "-  **Evaluation:** [Explain" in ref.DEFAULT_SYSTEM
    assert ref.DEFAULT_SYSTEM.endswith("Evaluation Style: [EVALUATION STYLE]\nBehavior: [BEHAVIOR]\n```\n")
    assert ref.DIRECT_SYSTEM == (
        "You are a sophisticated user behavior emulator. Given a user profile and an exposure list, generate a user "
        "behavior in the given exposure list.\n"
    )
    assert ref.USER_MESSAGE == "# User Profile\n{profile}\n\n## History\n{history}\n\n# Exposure List\n{action_list}\n"


def test_the_user_turn_and_text_fields_are_the_references():
    assert ref.user_turn(profile=SCENE.profile, history=SCENE.history, options=SCENE.options) == USER_TURN
    fields = ref.text_fields(profile=SCENE.profile, history=SCENE.history, options=SCENE.options)
    assert fields == {"profile": SCENE.profile, "history": "\n".join(SCENE.history), "action_list": SCENE.options}
    # what the reference's texts_to_messages(convert_action_list(text)) formats: the same user turn
    assert (
        ref.USER_MESSAGE.format(
            profile=fields["profile"],
            history=fields["history"],
            action_list=ref.enumerate_options(fields["action_list"]),
        )
        == USER_TURN
    )
    assert ref.enumerate_options(["x", "y\n", "z"]) == "[A] x\n[B] y\n\n[C] z"


def test_reference_messages_for_every_purpose():
    rationale = scene_prompt(SCENE, "rationale")
    assert rationale.messages == [
        {"role": "system", "content": ref.DEFAULT_SYSTEM},
        {"role": "user", "content": USER_TURN},
    ]
    assert not rationale.continues
    predict = scene_prompt(SCENE, "predict", rationale=ANSWER + "\n```")
    assert predict.continues
    assert predict.messages[2] == {"role": "assistant", "content": DECISION + "\nBehavior: ["}
    direct = scene_prompt(SCENE, "direct")
    assert direct.messages[0] == {"role": "system", "content": ref.DIRECT_SYSTEM}
    assert direct.messages[2] == {"role": "assistant", "content": "Behavior: ["} and direct.continues
    thought = scene_prompt(SCENE, "thought")
    assert thought.messages[0]["content"] == ref.DEFAULT_SYSTEM
    assert thought.messages[2] == {"role": "assistant", "content": "Thought:\nStimulus:"}
    assert scene_prompt(SCENE, "direct", continue_final=False).messages == direct.messages[:2]
    fallback = scene_prompt(SCENE, "predict", rationale=ANSWER, continue_final=False)
    assert [m["role"] for m in fallback.messages] == ["system", "user", "assistant", "user"]
    assert fallback.messages[2]["content"] == DECISION and not fallback.continues
    with pytest.raises(ValueError, match="unknown purpose 'grade'"):
        scene_prompt(SCENE, "grade")


def test_an_imported_system_message_is_kept():
    own = SceneText(profile="p", history=[], options=["a"], system="You are a user.")
    assert scene_prompt(own, "rationale").messages[0] == {"role": "system", "content": "You are a user."}
    assert scene_prompt(own, "direct").messages[0]["content"] == ref.DIRECT_SYSTEM


def test_decision_and_answer_follow_each_styles_rule():
    # the reference cuts at the first "Behavior:" anywhere; the studio parser at the last Behavior line
    text = "Stimulus: x\nEvaluation: my Behavior: habit\nBehavior: [A]"
    assert decision_text("reference", text) == "Stimulus: x\nEvaluation: my"
    assert decision_text("studio", text) == "Stimulus: x\nEvaluation: my Behavior: habit"
    assert answer_turn("reference", ANSWER, 0) == DECISION + "\nBehavior: [A]"
    assert answer_turn("reference", "", 1) == "\nBehavior: [B]"  # the reference keeps the newline
    assert answer_turn("studio", "", 1) == "Behavior: [B]"


def test_styles_are_checked():
    assert PROMPT_STYLES == ("reference", "studio")
    assert check_prompt_style("studio") == "studio"
    with pytest.raises(BadInput, match="^unknown prompt style 'paper'; use one of: reference, studio$"):
        check_prompt_style("paper")


def test_each_output_format_is_the_one_its_system_prompt_asks_for():
    block = ref.DEFAULT_SYSTEM[ref.DEFAULT_SYSTEM.index("**Output Format:**") :]
    reference = output_format("reference")
    lines = [reference.header, *reference.labels.values(), reference.behavior]
    assert [line.split()[0] for line in block.splitlines()[2:10]] == [label.split()[0] for label in lines]
    for label in [reference.header, *reference.labels.values()]:
        assert f"\n{label}" in block
    studio = output_format("studio")
    assert studio.header is None
    labels = list(studio.labels.values())
    assert [line[: len(lab)] for line, lab in zip(OUTPUT_FORMAT.splitlines()[:6], labels, strict=True)] == labels
    assert OUTPUT_FORMAT in SYSTEM_PROMPT
    # the reference spells every factor and style like its system prompt, and each maps onto the vocabulary
    for name in [*reference.stimulus_factors, *reference.knowledge_factors, *reference.evaluation_styles]:
        assert name in ref.DEFAULT_SYSTEM
    assert [canonical_stimulus(n) for n in reference.stimulus_factors] == list(STIMULUS_FACTORS)
    assert [canonical_knowledge(n) for n in reference.knowledge_factors] == list(KNOWLEDGE_FACTORS)
    assert [canonical_style(n) for n in reference.evaluation_styles] == list(EVALUATION_STYLES)


def test_the_parser_reads_the_reference_output_format():
    parsed = parse_rationale("```\n" + ANSWER + "\n```", 2)
    assert parsed.problems == []
    assert parsed.stimulus == "I feel like a crime film tonight."
    assert parsed.stimulus_factors == ["time of day", "emotional state"]
    assert parsed.knowledge_factors == ["novelty", "preferences/history", "personal relevance"]
    assert (parsed.evaluation, parsed.style, parsed.behavior) == ("It fits what I usually enjoy.", "habitual", "B")
