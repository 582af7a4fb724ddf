"""Constrained decoding: the format grammar's every sentence parses without a format problem, it reaches the request
in each server's field, the choice is checked before anything is written, and each rationale records it."""

import json
import random
import re

import pytest
from sqlmodel import select

from core.cli.main import main
from core.errors import BadInput
from core.format_grammar import (
    answer_grammar,
    check_constraint,
    format_grammar,
    grammar_params,
    longest_answer,
    text_chars,
)
from core.rationale_parser import parse_rationale
from core.rationales import generate_rationales, rationale_requests
from core.scene_prompts import PROMPT_STYLES, output_format
from storage.constants import LETTERS
from storage.llm import add_endpoint
from storage.models import Endpoint, Rationale, Run
from tests.factories import make_dataset, make_scene
from tests.fault_server import fault_server  # noqa: F401  (fixture)

TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|\[(?:[^\]\\]|\\.)*\]|[A-Za-z][\w-]*|[()|]|\{\d+,\d+\})')


def _tokens(body: str) -> list[str]:
    found, at = [], 0
    while at < len(body.rstrip()):
        match = TOKEN.match(body, at)
        assert match, body[at:]
        found.append(match.group(1))
        at = match.end()
    return found


def _class(token: str, rng: random.Random) -> str:
    # our classes are [^...] of escaped control characters (and a space): draw a printable character outside them
    excluded = json.loads('"' + token[2:-1] + '"')
    return rng.choice([c for c in "abc xyz,.:/[]'Éé0123456789-" if c not in excluded])


def sample(grammar: str, rng: random.Random) -> str:
    """One random sentence of a GBNF grammar in the subset format_grammar writes (literals, rule names, character
    classes, groups, alternatives, {m,n} repetitions)."""
    rules = dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())

    def expand(tokens: list[str]) -> str:
        alternatives, current = [], []
        for token in tokens:
            if token == "|":
                alternatives.append(current)
                current = []
            else:
                current.append(token)
        alternatives.append(current)
        return sequence(rng.choice(alternatives))

    def sequence(tokens: list[str]) -> str:
        out, k = [], 0
        while k < len(tokens):
            token = tokens[k]
            if token == "(":
                depth, end = 1, k + 1
                while depth:
                    depth += {"(": 1, ")": -1}.get(tokens[end], 0)
                    end += 1
                unit, k = tokens[k + 1 : end - 1], end
                make = lambda unit=unit: expand(unit)  # noqa: E731
            else:
                k += 1
                if token.startswith('"'):
                    make = lambda token=token: json.loads(token)  # noqa: E731
                elif token.startswith("["):
                    make = lambda token=token: _class(token, rng)  # noqa: E731
                else:
                    make = lambda token=token: expand(_tokens(rules[token]))  # noqa: E731
            low = high = 1
            if k < len(tokens) and tokens[k].startswith("{"):
                low, high = map(int, tokens[k][1:-1].split(","))
                k += 1
            out.extend(make() for _ in range(rng.randint(low, high)))
        return "".join(out)

    return expand(_tokens(rules["root"]))


def matcher(grammar: str) -> re.Pattern:
    """The grammar as a regular expression (the subset format_grammar writes has no recursion, so it is regular)."""
    rules = dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())

    def compile_rule(name: str) -> str:
        parts = []
        for token in _tokens(rules[name]):
            if token.startswith('"'):
                parts.append(re.escape(json.loads(token)))
            elif token == "(":
                parts.append("(?:")
            elif token in (")", "|") or token.startswith(("[", "{")):
                parts.append(token)  # classes and {m,n} repetitions mean the same in GBNF and in Python's re
            else:
                parts.append(f"(?:{compile_rule(token)})")
        return "".join(parts)

    return re.compile(compile_rule("root"))


STUDIO_OK = (
    "Stimulus: A quiet evening after work.\n"
    "Stimulus factors: fatigue/restlessness, time of day\n"
    "Knowledge: The user rated three dramas highly.\n"
    "Knowledge factors: preferences/history, rating score/distribution\n"
    "Evaluation: The drama fits the user best.\n"
    "Evaluation style: habitual\n"
    "Behavior: [C]"
)


