"""Per-dataset text templates for scene rendering: plain data, stored on Dataset.templates by ingest.

A template has three sections — "profile" (user features), "history" (item + interaction features of one past
interaction, plus "date") and "exposure" (item features of one option). Each section is
{"parts": [format strings], "sep": str, "extra": "all" | "none", "empty": str, "max_field_chars": int}:
a part is kept only when every field it names has a value, a part whose text is already in the entry is skipped
(so "({year})" does not repeat a year the title already carries), "extra": "all" appends "name: value" for every
feature no part used, and "empty" is the text when nothing is left. Rendering lives in core/scenes/render.py.

A fourth section, "profile_history", words what the user did strictly before the target time (appended to the
profile): its parts may name history_count (earlier interactions), active_since (year of the first one),
favourites (the "top" most frequent values of the item feature named by "favourites") and mean_rating (mean of the
interaction feature named by "rating" over the earlier interactions that have it). Computed in
core/scenes/profile_history.py.
"""

import copy

TEMPLATE_VERSION = 2  # 2: profile_history
MAX_FIELD_CHARS = 300


def _section(parts: list[str], *, sep: str = ", ", extra: str = "none", empty: str = "") -> dict:
    return {"parts": parts, "sep": sep, "extra": extra, "empty": empty, "max_field_chars": MAX_FIELD_CHARS}


def _history(parts: list[str], *, rating: str | None = "rating", favourites: str | None = None, top: int = 3) -> dict:
    return {**_section(parts, sep="; "), "rating": rating, "favourites": favourites, "top": top}


_MOVIE = ["{title}", "({year})", "| genres: {genres}"]


def _rated(noun: str, scale: int, label: str, since: bool = True) -> list[str]:
    count = f"{{history_count}} earlier {noun}" + (" since {active_since}" if since else "")
    return [count, f"favourite {label}: {{favourites}}", f"mean rating {{mean_rating}}/{scale}"]


TEMPLATES: dict[str, dict] = {
    "movielens": {
        "profile": _section(
            ["Gender: {gender}", "Age: {age}", "Occupation: {occupation}"],
            sep="; ",
            empty="A movie viewer with no profile information.",
        ),
        "profile_history": _history(_rated("ratings", 5, "genres"), favourites="genres"),
        "history": _section([*_MOVIE, "| rated {rating}/5"], sep=" "),
        "exposure": _section(_MOVIE, sep=" "),
    },
    "movietweetings": {
        "profile": _section([], empty="A movie fan who rates films on Twitter."),
        "profile_history": _history(_rated("ratings", 10, "genres"), favourites="genres"),
        "history": _section([*_MOVIE, "| rated {rating}/10"], sep=" "),
        "exposure": _section(_MOVIE, sep=" "),
    },
    "amazon": {
        "profile": _section([], empty="An online shopper."),
        "profile_history": _history(_rated("reviews", 5, "categories"), favourites="main_category"),
        "history": _section(
            ["{title}", "category: {main_category}", "price: ${price}", "rated {rating}/5", 'review: "{review_title}"'],
            sep=" | ",
        ),
        "exposure": _section(
            [
                "{title}",
                "store: {store}",
                "category: {main_category}",
                "price: ${price}",
                "average rating {average_rating} from {rating_number} ratings",
            ],
            sep=" | ",
        ),
    },
    "mind": {
        "profile": _section([], empty="A reader of an online news feed."),
        "profile_history": _history(
            ["{history_count} earlier clicks since {active_since}", "favourite categories: {favourites}"],
            rating=None,
            favourites="category",
        ),
        "history": _section(["{title}", "[{category} / {subcategory}]"], sep=" "),
        "exposure": _section(["{title}", "[{category} / {subcategory}]", "— {abstract}"], sep=" "),
    },
    "goodbooks": {
        "profile": _section([], empty="A reader who rates books online."),
        # goodbooks has no timestamps (ingest numbers the ratings in file order), so no "since".
        "profile_history": _history(_rated("ratings", 5, "tags", since=False), favourites="tags"),
        "history": _section(["{title}", "by {authors}", "({year})", "| rated {rating}/5"], sep=" "),
        "exposure": _section(
            ["{title}", "by {authors}", "({year})", "| average rating {average_rating}", "| tags: {tags}"], sep=" "
        ),
    },
}

# Any other format (e.g. "unified"): the title, then every feature as "name: value".
GENERIC: dict = {
    "profile": _section([], sep="; ", extra="all", empty="No profile information."),
    "profile_history": _history(
        ["{history_count} earlier interactions since {active_since}", "mean rating {mean_rating}"]
    ),
    "history": _section(["{title}"], sep="; ", extra="all"),
    "exposure": _section(["{title}"], sep="; ", extra="all"),
}


def templates_for(fmt: str) -> dict:
    """The templates of a dataset format (a fresh copy), the generic all-features template for unknown formats."""
    chosen = TEMPLATES.get((fmt or "").lower(), GENERIC)
    result = copy.deepcopy(chosen)
    result["version"] = TEMPLATE_VERSION
    result["format"] = fmt if fmt in TEMPLATES else "generic"
    return result


def current_templates(stored: dict | None, fmt: str) -> dict:
    """A dataset's stored templates, with the sections added since they were stored taken from its format."""
    if not stored:
        return templates_for(fmt)
    if "profile_history" in stored:
        return stored
    return {**stored, "profile_history": templates_for(fmt)["profile_history"]}
