"""Profile, history and option text from the dataset's templates (see core/templates.py for the format)."""

import math
import string
from datetime import UTC, datetime
from functools import lru_cache

RESERVED = frozenset({"title", "date"})


@lru_cache(maxsize=512)
def _fields(part: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(part) if name)


def format_value(value, max_chars: int = 300) -> str | None:
    """A feature value as display text; None when missing (None, NaN, empty string or list)."""
    if value is None:
        return None
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, float):
        if math.isnan(value):
            return None
        text = str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0")
    elif isinstance(value, (list, tuple)):
        items = [t for t in (format_value(v, max_chars) for v in value) if t]
        text = ", ".join(items)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {t}" for k, v in value.items() if (t := format_value(v, max_chars)))
    else:
        text = str(value).strip()
    if not text:
        return None
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def render_entry(section: dict, values: dict) -> str:
    """One text from a template section and a dict of raw values (missing values drop their part)."""
    max_chars = int(section.get("max_field_chars", 300))
    shown = {}
    for key, raw in values.items():
        text = format_value(raw, max_chars)
        if text is not None:
            shown[key] = text
    pieces: list[str] = []
    named: set[str] = set()
    for part in section.get("parts", []):
        names = _fields(part)
        named.update(names)
        if any(name not in shown for name in names):
            continue
        piece = part.format_map(shown)
        if piece and not any(piece.strip("() []") in p for p in pieces):
            pieces.append(piece)
    if section.get("extra") == "all":
        pieces.extend(f"{k}: {v}" for k, v in shown.items() if k not in named and k not in RESERVED)
    text = section.get("sep", ", ").join(pieces)
    return text or section.get("empty", "")


def render_profile(templates: dict, features: dict | None) -> str:
    """The profile text of a user."""
    return render_entry(templates["profile"], features or {})


def render_option(templates: dict, title: str, features: dict | None) -> str:
    """The text of one exposure option (item fields only: nothing about the user's behaviour)."""
    return render_entry(templates["exposure"], {"title": title, **(features or {})})


def render_history(templates: dict, title: str, item_features: dict | None, features: dict | None, ts: int) -> str:
    """One history entry: the item, the interaction's own features (rating, review...) and its date."""
    date = datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d")
    return render_entry(
        templates["history"], {"title": title, **(item_features or {}), **(features or {}), "date": date}
    )
