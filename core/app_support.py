"""Non-UI helpers for the app: URL <-> page state, score-range sliders, markdown escaping, labels. No Streamlit here.

Both pages that narrow scenes by score (Samples, Filter) hold the same model, storage/ranges.py's Ranges, write it
to the URL with one codec (ranges_to_params / ranges_from_params: `r_COLUMN=LOW:HIGH`) and read it off a range
slider with one rule (slider_start / slider_range).
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.choices import CONSTRAIN_FORMAT, CONSTRAIN_NONE
from storage.browse import PRESETS, SORT_COLUMNS, SceneFilter, SceneOrder
from storage.constants import DEFAULT_RANK, RANK_COLUMNS, SPLITS, STATUSES
from storage.ranges import Range, Ranges

PAGE_SIZE = 50
# Query-parameter names owned by the Samples filter (the Review page adds "scene"), besides the ranges.
FILTER_KEYS = ("ds", "split", "status", "len", "sel", "preset", "q", "sort", "desc", "page")
RANGE_PREFIX = "r_"  # r_COLUMN=LOW:HIGH, the score ranges of both pages
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=\"'&])")


def escape_markdown(text: object) -> str:
    """Text safe to embed in st.markdown: every markdown/HTML/directive character is backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def _first(value: object) -> str | None:
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    if value is None:
        return None
    value = str(value)
    return value or None


def _float(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        return None


def _finite(text: str | None) -> float | None:
    value = _float(text or "")
    return value if value is not None and math.isfinite(value) else None


def ranges_from_params(params: Mapping[str, object], columns: tuple[str, ...] | list[str]) -> Ranges:
    """The score ranges in URL query parameters (`r_COLUMN=LOW:HIGH`), for the given columns; a side that is empty
    or not a finite number is open, a range with both sides open is left out."""
    ranges: Ranges = {}
    for name in columns:
        raw = _first(params.get(RANGE_PREFIX + name))
        if raw and ":" in raw:
            low, high = (_finite(side) for side in raw.split(":", 1))
            if low is not None or high is not None:
                ranges[name] = (low, high)
    return ranges


def ranges_to_params(ranges: Ranges) -> dict[str, str]:
    """The URL query parameters of score ranges (open sides empty; fully open ranges left out)."""
    side = lambda value: "" if value is None else repr(float(value))  # noqa: E731
    return {
        RANGE_PREFIX + name: f"{side(low)}:{side(high)}"
        for name, (low, high) in ranges.items()
        if low is not None or high is not None
    }


def slider_start(want: Range, low: float, high: float) -> tuple[float, float]:
    """Where a range slider over [low, high] starts for a wanted range: its sides clamped into the bounds, an open
    side at its bound."""
    start = low if want[0] is None else min(max(want[0], low), high)
    return start, max(start, high if want[1] is None else min(max(want[1], low), high))


def slider_range(chosen: tuple[float, float], low: float, high: float) -> Range | None:
    """The range a slider over [low, high] stands for: a side left at its bound is open; None when both are."""
    found = (chosen[0] if chosen[0] > low else None, chosen[1] if chosen[1] < high else None)
    return None if found == (None, None) else found


def filter_from_params(params: Mapping[str, object]) -> tuple[SceneFilter, SceneOrder, int]:
    """Filter, order and page number from URL query parameters; unknown or malformed values are ignored."""
    get = lambda key: _first(params.get(key))  # noqa: E731
    status = get("status")
    preset = get("preset")
    length = get("len")
    ranges = ranges_from_params(params, RANK_COLUMNS)
    flt = SceneFilter(
        dataset=get("ds"),
        split=get("split") if get("split") in SPLITS else None,
        status=status if status in STATUSES else None,
        choice_cnt=int(length) if length and length.isdigit() else None,
        selection=get("sel"),
        preset=preset if preset in PRESETS else None,
        search=get("q"),
        ranges=ranges,
    )
    sort = get("sort")
    order = SceneOrder(column=sort if sort in SORT_COLUMNS else "id", descending=get("desc") == "1")
    page = get("page")
    return flt, order, int(page) if page and page.isdigit() else 0


def filter_to_params(flt: SceneFilter, order: SceneOrder, page: int = 0) -> dict[str, str]:
    """The URL query parameters that encode a filter, order and page (defaults left out)."""
    params = {
        "ds": flt.dataset,
        "split": flt.split,
        "status": flt.status,
        "len": str(flt.choice_cnt) if flt.choice_cnt else None,
        "sel": flt.selection,
        "preset": flt.preset,
        "q": flt.search,
        "sort": order.column if order.column != "id" else None,
        "desc": "1" if order.descending else None,
        "page": str(page) if page else None,
    }
    params.update(ranges_to_params(flt.ranges))
    return {key: value for key, value in params.items() if value}


def is_filter_key(key: str) -> bool:
    """Whether a query parameter belongs to the scene filter."""
    return key in FILTER_KEYS or key.startswith(RANGE_PREFIX)


def format_problems(problems: list | None) -> list[str]:
    """A rationale's format problems as plain strings."""
    return [str(p) for p in problems or []]


# How a rationale was decoded (Rationale.decoding, the `rationales --constrain` value), in words.
DECODING_NOTES = {
    CONSTRAIN_FORMAT: "Decoded under the decision-process grammar (--constrain format): the format could not break.",
    CONSTRAIN_NONE: "Decoded freely (--constrain none): any format problem is the model's own.",
}


def decoding_note(decoding: str | None) -> str | None:
    """What a reviewer should know about how a rationale was decoded (None when it was not recorded)."""
    return DECODING_NOTES.get(decoding or "")


def short(text: str, limit: int = 80) -> str:
    """One line, cut at limit characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


# Query parameters of the Filter page (rank column, direction, target, threshold columns), besides the ranges.
SELECTION_KEYS = ("rank", "asc", "target", "th")


@dataclass
class SelectionView:
    """What the Filter page shows: the ranking, target, the columns with threshold sliders and their ranges."""

    column: str = DEFAULT_RANK
    ascending: bool = False
    target: int | None = None
    on: list[str] = field(default_factory=lambda: [DEFAULT_RANK])  # columns with threshold sliders
    ranges: Ranges = field(default_factory=dict)  # thresholds of columns in `on`


def selection_from_params(params: Mapping[str, object], columns: list[str] | tuple[str, ...]) -> SelectionView:
    """The Filter page's state from URL query parameters; unknown columns and malformed values are ignored."""
    get = lambda key: _first(params.get(key))  # noqa: E731
    column = get("rank") if get("rank") in columns else DEFAULT_RANK
    target = get("target")
    raw = get("th")
    on = [column] if raw is None else list(dict.fromkeys(c for c in raw.split(",") if c in columns))
    return SelectionView(
        column=column,
        ascending=get("asc") == "1",
        target=int(target) if target and target.isdigit() and int(target) > 0 else None,
        on=on,
        ranges=ranges_from_params(params, on),
    )


def selection_to_params(view: SelectionView) -> dict[str, str]:
    """The URL query parameters that encode the Filter page's state (defaults left out)."""
    params = {
        "rank": view.column if view.column != DEFAULT_RANK else None,
        "asc": "1" if view.ascending else None,
        "target": str(view.target) if view.target else None,
        "th": None if view.on == [view.column] else ",".join(view.on) or "-",  # "-": no threshold column
    }
    params.update(ranges_to_params(view.ranges))
    return {key: value for key, value in params.items() if value}


def is_selection_key(key: str) -> bool:
    """Whether a query parameter belongs to the Filter page."""
    return key in SELECTION_KEYS or key.startswith(RANGE_PREFIX)
