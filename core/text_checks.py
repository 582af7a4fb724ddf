"""Text the project refuses: NUL characters and lone surrogates anywhere (no database, JSON file or terminal holds
them faithfully), and in names and options also control characters (a name with an escape sequence rewrites the
terminal that prints it). Data text keeps its newlines and tabs.
"""

import re
from collections.abc import Iterable

from core.errors import BadInput

NUL = "a NUL character (\\0)"
SURROGATE = "a lone surrogate (half of a UTF-16 pair, or bytes that are not UTF-8)"
CONTROL = "a control character"
_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
# In JSON text: a \u escape of a NUL or of a surrogate (a valid pair also matches; the exact check decides).
_JSON_SUSPECTS = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def text_problem(text: str, *, controls: bool = False) -> str | None:
    """What is wrong with this text (NUL, lone surrogate, and with controls any control character), or None."""
    if "\x00" in text:
        return NUL
    if _SURROGATES.search(text):
        return SURROGATE
    if controls and _CONTROLS.search(text):
        return CONTROL
    return None


def value_problem(value: object) -> str | None:
    """text_problem of a data value, looking inside lists and objects (JSON features); None for other types."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        return next(filter(None, map(value_problem, [*value.keys(), *value.values()])), None)
    if isinstance(value, list | tuple):
        return next(filter(None, map(value_problem, value)), None)
    return None


def suspect(text: str, *, json: bool = False) -> bool:
    """Fast scan of a whole file's text: may it hold a NUL (or, as JSON escapes, a NUL or surrogate)?"""
    return "\x00" in text or (json and _JSON_SUSPECTS.search(text) is not None)


def check_name(value: str, label: str) -> str:
    """The value itself; BadInput '<label>: <problem>' for NUL, lone surrogates and control characters."""
    if problem := text_problem(value, controls=True):
        raise BadInput(f"{label}: {problem}; use plain printable text")
    return value


def check_names(pairs: Iterable[tuple[str, object]]) -> None:
    """check_name over (label, value) pairs; values that are lists are checked item by item, others skipped."""
    for label, value in pairs:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                check_name(item, label)
