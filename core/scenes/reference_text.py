"""Scene text in the reference's per-dataset layouts (UserMirrorer usermirrorer/strategy/*.py, MIT): reimplemented.

The template strings are the reference's, byte for byte; the fields they read are computed from our ingested
features the way the reference's preprocessing scripts and strategies compute them (ML-1M: DataProcessor_ML-1M.py +
ml1m_strategy.py; Amazon: DataProcessor_Amazon.ipynb + amazon_strategy.py; MIND: DataProcessor_MIND.py +
mind_strategy.py; books: DataProcessor_Goodreads.ipynb + goodreads_strategy.py). Formats the reference has no
strategy for follow the closest one (README, "Differences from the reference code"):
- movietweetings: the ML-1M layout, ratings out of 10.0, an empty profile (the files have no user features);
- goodbooks: the Goodreads layout; fields goodbooks-10k lacks print the reference's "NA"/"" and its ratings carry no
  real time (ingest numbers them), so every history entry reads "earlier";
- unified (any other format): the ML-1M/Amazon shape over whatever features there are.
Times are differences of unix seconds (the reference subtracts naive local datetimes).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from core.scenes.render import format_value

# ---- the reference's templates (usermirrorer/strategy/*.py) --------------------------------------------------------

ML1M_PROFILE = "## User Profile\nGender: {gender}\nAge: {age}\nOccupation: {occupation}\nLocation: {location}\n"
ML1M_OPTION = "{new_release}{title} - {genres} \n"
ML1M_HISTORY = "A movie viewed {time_diff}\n{title} {genres} \nMy Behavior:\nRating: {rating}/5.0\n"

AMAZON_OPTION = "Product name: {short_title}\nCategory: {category}\nPrice: {rev_price}\nRatings: {average_rating} ({rating_number})\n"  # noqa: E501
AMAZON_HISTORY = (
    "A product bought {time_diff}\nProduct name: {short_title}\nCategory: {category}\nPrice: {rev_price}\n"
    "Ratings: {average_rating} ({rating_number})\nMy Behavior:\nRating: {rating}/5 \nReview: {review_summary}\n"
    "{review_text}\n"
)

MIND_OPTION = "{title} (Category: {category})\n"
MIND_HISTORY = "{title} (Category: {category}) {{ Viewed {time_diff} }}\n"
MIND_STATIC_HISTORY = 10  # the last ids of the user's logged reading history come before the clicks

GOODREADS_OPTION = (
    "Title:{title} ({genres}) \nAuthor: {authors}\nPublished at {publication_year} - {publisher} - {num_pages} pages\n"
    "Rating: {average_rating} - {ratings_count} ratings\n"
)
GOODREADS_HISTORY = (
    "A book viewed {time_diff}\nTitle:{title} ({genres}) \nDescription: {shorten_description}\nAuthor: {authors}\n"
    "Published at {publication_year} - {publisher} - {num_pages} pages\nRating: {average_rating} - {ratings_count} "
    "ratings\nMy Behavior: {read_status}{rating_updated}{review_updated}\n"
)

# ---- our layouts for formats the reference has no strategy for -----------------------------------------------------

MOVIETWEETINGS_HISTORY = ML1M_HISTORY.replace("/5.0\n", "/10.0\n")  # MovieTweetings rates 0-10
GENERIC_HISTORY_HEAD = "An item viewed {time_diff}\n"

# ---- field values as the reference computes them -------------------------------------------------------------------

UNKNOWN = "Unknown"  # DataProcessor_ML-1M.py's value for an unmapped code
NOT_AVAILABLE = "NA"  # the reference's value for a missing price, publisher, page count, rating
EARLIER = "earlier"  # format_time_diff's caller when a time cannot be subtracted
# ML-1M ages as our ingest words them -> as the reference's Age_map words them (it has no 50 and 56 bucket)
ML1M_AGES = {"under 18": "Under 18", "18-24": "18-24", "25-34": "25-34", "35-44": "35-44", "45-49": "45+"}
_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def time_ago(seconds: int) -> str:
    """'3 days ago', '1 hour ago', 'just now': the largest whole unit (formatter/utils.format_time_diff)."""
    for unit, size in _UNITS:
        if seconds >= size:
            value = seconds // size
            return f"{value} {unit}{'s' if value != 1 else ''} ago"
    return "just now"


def truncate_words(text: str, limit: int) -> str:
    """The first `limit` space-separated words and '...' when there were more (amazon_strategy.truncate_text)."""
    words = text.split(" ")
    return text if not text or len(words) <= limit else " ".join(words[:limit]) + "..."


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value == ""


def _float(value) -> str:
    """str(float(v)) as the reference's JSON floats print ('4.0'), NA when missing or not a number."""
    try:
        return NOT_AVAILABLE if _missing(value) else str(float(value))
    except (TypeError, ValueError):
        return str(value)


