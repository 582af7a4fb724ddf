"""Constrained decoding: GBNF grammars for the decision-process format and for a one-letter answer (DESIGN.md §3, §4).

The format grammar is built from the same definitions the prompts and the parser use — the style's labels, header
and factor spellings (core/scene_prompts.OUTPUT_FORMATS), the factor counts (core/vocabulary.py) and the scene's
letters — so a constrained answer is one the parser reads without a format problem: the stage lines in order, each
factor from the controlled vocabulary, 1-3 stimulus and 2-4 knowledge factors, one evaluation style, and
`Behavior: [X]` with X among the scene's letters. Free-text fields are one line each, bounded in length so the whole
answer fits in max_tokens.

Where a grammar goes in a request depends on the server: llama.cpp (the embedded `local` endpoint) takes a GBNF
`grammar` field; vLLM takes it as `structured_outputs.grammar` (its xgrammar backend reads GBNF). Hosted chat APIs
cannot constrain decoding.
"""

import json

from core.choices import CONSTRAIN_FORMAT as FORMAT
from core.choices import CONSTRAIN_NONE as NONE
from core.choices import CONSTRAINTS
from core.errors import BadInput
from core.scene_prompts import output_format
from core.vocabulary import KNOWLEDGE_RANGE, STIMULUS_RANGE
from storage.constants import LETTERS
from storage.models import Endpoint

# How each endpoint kind takes a grammar: the request body field (under extra_body) that holds it.
GRAMMAR_FIELDS = {"local": ("grammar",), "vllm": ("structured_outputs", "grammar")}
# Tokens of the format itself at its longest (labels, the longest factor names, the behaviour line): 69 for the
# reference style with SmolLM2's tokenizer; the rest of max_tokens is shared by the three free-text fields.
FORMAT_TOKENS = 72
# Characters per token, estimated low so the answer fits: English prose runs near 4.5 with SmolLM2's tokenizer, but
# digits are one token each and small models write many numbers ("rated 7.89/10 in 2013").
CHARS_PER_TOKEN = 2
MIN_TEXT_CHARS, MAX_TEXT_CHARS = 8, 600
TEXT_FIELDS = ("stimulus", "knowledge", "evaluation")


def default_constraint(endpoint: Endpoint) -> str:
    """`format` on the embedded model (a small model rarely keeps the format unaided), `none` elsewhere."""
    return FORMAT if endpoint.kind == "local" else NONE


def check_constraint(endpoint: Endpoint, constraint: str | None) -> str:
    """The constraint to use on this endpoint (its default when None); BadInput when the endpoint cannot do it."""
    chosen = default_constraint(endpoint) if constraint is None else constraint
    if chosen not in CONSTRAINTS:
        raise BadInput(f"unknown --constrain {chosen!r}; use one of: {', '.join(CONSTRAINTS)}")
    if chosen == FORMAT and endpoint.kind not in GRAMMAR_FIELDS:
        raise BadInput(
            f"endpoint {endpoint.name!r} (kind {endpoint.kind}) cannot constrain decoding to a grammar; "
            f"--constrain format works on the embedded model and vLLM endpoints (endpoints add --vllm); "
            f"use --constrain none"
        )
    return chosen


def text_chars(max_tokens: int) -> int:
    """The longest free-text field (characters) that lets the three fields and the format fit in max_tokens."""
    chars = (max_tokens - FORMAT_TOKENS) * CHARS_PER_TOKEN // len(TEXT_FIELDS)
    if chars < MIN_TEXT_CHARS:
        least = FORMAT_TOKENS + -(-MIN_TEXT_CHARS * len(TEXT_FIELDS) // CHARS_PER_TOKEN)
        raise BadInput(f"--max-tokens {max_tokens} is too small for the decision-process format (at least {least})")
    return min(chars, MAX_TEXT_CHARS)


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a GBNF string literal: double quotes, \n and \" escaped


def _choice(names: tuple[str, ...] | list[str]) -> str:
    return " | ".join(_literal(name) for name in names)


def _list(rule: str, counts: tuple[int, int]) -> str:
    low, high = counts
    return f"{rule} ({_literal(', ')} {rule}){{{low - 1},{high - 1}}}"


def letters_rule(n_options: int) -> str:
    """The alternatives of the scene's letters: "A" | "B" | ..."""
    if not 1 <= n_options <= len(LETTERS):
        raise ValueError(f"{n_options} options; a scene has 1 to {len(LETTERS)}")
    return _choice(LETTERS[:n_options])


def answer_grammar(n_options: int) -> str:
    """A grammar whose only sentences are the scene's letters (prediction's one-token answer)."""
    return f"root ::= {letters_rule(n_options)}"


def format_grammar(style: str, n_options: int, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """The decision-process format of a prompt style for a scene with n_options options, as GBNF."""
    fmt = output_format(style)
    labels = fmt.labels
    line = [_literal(f"{fmt.header}\n")] if fmt.header else []
    line += [
        _literal(f"{labels['stimulus']} "),
        "text",
        _literal(f"\n{labels['stimulus_factors']} "),
        _list("stimulus", STIMULUS_RANGE),
        _literal(f"\n{labels['knowledge']} "),
        "text",
        _literal(f"\n{labels['knowledge_factors']} "),
        _list("knowledge", KNOWLEDGE_RANGE),
        _literal(f"\n{labels['evaluation']} "),
        "text",
        _literal(f"\n{labels['style']} "),
        "style",
        _literal(f"\n{fmt.behavior}"),
        "letter",
        _literal("]"),
    ]
    rules = [
        f"root ::= {' '.join(line)}",
        # one line of prose: starts with a visible character, no line break inside
        f"text ::= [^\\n\\r\\t ] [^\\n\\r]{{{MIN_TEXT_CHARS - 1},{max_chars - 1}}}",
        f"stimulus ::= {_choice(fmt.stimulus_factors)}",
        f"knowledge ::= {_choice(fmt.knowledge_factors)}",
        f"style ::= {_choice(fmt.evaluation_styles)}",
        f"letter ::= {letters_rule(n_options)}",
    ]
    return "\n".join(rules) + "\n"


def longest_answer(style: str, n_options: int, *, max_chars: int) -> int:
    """Characters of the grammar's longest sentence. A token is at least one character, so a request allowing this
    many tokens is never cut before `Behavior: [X]`, however finely the model splits the words; the answer itself
    stops at the closing bracket, near the budget text_chars was sized for."""
    fmt = output_format(style)
    labels = fmt.labels
    fixed = len(f"{fmt.header}\n") if fmt.header else 0
    fixed += sum(len(labels[key]) + 2 for key in labels)  # each label, its space and the line break before the next
    fixed += len(fmt.behavior) + 1 + len("]")  # one letter: the scene's letters are single characters
    factors = 0
    for names, (_, high) in ((fmt.stimulus_factors, STIMULUS_RANGE), (fmt.knowledge_factors, KNOWLEDGE_RANGE)):
        factors += high * max(map(len, names)) + (high - 1) * len(", ")
    return fixed + factors + max(map(len, fmt.evaluation_styles)) + len(TEXT_FIELDS) * max_chars


def grammar_params(endpoint: Endpoint, grammar: str) -> dict:
    """Request parameters carrying the grammar the way the endpoint's server expects it ({} when it cannot)."""
    path = GRAMMAR_FIELDS.get(endpoint.kind)
    if path is None:
        return {}
    body: dict = {path[-1]: grammar}
    for key in reversed(path[:-1]):
        body = {key: body}
    return {"extra_body": body}
