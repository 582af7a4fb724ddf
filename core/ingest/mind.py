"""MIND: behaviors.tsv (impression logs) and news.tsv, tab-separated without header.

Each click in an impression list becomes an interaction on the clicked news; its impressions are every news
shown in that list (the clicked one included), so scenes use the real exposure. A user's logged reading history
(the `history` column of their first row) is kept as the user feature `history` (news ids).
"""

from pathlib import Path

import numpy as np
import pandas as pd

from core.ingest.tables import LINE, Frames, Table, read_dat

BEHAVIORS = ["impression_id", "user_id", "time", "history", "impressions"]
NEWS = ["item_id", "category", "subcategory", "title", "abstract", "url", "title_entities", "abstract_entities"]
TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"


def read(root: Path) -> Frames:
    """One interaction per click, carrying the full shown list as impressions."""
    beh = read_dat(root / "behaviors.tsv", BEHAVIORS, sep="\t")
    news = read_dat(root / "news.tsv", NEWS, sep="\t")
    when = pd.to_datetime(beh["time"], format=TIME_FORMAT, utc=True, errors="coerce")
    seconds = ((when - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).astype("Int64")
    # Parsed times as unix seconds; unparsable cells stay as text so the error names them.
    beh["timestamp"] = seconds.astype(object).where(seconds.notna(), beh["time"])
    beh[LINE] = np.arange(1, len(beh) + 1)
    shown = beh["impressions"].str.replace(r"-[01](?=\s|$)", "", regex=True).str.split()
    clicked = beh["impressions"].str.findall(r"(\S+)-1(?=\s|$)").explode().dropna()
    rows = clicked.index.to_numpy()
    inter = pd.DataFrame(
        {
            "user_id": beh["user_id"].to_numpy()[rows],
            "item_id": clicked.to_numpy(dtype=object),
            "timestamp": beh["timestamp"].to_numpy()[rows],
            "impressions": shown.to_numpy()[rows],
            LINE: beh[LINE].to_numpy()[rows],
        }
    )
    first = beh.drop_duplicates("user_id")
    # The reading history logged before the impressions (the same on every row of a user): the reference's MIND
    # strategy shows its last entries before the clicks (core/scenes/reference_text.py).
    logged = first["history"].fillna("").astype(str).str.split()
    users = pd.DataFrame(
        {"user_id": first["user_id"].to_numpy(), "history": logged.to_numpy(), LINE: first[LINE].to_numpy()}
    )
    items = news[["item_id", "title", "category", "subcategory", "abstract"]]
    return Frames(
        Table("users", users, "behaviors.tsv"),
        Table("items", items, "news.tsv"),
        Table("interactions", inter, "behaviors.tsv"),
    )
