"""Amazon Reviews 2023: one review JSONL (e.g. Books.jsonl) and its meta JSONL (meta_Books.jsonl), .gz allowed.

Items are keyed by parent_asin; timestamps arrive in milliseconds; users are the reviewers.
"""

from pathlib import Path

import pandas as pd

from core.errors import BadInput
from core.ingest.tables import Frames, Table, read_text
from core.ingest.unified import read_json_lines
from core.ingest.validate import check_numbers
from core.limits import AMAZON_MILLIS, PRICE, RATINGS

ITEM_FEATURES = ["main_category", "categories", "price", "store", "average_rating", "rating_number", "description",
                 "features"]  # fmt: skip
REVIEW_FEATURES = {"rating": "rating", "title": "review_title", "text": "review_text", "helpful_vote": "helpful_vote",
                   "verified_purchase": "verified_purchase"}  # fmt: skip


def _jsonl(path: Path) -> pd.DataFrame:
    text = read_text(path)  # .gz files decompressed
    return read_json_lines(path, text)


def _files(root: Path) -> tuple[Path, Path]:
    found = sorted(p for p in root.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))
    meta = [p for p in found if p.name.startswith("meta_")]
    reviews = [p for p in found if not p.name.startswith("meta_")]
    if len(meta) != 1 or len(reviews) != 1:
        raise BadInput(
            f"{root}: expected one review file (e.g. Books.jsonl) and one meta file (e.g. meta_Books.jsonl), "
            f"found {len(reviews)} review and {len(meta)} meta files"
        )
    return reviews[0], meta[0]


def _column(df: pd.DataFrame, name: str, path: Path) -> pd.Series:
    if name not in df.columns:
        raise BadInput(
            f"{path.name}, line 1: missing column {name!r} (columns found: {', '.join(map(str, df.columns))})"
        )
    return df[name]


def read(root: Path) -> Frames:
    """Reviews become interactions (rating, review text, votes); meta rows become items."""
    review_path, meta_path = _files(root)
    reviews, meta = _jsonl(review_path), _jsonl(meta_path)
    inter = pd.DataFrame(
        {
            "user_id": _column(reviews, "user_id", review_path),
            "item_id": _column(reviews, "parent_asin", review_path),
            "timestamp": _column(reviews, "timestamp", review_path),
        }
    )
    table = Table("interactions", reviews, review_path.name)
    millis = check_numbers(table, "timestamp", AMAZON_MILLIS).set_axis(inter.index)
    # Milliseconds -> seconds (exact: the range keeps them below 2^53); empty cells stay empty for the error.
    inter["timestamp"] = (millis // 1000).astype("Int64").astype(object).where(millis.notna(), inter["timestamp"])
    if "rating" in reviews.columns:
        check_numbers(table, "rating", RATINGS["amazon"])
    for src, dst in REVIEW_FEATURES.items():
        if src in reviews.columns:
            inter[dst] = reviews[src]
    users = pd.DataFrame({"user_id": inter["user_id"].dropna().astype(str).drop_duplicates().to_numpy()})
    items = pd.DataFrame(
        {"item_id": _column(meta, "parent_asin", meta_path), "title": _column(meta, "title", meta_path)}
    )
    for name in ITEM_FEATURES:
        if name in meta.columns:
            items[name] = meta[name]
    if "description" in items.columns:  # a list of paragraphs -> one text for content similarity
        items["description"] = items["description"].map(lambda v: " ".join(map(str, v)) if isinstance(v, list) else v)
    if "price" in items.columns:  # the files write "None" (or other text) for an unknown price
        prices = check_numbers(Table("items", meta, meta_path.name), "price", PRICE, text_is_missing=True)
        items["price"] = prices.set_axis(items.index)
    return Frames(
        Table("users", users, review_path.name),
        Table("items", items, meta_path.name),
        Table("interactions", inter, review_path.name),
    )
