"""goodbooks-10k: ratings.csv (user_id, book_id, rating; file order is time), books.csv, tags.csv + book_tags.csv.

ratings.csv has no timestamps, only an order, so each rating gets START + its row number in seconds: the order
is kept, and every rating lies after the books' publication years.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import BadInput
from core.ingest.tables import LINE, Frames, Table
from core.ingest.unified import _read_csv
from core.ingest.validate import check_numbers
from core.limits import GOODBOOKS_ID, RATINGS, TAG_COUNT, YEAR

START = 1_504_224_000  # 2017-09-01 UTC, when goodbooks-10k was published
TOP_TAGS = 5
BOOK_FEATURES = {
    "authors": "authors",
    "original_publication_year": "year",
    "average_rating": "average_rating",
    "ratings_count": "ratings_count",
}
SHELF_TAGS = {
    "to-read",
    "currently-reading",
    "favorites",
    "favourites",
    "owned",
    "books-i-own",
    "default",
    "owned-books",
    "my-books",
    "library",
    "to-buy",
    "kindle",
    "ebook",
    "wish-list",
    "audiobook",
}


def _need(table: Table, columns: list[str]) -> None:
    for name in columns:
        if name not in table.df.columns:
            found = ", ".join(map(str, table.df.columns))
            raise BadInput(f"{table.file}, line 1: missing column {name!r} (columns found: {found})")


def _numbers(table: Table, ranges: dict) -> pd.DataFrame:
    """The table's frame with these columns checked and made numeric (BadInput names a cell that is no number)."""
    return table.df.assign(**{column: check_numbers(table, column, rng).to_numpy() for column, rng in ranges.items()})


def _tags(root: Path, books_t: Table) -> pd.Series:
    """The top tags of each book (by count, shelf names like 'to-read' left out), as lists aligned with books."""
    books = books_t.df
    empty = pd.Series([[] for _ in range(len(books))], index=books.index, dtype=object)
    if not ((root / "tags.csv").is_file() and (root / "book_tags.csv").is_file()) or "goodreads_book_id" not in books:
        return empty
    tags, book_tags = _read_csv(root / "tags.csv", "tags"), _read_csv(root / "book_tags.csv", "book_tags")
    _need(tags, ["tag_id", "tag_name"])
    _need(book_tags, ["goodreads_book_id", "tag_id", "count"])
    ids = {"goodreads_book_id": GOODBOOKS_ID, "tag_id": GOODBOOKS_ID, "count": TAG_COUNT}
    tag_names = _numbers(tags, {"tag_id": GOODBOOKS_ID})[["tag_id", "tag_name"]]
    named = _numbers(book_tags, ids).merge(tag_names, on="tag_id")
    named = named[~named["tag_name"].astype(str).str.lower().isin(SHELF_TAGS)]
    top = named.sort_values(["goodreads_book_id", "count"], ascending=[True, False]).groupby("goodreads_book_id")
    lists = top.head(TOP_TAGS).groupby("goodreads_book_id")["tag_name"].agg(list)
    keys = check_numbers(books_t, "goodreads_book_id", GOODBOOKS_ID).set_axis(books.index)
    found = keys.map(lists)
    return found.where(found.notna(), empty)


def read(root: Path) -> Frames:
    """Books become items (authors, year, average rating, top tags); ratings become interactions in file order."""
    ratings = _read_csv(root / "ratings.csv", "interactions") if (root / "ratings.csv").is_file() else None
    books = _read_csv(root / "books.csv", "items") if (root / "books.csv").is_file() else None
    if ratings is None or books is None:
        raise BadInput(f"{root}: missing file {'ratings.csv' if ratings is None else 'books.csv'}")
    _need(ratings, ["user_id", "book_id"])
    _need(books, ["book_id", "title"])
    r = ratings.df
    inter = pd.DataFrame({"user_id": r["user_id"], "item_id": r["book_id"]})
    inter["timestamp"] = START + np.arange(len(r), dtype=np.int64)
    if "rating" in r.columns:
        inter["rating"] = check_numbers(ratings, "rating", RATINGS["goodbooks"]).astype("Int64").set_axis(inter.index)
    if LINE in r.columns:
        inter[LINE] = r[LINE]
    b = books.df
    items = pd.DataFrame({"item_id": b["book_id"], "title": b["title"]})
    if LINE in b.columns:
        items[LINE] = b[LINE]
    for src, dst in BOOK_FEATURES.items():
        if src in b.columns:
            items[dst] = b[src]
    if "year" in items.columns:
        years = check_numbers(books, "original_publication_year", YEAR)
        items["year"] = years.astype("Int64").set_axis(items.index)
    items["tags"] = _tags(root, books)
    users = pd.DataFrame({"user_id": inter["user_id"].dropna().drop_duplicates().to_numpy()})
    return Frames(
        Table("users", users, "ratings.csv", first_line=2),
        Table("items", items, "books.csv", first_line=2),
        Table("interactions", inter, "ratings.csv", first_line=2),
    )
