"""Parse an EKB rationale (the format of core/prompts.py) into its fields and a list of format problems."""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from core.prompts import letter_range
from core.vocabulary import (
    KNOWLEDGE_RANGE,
    STIMULUS_RANGE,
    canonical_knowledge,
    canonical_stimulus,
    canonical_style,
)
from storage.constants import LETTERS


@dataclass
class ParsedRationale:
    """The fields of one rationale; problems are human-readable, in the order of the stages."""

    stimulus: str | None = None
    stimulus_factors: list[str] = field(default_factory=list)
    knowledge: str | None = None
    knowledge_factors: list[str] = field(default_factory=list)
    evaluation: str | None = None
    style: str | None = None
    behavior: str | None = None  # a valid option letter, else None
    problems: list[str] = field(default_factory=list)
    process: str = ""  # the decision-process text: everything before the Behavior line

    def columns(self) -> dict:
        """The fields a Rationale row stores (PARSED_COLUMNS), by column name."""
        return {name: getattr(self, name) for name in PARSED_COLUMNS}


# The Rationale columns parsing fills; `process` is not stored (it is derived from the text).
PARSED_COLUMNS = ("stimulus", "stimulus_factors", "knowledge", "knowledge_factors", "evaluation", "style", "behavior")
PARSED_COLUMNS += ("problems",)


# Longest labels first so "Stimulus factors:" is not read as "Stimulus:".
_LABELS = {
    "stimulus factors": "stimulus_factors",
    "stimulus factor": "stimulus_factors",
    "knowledge factors": "knowledge_factors",
    "knowledge factor": "knowledge_factors",
    "evaluation style": "style",
    "style": "style",
    "stimulus": "stimulus",
    "knowledge": "knowledge",
    "evaluation": "evaluation",
    "behavior": "behavior",
    "behaviour": "behavior",
}
_LABEL_RE = re.compile(r"^(" + "|".join(_LABELS) + r")\s*(?::\s*(.*))?$", re.IGNORECASE)
# Every character _LABEL_RE can start with: the labels' first letters in either case, plus the two non-ASCII letters
# that IGNORECASE folds onto them (U+017F long s, U+212A Kelvin sign); a test checks this against all of Unicode.
_LABEL_FIRST = frozenset("sSkKeEbB\u017f\u212a")
_MARKUP_RE = re.compile(r"\*\*|__|`")
_LEAD_RE = re.compile(r"^(?:[#>*\-\s]+|\d+[.)]\s*)+")
_LEAD_SYMBOLS = frozenset("#>*-")
_BRACKET_RE = re.compile(r"\[\s*([A-Za-z]+)\s*\]")
_OPTION_RE = re.compile(r"\boption\s+([A-Za-z])\b", re.IGNORECASE)
_BARE_RE = re.compile(r"^([A-Za-z])\s*(?:$|[.):\]-])")
_PAREN_RE = re.compile(r"\([^)]*\)")
_SPLIT_RE = re.compile(r"[,;\n]")
_CONJUNCTION_RE = re.compile(r"^(?:and|or)\s+", re.IGNORECASE)


def _clean(line: str) -> str:
    # The regexes only run when they can change something (the same result, a few times faster on plain lines):
    # markup needs "**", "__" or "`"; _LEAD_RE needs a symbol, whitespace (str.isspace = \s) or a digit (\d) first.
    if "**" in line or "__" in line or "`" in line:
        line = _MARKUP_RE.sub("", line)
    if line and (line[0] in _LEAD_SYMBOLS or line[0].isspace() or line[0].isdecimal()):
        line = _LEAD_RE.sub("", line)
    return line.strip()


def _label(line: str) -> tuple[str, str] | None:
    """(field, rest of line) when the line starts a labelled section."""
    cleaned = _clean(line)
    if cleaned[:1] not in _LABEL_FIRST:
        return None
    match = _LABEL_RE.match(cleaned)
    if match is None:
        return None
    # re.IGNORECASE also matches look-alikes such as 'ſ' (long s) whose lower() is no label: not a label then
    field = _LABELS.get(match.group(1).lower())
    return None if field is None else (field, (match.group(2) or "").strip())


def _factor_list(text: str) -> tuple[str, ...]:
    parts = _SPLIT_RE.split(_PAREN_RE.sub("", text))
    cleaned = (_CONJUNCTION_RE.sub("", _clean(part)).strip(" .'\"[]") for part in parts)
    return tuple(part for part in cleaned if part)


_KINDS = {
    "stimulus": (canonical_stimulus, STIMULUS_RANGE),
    "knowledge": (canonical_knowledge, KNOWLEDGE_RANGE),
}


