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


def shown_values(values: dict, max_chars: int = 300) -> dict[str, str]:
    """Display text of every value that is present (missing ones left out)."""
    shown = {}
    for key, raw in values.items():
        text = format_value(raw, max_chars)
        if text is not None:
            shown[key] = text
    return shown


def render_entry(section: dict, values: dict, *, formatted: bool = False) -> str:
    """One text from a template section and a dict of values (missing values drop their part).

    formatted=True means values already went through shown_values (the fast path for cached items).
    """
    shown = values if formatted else shown_values(values, int(section.get("max_field_chars", 300)))
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


def render_profile(templates: dict, features: dict | None, history: dict | None = None) -> str:
    """The profile text of a user: their features, then what they did before the target (profile_history)."""
    text = render_entry(templates["profile"], features or {})
    section = templates.get("profile_history")
    extra = render_entry(section, history) if section and history else ""
    if not extra:
        return text
    if not text:
        return extra
    return text + (" " if text.endswith((".", "!", "?")) else ". ") + extra


def render_option(templates: dict, title: str, features: dict | None) -> str:
    """The text of one exposure option (item fields only: nothing about the user's behaviour)."""
    return render_entry(templates["exposure"], {"title": title, **(features or {})})


def render_history(templates: dict, title: str, item_features: dict | None, features: dict | None, ts: int) -> str:
    """One history entry: the item, the interaction's own features (rating, review...) and its date."""
    date = datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d")
    return render_entry(
        templates["history"], {"title": title, **(item_features or {}), **(features or {}), "date": date}
    )


class Renderer:
    """Renders many scenes of one dataset, formatting each item's values once."""

    def __init__(self, templates: dict, titles: dict[int, str], item_features) -> None:
        self.templates = templates
        self.titles = titles
        self.item_features = item_features  # callable: item id -> dict
        self.max_chars = int(templates["history"].get("max_field_chars", 300))
        self._items: dict[int, dict[str, str]] = {}
        self._options: dict[int, str] = {}

    def _item(self, item_id: int) -> dict[str, str]:
        if item_id not in self._items:
            values = {"title": self.titles[item_id], **(self.item_features(item_id) or {})}
            self._items[item_id] = shown_values(values, self.max_chars)
        return self._items[item_id]

    def option(self, item_id: int) -> str:
        """The option text of an item (cached)."""
        if item_id not in self._options:
            self._options[item_id] = render_entry(self.templates["exposure"], self._item(item_id), formatted=True)
        return self._options[item_id]

    def history(self, item_id: int, features: dict | None, ts: int) -> str:
        """One history entry for an item and the interaction's features."""
        shown = {**self._item(item_id), **shown_values(features or {}, self.max_chars)}
        shown["date"] = datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d")
        return render_entry(self.templates["history"], shown, formatted=True)
