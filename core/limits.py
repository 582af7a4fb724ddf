"""The valid range of every number the project reads, in one place: data fields, command options, settings.

A value outside its range is bad input (exit 2) naming where it came from; nothing is clamped, wrapped or coerced.
README's "Valid ranges" table lists every entry of LIMITS (a test keeps the two in step).
"""

import argparse
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import BadInput

if TYPE_CHECKING:  # numpy only where a column is checked: the CLI imports this module to parse its options
    import numpy as np

INT64_MAX = 2**63 - 1
MAX_FLOAT = 1.7976931348623157e308


@dataclass(frozen=True)
class Limit:
    """Inclusive bounds of one number (low excluded when low_open), whole numbers only when integer."""

    name: str  # as the user writes it: a column or an option
    low: float
    high: float
    doc: str  # what it is, for the README
    integer: bool = True
    low_open: bool = False
    hint: str = ""  # said after the bounds, e.g. the dates of two instants

    def rule(self) -> str:
        """'a whole number from 0 to 9,223,372,036,854,775,807' (or '... more than 0 up to 86,400')."""
        kind = "a whole number" if self.integer else "a number"
        if self.low == -MAX_FLOAT and self.high == MAX_FLOAT:
            return "a finite number"
        low, high = _show(self.low), _show(self.high)
        text = f"{kind} more than {low} up to {high}" if self.low_open else f"{kind} from {low} to {high}"
        return f"{text} ({self.hint})" if self.hint else text

    def outside(self, values: "np.ndarray") -> "np.ndarray":
        """Vectorised: True where a (float) value is NaN, infinite, out of bounds, or not whole when integer."""
        import numpy as np

        values = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            low_ok = values > self.low if self.low_open else values >= self.low
            bad = ~(low_ok & (values <= self.high))
            if self.integer:
                bad |= np.floor(values) != values
        return bad

    def contains(self, value: object) -> bool:
        """Whether one Python number lies in the range (exact for big ints: no float rounding)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if isinstance(value, float) and (not math.isfinite(value) or (self.integer and not value.is_integer())):
            return False
        return (self.low < value if self.low_open else self.low <= value) and value <= self.high

    def outside_message(self, shown: str, *, label: str | None = None) -> str:
        """'<shown> is outside the valid range of <name>: <rule>' (shown: the value as the user wrote it)."""
        if self.low == -MAX_FLOAT and self.high == MAX_FLOAT:
            return f"{shown} is not a finite number"
        return f"{shown} is outside the valid range of {label or self.name}: {self.rule()}"

    def check(self, value: object, *, label: str | None = None) -> int | float:
        """The value itself; BadInput '<label> must be <rule> (got <value>)' otherwise."""
        if not self.contains(value):
            raise BadInput(f"{label or self.name} must be {self.rule()} (got {value!r})")
        return value

    def arg(self, text: str) -> int | float:
        """argparse type: the number in text, or ArgumentTypeError naming the rule."""
        try:
            value = int(text) if self.integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {self.rule()} (got {text!r})") from None
        if not self.contains(value):
            raise argparse.ArgumentTypeError(f"must be {self.rule()} (got {text!r})")
        return value


def _show(value: float) -> str:
    """Bounds as people read them: 9,223,372,036,854,775,807; 1e+09; 0.5."""
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:g}"


# Instants are Unix seconds; the bounds are the first and last second of the years 1..9999 (a history entry is shown
# with its date, and every tool reading the exports can hold them).
FIRST_SECOND, LAST_SECOND = -62_135_596_800, 253_402_300_799
# Item release times reach back to year -9999 (goodbooks lists books of antiquity with negative years).
FIRST_RELEASE = -377_705_116_800  # core.ingest.tables.years_to_ts(-9999); a test pins it

_DATES = "0001-01-01 to 9999-12-31 23:59:59 UTC"
TIMESTAMP = Limit(
    "timestamp", FIRST_SECOND, LAST_SECOND, "interaction time: Unix seconds or ISO 8601", integer=False, hint=_DATES
)
_YEARS = "years -9999 to 9999"
RELEASE_TS = Limit("release_ts", FIRST_RELEASE, LAST_SECOND, "item release time; empty = unknown", False, hint=_YEARS)
YEAR = Limit("year", -9999, 9999, "item year (unified `year` column, goodbooks `original_publication_year`)")
FEATURE = Limit("feature", -MAX_FLOAT, MAX_FLOAT, "any other numeric column; empty = missing", integer=False)
RATINGS = {
    "movielens": Limit("rating", 1, 5, "MovieLens `rating` (u.data / ratings.dat)"),
    "movietweetings": Limit("rating", 0, 10, "MovieTweetings `rating` (ratings.dat)"),
    "goodbooks": Limit("rating", 1, 5, "goodbooks `rating` (ratings.csv)"),
    "amazon": Limit("rating", 1, 5, "Amazon Reviews `rating`", integer=False),
}
GOODBOOKS_ID = Limit("id", 0, INT64_MAX, "goodbooks `tag_id`, `goodreads_book_id` (tags.csv, book_tags.csv, books.csv)")
TAG_COUNT = Limit("count", 0, INT64_MAX, "goodbooks `count` of a tag on a book (book_tags.csv)")
PRICE = Limit("price", 0, 1e9, "Amazon meta `price`; text such as 'None' = unknown", integer=False)
AMAZON_MILLIS = Limit(
    "timestamp", FIRST_SECOND * 1000, LAST_SECOND * 1000 + 999, "Amazon Reviews `timestamp` (milliseconds)", hint=_DATES
)

SEED = Limit("--seed", 0, INT64_MAX, "random seed (scenes, predict, evaluate)")
COUNT = Limit("--count", 1, 10_000_000, "scenes to build")
PROMPT_TOKENS = Limit("--max-prompt-tokens", 1, 10_000_000, "tokens a scene's prompt may have (scenes)")
EXPOSURE = Limit("--min/--max-exposure", 2, 26, "options per scene (letters A-Z)")
HISTORY = Limit("--history-min/--history-max", 1, 1_000, "history entries drawn per scene")
INTERACTIONS = Limit("--min/--max-interactions", 0, 2**31 - 1, "interactions per user kept by ingest")
N = Limit("--n", 1, 1_000, "rationales per scene and role")
LIMIT = Limit("--limit", 1, 2**31 - 1, "scenes per LLM run")
MAX_TOKENS = Limit("--max-tokens", 1, 1_000_000, "tokens per rationale")
TEMPERATURE = Limit("--temperature", 0, 2, "sampling temperature", integer=False)
SAMPLES = Limit("--samples", 1, 1_000, "answers sampled per rationale when an endpoint gives no logprobs")
TARGET = Limit("--target", 1, 10_000_000, "scenes a selection keeps")
THRESHOLD = Limit("--min/--max COL=V", -MAX_FLOAT, MAX_FLOAT, "a score threshold", integer=False)
CONCURRENCY = Limit("--concurrency", 1, 1_024, "calls in flight per endpoint")
TIMEOUT = Limit("--timeout", 0, 86_400, "seconds per call", integer=False, low_open=True)
RETRIES = Limit("--retries", 0, 100, "retries after a failed call")
DEMO_SCENES = Limit("--scenes/--eval-scenes", 0, 100_000, "demo scenes (env MIRROR_DEMO_SCENES)")
LOCAL_CTX = Limit("MIRROR_LOCAL_CTX", 256, 1_048_576, "context size of the embedded model server")
DOUBLE_PERCENT = Limit("MIRROR_DOUBLE_REVIEW_PERCENT", 0, 100, "percent of a selection reviewed blind by two reviewers")
LEASE_SECONDS = Limit("MIRROR_LEASE_SECONDS", 1, 86_400, "seconds an LLM worker's claim on its items outlives it")
REVIEW_LEASE = Limit("MIRROR_REVIEW_LEASE", 1, 86_400, "seconds a reviewer's hold on a scene outlives their last look")
LOCAL_SLOTS = Limit("MIRROR_LOCAL_SLOTS", 0, 4, "embedded model processes side by side (0 = one per core)")

LIMITS: tuple[Limit, ...] = (
    TIMESTAMP,
    RELEASE_TS,
    YEAR,
    *RATINGS.values(),
    GOODBOOKS_ID,
    TAG_COUNT,
    PRICE,
    AMAZON_MILLIS,
    FEATURE,
    SEED,
    COUNT,
    PROMPT_TOKENS,
    EXPOSURE,
    HISTORY,
    INTERACTIONS,
    N,
    LIMIT,
    MAX_TOKENS,
    TEMPERATURE,
    SAMPLES,
    TARGET,
    THRESHOLD,
    CONCURRENCY,
    TIMEOUT,
    RETRIES,
    DEMO_SCENES,
    LOCAL_CTX,
    LEASE_SECONDS,
    REVIEW_LEASE,
    LOCAL_SLOTS,
    DOUBLE_PERCENT,
)


def readme_table() -> str:
    """The README's 'Valid ranges' table, one row per range."""
    lines = ["| what | name | valid values |", "|---|---|---|"]
    lines += [f"| {r.doc} | `{r.name}` | {r.rule()} |" for r in LIMITS]
    return "\n".join(lines)