def test_the_grammar_accepts_a_well_formed_rationale_and_refuses_each_format_problem():
    studio = matcher(format_grammar("studio", 3, max_chars=40))
    assert studio.fullmatch(STUDIO_OK)
    assert parse_rationale(STUDIO_OK, 3).problems == []
    refused = {
        "factors outside the vocabulary": STUDIO_OK.replace("fatigue/restlessness, time of day", "[1, 2, 3]"),
        "a letter outside the scene": STUDIO_OK.replace("[C]", "[D]"),
        "a placeholder letter": STUDIO_OK.replace("[C]", "[X]"),
        "stages out of order": STUDIO_OK.replace("Stimulus: A quiet", "Knowledge: A quiet", 1),
        "a stage line missing": STUDIO_OK.replace("Evaluation style: habitual\n", ""),
        "four stimulus factors": STUDIO_OK.replace("time of day", "time of day, weather, location"),
        "one knowledge factor": STUDIO_OK.replace("preferences/history, ", ""),
        "a line break inside a stage": STUDIO_OK.replace("after work.", "after\nwork."),
        "a stage too short": STUDIO_OK.replace("A quiet evening after work.", "Quiet"),
        "a stage too long": STUDIO_OK.replace("A quiet evening after work.", "x" * 41),
        "the reference's capitals": STUDIO_OK.replace("Stimulus factors", "Stimulus Factors"),
        "text after the behaviour": STUDIO_OK + " because",
    }
    assert {problem: bool(studio.fullmatch(text)) for problem, text in refused.items()} == dict.fromkeys(refused, False)
    reference = matcher(format_grammar("reference", 2, max_chars=40))
    reference_ok = (
        "Thought:\nStimulus: It is raining.\nStimulus Factors: Weather\nKnowledge: Likes thrillers.\n"
        "Knowledge Factors: User Preferences/History, Social Proof\nEvaluation: B is a thriller.\n"
        "Evaluation Style: Logical\nBehavior: [B]"
    )
    assert reference.fullmatch(reference_ok) and parse_rationale(reference_ok, 2).problems == []
    assert not reference.fullmatch(reference_ok.removeprefix("Thought:\n"))
    assert not reference.fullmatch(reference_ok.replace("Weather", "weather"))


@pytest.mark.parametrize("style", PROMPT_STYLES)
@pytest.mark.parametrize("n_options", [1, 2, 5, 12, 26])
def test_every_sentence_of_the_format_grammar_parses_without_a_problem(style, n_options):
    rng = random.Random(f"{style}{n_options}")
    grammar = format_grammar(style, n_options, max_chars=40)
    letters = set()
    for _ in range(60):
        text = sample(grammar, rng)
        parsed = parse_rationale(text, n_options)
        assert parsed.problems == [], text
        letters.add(parsed.behavior)
    assert letters <= set(LETTERS[:n_options]) and (n_options > 2 or letters == set(LETTERS[:n_options]))


def test_the_grammar_spells_the_style_of_the_scene():
    reference = format_grammar("reference", 3, max_chars=50)
    assert reference.startswith('root ::= "Thought:\\n" "Stimulus: " text "\\nStimulus Factors: " stimulus')
    assert '"User Preferences/History"' in reference and '"Logical" | "Intuitive"' in reference
    studio = format_grammar("studio", 3, max_chars=50)
    assert studio.startswith('root ::= "Stimulus: " text "\\nStimulus factors: " stimulus (", " stimulus){0,2}')
    assert '(", " knowledge){1,3}' in studio and '"preferences/history"' in studio
    assert 'letter ::= "A" | "B" | "C"\n' in studio
    assert "text ::= [^\\n\\r\\t ] [^\\n\\r]{7,49}" in studio
    assert output_format("studio").stimulus_factors[0] == "boredom"


def test_llama_cpp_compiles_both_grammars():
    from llama_cpp import LlamaGrammar

    for grammar in (format_grammar("reference", 26), format_grammar("studio", 1), answer_grammar(4)):
        assert LlamaGrammar.from_string(grammar, verbose=False) is not None


def test_free_text_fits_max_tokens():
    assert (text_chars(224), text_chars(1024), text_chars(84)) == (101, 600, 8)
    with pytest.raises(BadInput) as exc:
        text_chars(80)
    assert str(exc.value) == "--max-tokens 80 is too small for the decision-process format (at least 84)"


def _endpoint(kind: str, name: str = "e") -> Endpoint:
    return Endpoint(name=name, base_url="http://127.0.0.1:9/v1", model="m", kind=kind)


def test_each_server_gets_the_grammar_in_its_own_field():
    assert grammar_params(_endpoint("local"), "g") == {"extra_body": {"grammar": "g"}}
    assert grammar_params(_endpoint("vllm"), "g") == {"extra_body": {"structured_outputs": {"grammar": "g"}}}
    assert grammar_params(_endpoint("openai"), "g") == {}


def test_constraint_defaults_and_refusals():
    defaults = [check_constraint(_endpoint(kind), None) for kind in ("local", "vllm", "openai")]
    assert defaults == ["format", "none", "none"]
    assert check_constraint(_endpoint("vllm"), "format") == "format"
    assert check_constraint(_endpoint("local"), "none") == "none"
    with pytest.raises(BadInput) as exc:
        check_constraint(_endpoint("openai", "gpt"), "format")
    assert str(exc.value) == (
        "endpoint 'gpt' (kind openai) cannot constrain decoding to a grammar; --constrain format works on the "
        "embedded model and vLLM endpoints (endpoints add --vllm); use --constrain none"
    )


