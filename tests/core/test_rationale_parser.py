"""The rationale parser: exact fields and exact problem lists for well-formed, partial and garbage text."""

from core.prompts import BEHAVIOR_PREFILL
from core.rationale_parser import ParsedRationale, decision_process, find_letter, parse_rationale
from core.scene_prompts import SceneText, scene_prompt

WELL_FORMED = """Stimulus: It is Friday night and I am bored after a long week.
Stimulus factors: boredom, day of week
Knowledge: Option B is a comedy like the ones I rated highly, and it has a strong rating.
Knowledge factors: personal relevance, rating score/distribution, past experience
Evaluation: I stick to what I know I enjoy.
Evaluation style: habitual
Behavior: [B]"""

PROCESS = WELL_FORMED.rsplit("\n", 1)[0]


def test_well_formed_rationale_gives_every_field_and_no_problem():
    assert parse_rationale(WELL_FORMED, 4) == ParsedRationale(
        stimulus="It is Friday night and I am bored after a long week.",
        stimulus_factors=["boredom", "day of week"],
        knowledge="Option B is a comedy like the ones I rated highly, and it has a strong rating.",
        knowledge_factors=["personal relevance", "rating score/distribution", "past experience"],
        evaluation="I stick to what I know I enjoy.",
        style="habitual",
        behavior="B",
        problems=[],
        process=PROCESS,
    )


def test_markdown_bold_case_and_multiline_sections_are_tolerated():
    text = """Here is my thinking.
**STIMULUS:** I just got a notification
and I feel curious.
**Stimulus Factors:** Notification, Curiosity.
### Knowledge
The first option is cheap.
- **Knowledge factors**:
- price
- Brand Reputation
**Evaluation**: quick call.
**Evaluation style**: **Impulsive**
**Behaviour:** [a]"""
    parsed = parse_rationale(text, 3)
    assert parsed.stimulus == "I just got a notification\nand I feel curious."
    assert parsed.stimulus_factors == ["notification", "curiosity"]
    assert parsed.knowledge == "The first option is cheap."
    assert parsed.knowledge_factors == ["price", "brand reputation"]
    assert parsed.evaluation == "quick call."
    assert parsed.style == "impulsive"
    assert parsed.behavior == "A"
    assert parsed.problems == []
    assert parsed.process == text.rsplit("\n", 1)[0]


def test_half_of_a_slash_name_maps_to_the_vocabulary_name():
    text = WELL_FORMED.replace("boredom, day of week", "fatigue, weather").replace(
        "rating score/distribution", "review content"
    )
    parsed = parse_rationale(text, 4)
    assert parsed.stimulus_factors == ["fatigue/restlessness", "weather"]
    assert parsed.knowledge_factors == ["personal relevance", "review content/sentiment", "past experience"]
    assert parsed.problems == []


def test_partial_rationale_lists_each_problem_in_stage_order():
    text = """Stimulus: I am hungry for a thriller.
Stimulus factors: hunger, xyz, weather, advertising
Knowledge factors: price
Evaluation: It looks good.
Evaluation style: careful
Behavior: [Z]"""
    parsed = parse_rationale(text, 4)
    assert parsed.stimulus == "I am hungry for a thriller."
    assert parsed.stimulus_factors == ["hunger", "xyz", "weather", "advertising"]
    assert parsed.knowledge is None
    assert parsed.knowledge_factors == ["price"]
    assert parsed.evaluation == "It looks good."
    assert parsed.style is None
    assert parsed.behavior is None
    assert parsed.problems == [
        "stimulus factor outside vocabulary: 'xyz'",
        "too many stimulus factors: 4 (at most 3)",
        "missing stage: Knowledge",
        "too few knowledge factors: 1 (at least 2)",
        "evaluation style outside vocabulary: 'careful'",
        "invalid letter: [Z] (options A-D)",
    ]


def test_missing_behavior_line_and_missing_factor_lines():
    text = "Stimulus: bored.\nKnowledge: B is fun.\nEvaluation: fine.\nEvaluation style: logical"
    parsed = parse_rationale(text, 2)
    assert parsed.behavior is None
    assert parsed.process == text
    assert parsed.problems == ["missing stimulus factors", "missing knowledge factors", "missing Behavior line"]