def _int(value) -> str:
    try:
        return NOT_AVAILABLE if _missing(value) else str(int(value))
    except (TypeError, ValueError):
        return str(value)


def _text(value, default: str = "") -> str:
    return default if _missing(value) else str(value)


def _pipe(value) -> str:
    """ML-1M genres as its movies.dat writes them: 'Action|Comedy'."""
    return "|".join(map(str, value)) if isinstance(value, list) else _text(value)


def _new_release(year, target_ts: int) -> str:
    """'[New Release]' when the target time is at most 365 days after Jan 1 of the release year (ml1m_strategy)."""
    if _missing(year):
        return ""
    try:
        start = datetime(int(year), 1, 1, tzinfo=UTC).timestamp()
    except (TypeError, ValueError, OverflowError):
        return ""
    return "[New Release]" if (target_ts - start) // 86400 <= 365 else ""


# ---- one strategy per layout ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Strategy:
    """How one layout renders: the profile, an item's fields (shared by option and history), an option (which may
    depend on the target time) and a history entry (item fields + the interaction's features + the time since)."""

    profile: Callable[[dict], str]
    item: Callable[[str, dict], dict]
    option: Callable[[dict, int], str]
    history: Callable[[dict, dict, str], str]
    static_history: bool = False  # MIND: the user's logged reading history comes first
    timed: bool = True  # False: history entries say "earlier" (the data has no real times)


def _ml1m_profile(user: dict) -> str:
    age = user.get("age")
    fields = {
        "gender": _text(user.get("gender"), UNKNOWN),
        "age": ML1M_AGES.get(str(age).lower(), UNKNOWN) if not _missing(age) else UNKNOWN,
        "occupation": _text(user.get("occupation"), UNKNOWN),
        "location": _text(user.get("zip_code", user.get("location")), UNKNOWN),
    }
    return ML1M_PROFILE.format_map(fields)


def _movie(title: str, features: dict) -> dict:
    return {"title": title, "genres": _pipe(features.get("genres")), "year": features.get("year")}


def _movie_option(item: dict, target_ts: int) -> str:
    return ML1M_OPTION.format_map({**item, "new_release": _new_release(item["year"], target_ts)})


def _movie_history(template: str) -> Callable[[dict, dict, str], str]:
    def render(item: dict, features: dict, ago: str) -> str:
        rating = features.get("rating")
        return template.format_map(
            {**item, "time_diff": ago, "rating": "Not Rated" if _missing(rating) else _float(rating)}
        )

    return render


def _amazon_item(title: str, features: dict) -> dict:
    categories = features.get("categories")
    category = "-".join(map(str, categories)) if isinstance(categories, list) and categories else None
    price = features.get("price")
    return {
        "short_title": truncate_words(str(title), 10),
        "category": category if category is not None else str(features.get("main_category")),
        "rev_price": NOT_AVAILABLE if _missing(price) else f"${price}",
        # the history line checks only for NaN, so the raw files' missing price (the text "None") prints as "$None"
        "history_price": "$None" if _missing(price) else f"${price}",
        "average_rating": _float(features.get("average_rating")),
        "rating_number": _int(features.get("rating_number")),
    }


def _amazon_history(item: dict, features: dict, ago: str) -> str:
    fields = {
        **item,
        "rev_price": item["history_price"],
        "time_diff": ago,
        "rating": _float(features.get("rating")),
        "review_summary": _text(features.get("review_title")),
        "review_text": truncate_words(_text(features.get("review_text")), 30),
    }
    return AMAZON_HISTORY.format_map(fields)


