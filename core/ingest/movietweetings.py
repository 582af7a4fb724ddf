"""MovieTweetings: '::'-separated ratings.dat (0-10 ratings), movies.dat (title (year)::genres) and users.dat, UTF-8."""

from pathlib import Path

from core.ingest.movielens import split_genres, whole_ratings
from core.ingest.tables import Frames, Table, read_dat, year_from_title


def read(root: Path) -> Frames:
    """The three MovieTweetings files; users keep no features (the Twitter id is not a profile)."""
    users = read_dat(root / "users.dat", ["user_id", "twitter_id"])[["user_id"]]
    raw = read_dat(root / "movies.dat", ["item_id", "title", "genres"])
    items = raw[["item_id", "title"]].copy()
    items["genres"] = split_genres(raw["genres"])
    items["year"] = year_from_title(raw["title"])
    ratings = read_dat(root / "ratings.dat", ["user_id", "item_id", "rating", "timestamp"])
    inter = whole_ratings(Table("interactions", ratings, "ratings.dat"), "movietweetings")
    return Frames(Table("users", users, "users.dat"), Table("items", items, "movies.dat"), inter)