def test_garbage_gives_every_problem_and_keeps_the_text_as_process():
    parsed = parse_rationale("lorem ipsum dolor", 5)
    assert parsed == ParsedRationale(
        problems=[
            "missing stage: Stimulus",
            "missing stimulus factors",
            "missing stage: Knowledge",
            "missing knowledge factors",
            "missing stage: Evaluation",
            "missing evaluation style",
            "missing Behavior line",
        ],
        process="lorem ipsum dolor",
    )
    assert parse_rationale("", 2).problems[-1] == "missing Behavior line"


def test_behavior_line_variants():
    def last(text: str, n: int = 4) -> tuple[str | None, str]:
        parsed = parse_rationale(PROCESS + "\n" + text, n)
        return parsed.behavior, parsed.problems[-1] if parsed.problems else ""

    assert last("Behavior: C") == ("C", "")
    assert last("Behavior: I pick option d") == ("D", "")
    assert last("Behavior: [ b ] because it is funny") == ("B", "")
    assert last("Behavior: [E]") == (None, "invalid letter: [E] (options A-D)")
    assert last("Behavior: [AB]") == (None, "invalid letter: [AB] (options A-D)")
    assert last("Behavior: a great movie") == (None, "missing letter in Behavior line: 'a great movie'")
    assert last("Behavior: [L]", n=12) == ("L", "")


def test_repeated_label_is_reported_and_the_last_behavior_line_counts():
    text = WELL_FORMED.replace("Evaluation style: habitual", "Evaluation style: habitual\nStimulus: again")
    text = text.replace("Behavior: [B]", "Behavior: [A]\nBehavior: [C]")
    parsed = parse_rationale(text, 4)
    assert parsed.stimulus == "It is Friday night and I am bored after a long week.\nagain"
    assert parsed.behavior == "C"
    assert parsed.problems == ["repeated label: Stimulus", "repeated label: Behavior"]


def test_decision_process_and_find_letter():
    assert decision_process(WELL_FORMED) == PROCESS
    assert [find_letter(t, 4) for t in ("B", "B]", " [C]", "Behavior: [D]", "Option a", "The", "", "Z")] == [
        1,
        1,
        2,
        3,
        0,
        None,
        None,
        None,
    ]


def test_studio_prompts_letter_the_options_and_prefill_the_behavior_line():
    scene = SceneText(profile="P", history=["h1", "h2"], options=["x", "y", "z"], style="studio")
    messages = scene_prompt(scene, "rationale").messages
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "Stimulus factors:" in messages[0]["content"] and "boredom" in messages[0]["content"]
    assert "[A] x\n[B] y\n[C] z" in messages[1]["content"]
    assert "- h1\n- h2" in messages[1]["content"]
    short = SceneText(profile="P", history=[], options=["x", "y"], style="studio")
    pre = scene_prompt(short, "predict", rationale=PROCESS + "\nBehavior: [B]")
    assert pre.continues and pre.messages[:2] == scene_prompt(short, "rationale").messages
    assert pre.messages[2] == {"role": "assistant", "content": PROCESS + "\n" + BEHAVIOR_PREFILL}
    ask = scene_prompt(short, "predict", rationale=PROCESS, continue_final=False)
    assert not ask.continues
    assert [m["role"] for m in ask.messages] == ["system", "user", "assistant", "user"]
    assert ask.messages[2]["content"] == PROCESS
    assert ask.messages[3]["content"].startswith("[A] x\n[B] y\n\nWhich option do I pick?")


def test_fast_paths_skip_only_lines_the_regexes_cannot_change():
    """_clean/_label skip their regexes by the first character; check those shortcuts against all of Unicode."""
    import re
    import sys

    from core import rationale_parser as rp

    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    assert {c for c in chars if rp._LABEL_RE.match(c + "tyle") or re.match(r"[skeb]", c, re.IGNORECASE)} == set(
        rp._LABEL_FIRST
    )
    assert [c for c in chars if bool(re.match(r"\s", c)) != c.isspace()] == []
    assert [c for c in chars if bool(re.match(r"\d", c)) != c.isdecimal()] == []
    assert rp._clean("  **Stimulus**: x") == "Stimulus: x" and rp._clean("1. Knowledge: y") == "Knowledge: y"
    assert rp._label("\u212anowledge: k") == ("knowledge", "k") and rp._label("Thought:") is None


def test_a_look_alike_label_is_plain_text_not_a_crash():
    parsed = parse_rationale("ſtyle: x\nBehavior: [A]", 3)
    assert parsed.style is None and parsed.behavior == "A"
    assert "missing evaluation style" in parsed.problems