def _factors_of(text: str, kind: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(canonical factors, problems) of a factor section."""
    canon, (low, high) = _KINDS[kind]
    given = _factor_list(text)
    if not given:
        return (), (f"missing {kind} factors",)
    found: list[str] = []
    problems: list[str] = []
    for part in given:
        name = canon(part)
        if name is None:
            problems.append(f"{kind} factor outside vocabulary: {part!r}")
        value = name or part
        if value not in found:
            found.append(value)
    if len(given) < low:
        problems.append(f"too few {kind} factors: {len(given)} (at least {low})")
    if len(given) > high:
        problems.append(f"too many {kind} factors: {len(given)} (at most {high})")
    return tuple(found), tuple(problems)


# Models write the same few factor lines over and over: short ones are cached (bounded memory).
_cached_factors_of = lru_cache(maxsize=1 << 16)(_factors_of)
_CACHED_LENGTH = 300


def _factors(text: str | None, kind: str, problems: list[str]) -> list[str]:
    text = text or ""
    found, added = (_cached_factors_of if len(text) <= _CACHED_LENGTH else _factors_of)(text, kind)
    problems.extend(added)
    return list(found)


def _letter(rest: str, n_options: int, problems: list[str]) -> str | None:
    match = _BRACKET_RE.search(rest) or _OPTION_RE.search(rest) or _BARE_RE.match(rest)
    if match is None:
        problems.append(f"missing letter in Behavior line: {rest!r}")
        return None
    written = match.group(1)
    index = LETTERS.find(written.upper()) if len(written) == 1 else -1
    if 0 <= index < n_options:
        return LETTERS[index]
    problems.append(f"invalid letter: [{written}] (options {letter_range(n_options)})")
    return None


def find_letter(text: str, n_options: int) -> int | None:
    """The 0-based option a short answer names ("B", "[B]", "Behavior: [B]", "Option B"), or None."""
    found = _label(text.strip().splitlines()[0]) if text.strip() else None
    rest = found[1] if found and found[0] == "behavior" else _clean(text)
    letter = _letter(rest, n_options, [])
    return LETTERS.index(letter) if letter else None


def split_behavior(text: str) -> tuple[str, str | None]:
    """(decision-process text before the last Behavior line, the rest of that line or None when absent)."""
    lines = text.splitlines()
    for index in range(len(lines) - 1, -1, -1):
        found = _label(lines[index])
        if found and found[0] == "behavior":
            return "\n".join(lines[:index]).strip(), found[1]
    return text.strip(), None


def decision_process(text: str) -> str:
    """The decision-process part of a rationale: everything before its Behavior line."""
    return split_behavior(text)[0]


def parse_rationale(text: str, n_options: int) -> ParsedRationale:
    """Fields and exact format problems of a rationale for a scene with n_options options."""
    process, behavior_rest = split_behavior(text)
    sections: dict[str, list[str]] = {}
    problems: list[str] = []
    current: list[str] | None = None
    for line in process.splitlines():
        found = _label(line)
        if found is not None and found[0] == "behavior":  # an earlier Behavior line: only the last one counts
            problems.append("repeated label: Behavior")
            current = None
        elif found is not None:
            current = sections.setdefault(found[0], [])
            if current:  # a repeated label continues its first section
                problems.append(f"repeated label: {_clean(line).split(':')[0]}")
            current.append(found[1])
        elif current is not None:
            current.append(line.strip())
    body = {name: "\n".join(lines).strip() or None for name, lines in sections.items()}

    parsed = ParsedRationale(process=process, problems=problems)
    parsed.stimulus = body.get("stimulus")
    if parsed.stimulus is None:
        problems.append("missing stage: Stimulus")
    parsed.stimulus_factors = _factors(body.get("stimulus_factors"), "stimulus", problems)
    parsed.knowledge = body.get("knowledge")
    if parsed.knowledge is None:
        problems.append("missing stage: Knowledge")
    parsed.knowledge_factors = _factors(body.get("knowledge_factors"), "knowledge", problems)
    parsed.evaluation = body.get("evaluation")
    if parsed.evaluation is None:
        problems.append("missing stage: Evaluation")
    written_style = (body.get("style") or "").strip(" .'\"")
    parsed.style = canonical_style(written_style) if written_style else None
    if not written_style:
        problems.append("missing evaluation style")
    elif parsed.style is None:
        problems.append(f"evaluation style outside vocabulary: {written_style!r}")
    if behavior_rest is None:
        problems.append("missing Behavior line")
    else:
        parsed.behavior = _letter(behavior_rest, n_options, problems)
    return parsed