def test_requests_carry_the_scene_grammar(session):
    scene = make_scene(session, dataset=make_dataset(session), choice_cnt=5)
    common = {"session": session, "work": [(scene.id, 2)], "role": "weak", "max_tokens": 224, "temperature": 1.3}
    [free], _ = rationale_requests(endpoint=_endpoint("openai"), constraint="none", **common)
    assert free.params == {"temperature": 1.3, "top_p": 0.9, "max_tokens": 224, "seed": 2}
    [local], _ = rationale_requests(endpoint=_endpoint("local"), constraint="format", **common)
    grammar = format_grammar(scene.prompt_style, 5, max_chars=101)
    allowed = longest_answer(scene.prompt_style, 5, max_chars=101)
    assert local.params == {**free.params, "max_tokens": allowed, "extra_body": {"grammar": grammar}}
    assert allowed == {"studio": 589, "reference": 598}[scene.prompt_style]
    [vllm], _ = rationale_requests(endpoint=_endpoint("vllm"), constraint="format", **common)
    assert vllm.params["extra_body"] == {"structured_outputs": {"grammar": grammar}}


def _store(session, endpoint: Endpoint) -> None:
    add_endpoint(session=session, endpoint=endpoint)
    session.commit()


def test_cli_refuses_a_format_constraint_the_endpoint_cannot_apply_before_any_run(session, capsys):
    make_scene(session, dataset=make_dataset(session))
    _store(session, Endpoint(name="gpt", base_url="https://api.example/v1", model="m"))
    assert main(["rationales", "--role", "strong", "--endpoint", "gpt", "--constrain", "format"]) == 2
    assert "cannot constrain decoding to a grammar" in capsys.readouterr().err
    assert main(["rationales", "--role", "strong", "--endpoint", "local", "--max-tokens", "60"]) == 2
    assert capsys.readouterr().err == (
        "error: --max-tokens 60 is too small for the decision-process format (at least 84)\n"
    )
    assert session.exec(select(Run)).all() == [] and session.exec(select(Rationale)).all() == []


def test_each_rationale_records_how_it_was_decoded(session, engine, fault_server):  # noqa: F811
    scene = make_scene(session, dataset=make_dataset(session), choice_cnt=3)
    seen: list[dict] = []

    def answer(body: dict) -> str:
        seen.append(body)
        return "Stimulus: x\nBehavior: [B]"

    fault_server.responder = answer
    _store(session, Endpoint(name="vl", base_url=fault_server.url, model="m", kind="vllm", retries=0))
    _store(session, Endpoint(name="plain", base_url=fault_server.url, model="m", retries=0))
    generate_rationales(engine=engine, role="strong", endpoint="vl", n=1, constrain="format", max_tokens=200)
    generate_rationales(engine=engine, role="weak", endpoint="plain", n=1)
    rows = session.exec(select(Rationale.role, Rationale.decoding).order_by(Rationale.id)).all()
    assert rows == [("strong", "format"), ("weak", "none")]
    grammar = format_grammar(scene.prompt_style, 3, max_chars=text_chars(200))
    assert seen[0]["structured_outputs"] == {"grammar": grammar} and "structured_outputs" not in seen[1]
    runs = session.exec(select(Run.params).order_by(Run.id)).all()
    assert [p["constrain"] for p in runs] == ["format", "none"]


@pytest.mark.slow
@pytest.mark.sqlite_only  # about the embedded model, not the store: once is enough
def test_the_embedded_model_writes_format_valid_rationales_by_default(session, engine):
    dataset = make_dataset(session)
    scenes = [make_scene(session, dataset=dataset, choice_cnt=c, user_index=0) for c in (2, 4)]
    session.commit()
    report = generate_rationales(engine=engine, role="weak", endpoint="local", n=1, max_tokens=120)
    assert (report.done, report.failed) == (2, 0)
    rows = session.exec(select(Rationale).order_by(Rationale.scene_id, Rationale.sample_index)).all()
    got = [(r.scene_id, r.decoding, r.problems) for r in rows]
    assert got == [(scene.id, "format", []) for scene in scenes], [r.text for r in rows]
    assert {r.behavior for r in rows} <= set(LETTERS[:4]) and all(r.text.endswith(f"[{r.behavior}]") for r in rows)


@pytest.mark.parametrize("style", PROMPT_STYLES)
def test_a_request_allows_as_many_tokens_as_the_longest_sentence_has_characters(style):
    fmt = output_format(style)
    longest = {name: max(names, key=len) for name, names in (("s", fmt.stimulus_factors), ("k", fmt.knowledge_factors))}
    lines = [f"{fmt.header}"] if fmt.header else []
    lines += [
        f"{fmt.labels['stimulus']} {'s' * 40}",
        f"{fmt.labels['stimulus_factors']} {', '.join([longest['s']] * 3)}",
        f"{fmt.labels['knowledge']} {'k' * 40}",
        f"{fmt.labels['knowledge_factors']} {', '.join([longest['k']] * 4)}",
        f"{fmt.labels['evaluation']} {'e' * 40}",
        f"{fmt.labels['style']} {max(fmt.evaluation_styles, key=len)}",
        f"{fmt.behavior}E]",
    ]
    sentence = "\n".join(lines)
    assert matcher(format_grammar(style, 5, max_chars=40)).fullmatch(sentence)
    assert not matcher(format_grammar(style, 5, max_chars=40)).fullmatch(sentence.replace("e" * 40, "e" * 41))
    assert longest_answer(style, 5, max_chars=40) == len(sentence) == {"studio": 406, "reference": 415}[style]