def _mind_item(title: str, features: dict) -> dict:
    return {"title": title, "category": _text(features.get("category"))}


def _book_item(title: str, features: dict) -> dict:
    tags = features.get("tags")
    return {
        "title": title,
        "genres": str([str(t) for t in tags]) if isinstance(tags, list) else "[]",  # a Python list, as the reference
        "authors": _text(features.get("authors")),
        "publication_year": _text(features.get("year")),
        "publisher": NOT_AVAILABLE,
        "num_pages": NOT_AVAILABLE,
        "average_rating": _float(features.get("average_rating")),
        "ratings_count": _int(features.get("ratings_count")),
        "shorten_description": "",
    }


def _book_history(item: dict, features: dict, ago: str) -> str:
    rating = features.get("rating")
    fields = {
        **item,
        "time_diff": ago,
        "read_status": "Read",  # a rating means the book was read
        "rating_updated": "\nRating: " + ("Not Rated" if _missing(rating) else _float(rating)),
        "review_updated": "",
    }
    return GOODREADS_HISTORY.format_map(fields)


def _lines(values: dict) -> str:
    return "".join(f"{name}: {text}\n" for name, value in values.items() if (text := format_value(value)) is not None)


def _generic_profile(user: dict) -> str:
    body = _lines(user)
    return f"## User Profile\n{body}" if body else ""


def _generic_item(title: str, features: dict) -> dict:
    return {"head": f"{title}\n{_lines(features)}"}


def _generic_history(item: dict, features: dict, ago: str) -> str:
    return GENERIC_HISTORY_HEAD.format(time_diff=ago) + item["head"] + "My Behavior:\n" + _lines(features)


STRATEGIES: dict[str, Strategy] = {
    "movielens": Strategy(_ml1m_profile, _movie, _movie_option, _movie_history(ML1M_HISTORY)),
    "movietweetings": Strategy(lambda _: "", _movie, _movie_option, _movie_history(MOVIETWEETINGS_HISTORY)),
    "amazon": Strategy(lambda _: "", _amazon_item, lambda item, _: AMAZON_OPTION.format_map(item), _amazon_history),
    "mind": Strategy(
        lambda _: "",
        _mind_item,
        lambda item, _: MIND_OPTION.format_map(item),
        lambda item, _, ago: MIND_HISTORY.format_map({**item, "time_diff": ago}),
        static_history=True,
    ),
    "goodbooks": Strategy(
        lambda _: "", _book_item, lambda item, _: GOODREADS_OPTION.format_map(item), _book_history, timed=False
    ),
}
GENERIC = Strategy(_generic_profile, _generic_item, lambda item, _: item["head"], _generic_history)


def strategy_for(fmt: str) -> Strategy:
    """The layout of a dataset format (the generic one for unified and unknown formats)."""
    return STRATEGIES.get((fmt or "").lower(), GENERIC)


class ReferenceRenderer:
    """Renders many scenes of one dataset in the reference layout, computing each item's fields once."""

    def __init__(self, fmt: str, titles: dict[int, str], item_features) -> None:
        self.strategy = strategy_for(fmt)
        self.titles = titles
        self.item_features = item_features  # callable: item id -> dict
        self._items: dict[int, dict] = {}

    def _item(self, item_id: int) -> dict:
        if item_id not in self._items:
            self._items[item_id] = self.strategy.item(self.titles[item_id], self.item_features(item_id) or {})
        return self._items[item_id]

    def profile(self, user_features: dict | None) -> str:
        """The profile text of a user."""
        return self.strategy.profile(user_features or {})

    def option(self, item_id: int, target_ts: int) -> str:
        """The option text of an item shown at target_ts."""
        return self.strategy.option(self._item(item_id), target_ts)

    def history(self, item_id: int, features: dict | None, ts: int | None, target_ts: int) -> str:
        """One history entry; ts None = a time the data does not know (the entry says "earlier")."""
        ago = time_ago(target_ts - ts) if ts is not None and self.strategy.timed else EARLIER
        return self.strategy.history(self._item(item_id), features or {}, ago)
