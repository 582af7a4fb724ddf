"""MovieLens 100K (u.data, u.user, u.item) and 1M (ratings.dat, users.dat, movies.dat), both latin-1.

Codes become words: age buckets, occupations, gender; genres become a list; the year comes from the title.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import BadInput
from core.ingest.tables import Frames, Table, read_dat, read_text, year_from_title
from core.ingest.validate import check_numbers
from core.limits import RATINGS

AGE_BUCKETS = ["under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"]
AGE_CODES_1M = dict(zip(["1", "18", "25", "35", "45", "50", "56"], AGE_BUCKETS, strict=True))
OCCUPATIONS_1M = [
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
    "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
]  # fmt: skip
GENRES_100K = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip
GENDER = {"M": "male", "F": "female"}


def age_bucket(ages: pd.Series) -> pd.Series:
    """Exact ages (100K) as the 1M age-bucket words."""
    years = pd.to_numeric(ages, errors="coerce")
    bins = [-np.inf, 17, 24, 34, 44, 49, 55, np.inf]
    return pd.cut(years, bins=bins, labels=AGE_BUCKETS).astype(object).where(years.notna(), None)


def split_genres(text: pd.Series, sep: str = "|") -> pd.Series:
    """'Action|Comedy' -> ['Action', 'Comedy']; empty text -> []."""
    return text.fillna("").str.split(sep).map(lambda parts: [p for p in parts if p])


def whole_ratings(table: Table, layout: str) -> Table:
    """The rating column as whole numbers (Int64), each within the layout's documented range, else BadInput."""
    table.df["rating"] = check_numbers(table, "rating", RATINGS[layout]).astype("Int64").set_axis(table.df.index)
    return table


def _genres(path: Path, items: Path) -> list[str]:
    """The genre names of u.genre ('name|code' lines, codes 0, 1, ... in the order of u.item's flag columns);
    BadInput naming u.genre when a line is malformed or its count differs from u.item's flags."""
    table = read_dat(path, ["name", "code"], encoding="latin-1", sep="|")
    for pos, (name, code) in enumerate(zip(table["name"], table["code"], strict=True)):
        where = f"{path.name}, line {pos + 1}"
        if not name.strip() or code == "":
            raise BadInput(
                f"{where}: expected 'name|code' (e.g. 'Action|1'), got {name + ('|' + code if code else '')!r}"
            )
        if not code.strip().isdigit():
            raise BadInput(f"{where}: code {code!r} is not a number")
        if int(code) != pos:
            raise BadInput(f"{where}: code {int(code)} should be {pos} (codes count up from 0 in u.item's flag order)")
    first = read_text(items, "latin-1").split("\n", 1)[0]
    flags = first.count("|") + 1 - 5
    if flags != len(table):
        raise BadInput(f"{path.name} lists {len(table)} genres but {items.name}, line 1 has {flags} genre flags")
    return table["name"].tolist()


def read_100k(root: Path) -> Frames:
    """MovieLens 100K: tab-separated u.data, '|'-separated u.user and u.item."""
    data = read_dat(root / "u.data", ["user_id", "item_id", "rating", "timestamp"], encoding="latin-1", sep="\t")
    inter = whole_ratings(Table("interactions", data, "u.data"), "movielens")
    users = read_dat(
        root / "u.user", ["user_id", "age", "gender", "occupation", "zip_code"], encoding="latin-1", sep="|"
    )
    users["age"] = age_bucket(users["age"])
    users["gender"] = users["gender"].map(GENDER).fillna(users["gender"])
    genres = _genres(root / "u.genre", root / "u.item") if (root / "u.genre").is_file() else GENRES_100K
    flags = ["g" + str(k) for k in range(len(genres))]
    raw = read_dat(
        root / "u.item",
        ["item_id", "title", "release_date", "video_release_date", "imdb_url", *flags],
        encoding="latin-1",
        sep="|",
    )
    # Joined genre names ('Action|Comedy|') from the 0/1 flag matrix, then split into lists.
    mask = raw[flags].to_numpy() == "1"
    joined = pd.Series(mask.astype(object) @ np.array([g + "|" for g in genres], dtype=object), index=raw.index)
    year = year_from_title(raw["title"])
    year = year.fillna(pd.to_numeric(raw["release_date"].str[-4:], errors="coerce").astype("Int64"))
    items = pd.DataFrame(
        {"item_id": raw["item_id"], "title": raw["title"], "genres": split_genres(joined.astype(str)), "year": year}
    )
    return Frames(Table("users", users, "u.user"), Table("items", items, "u.item"), inter)


def read_1m(root: Path) -> Frames:
    """MovieLens 1M: '::'-separated ratings.dat, users.dat, movies.dat."""
    ratings = read_dat(root / "ratings.dat", ["user_id", "item_id", "rating", "timestamp"], encoding="latin-1")
    inter = whole_ratings(Table("interactions", ratings, "ratings.dat"), "movielens")
    users = read_dat(root / "users.dat", ["user_id", "gender", "age", "occupation", "zip_code"], encoding="latin-1")
    users["gender"] = users["gender"].map(GENDER).fillna(users["gender"])
    users["age"] = users["age"].map(AGE_CODES_1M).fillna(users["age"])
    occupation = pd.to_numeric(users["occupation"], errors="coerce")
    known = occupation.between(0, len(OCCUPATIONS_1M) - 1)
    words = pd.Series(OCCUPATIONS_1M, dtype=object)
    users["occupation"] = (
        users["occupation"].astype(object).where(~known, words.reindex(occupation.fillna(-1).astype(int)).to_numpy())
    )
    raw = read_dat(root / "movies.dat", ["item_id", "title", "genres"], encoding="latin-1")
    items = pd.DataFrame(
        {
            "item_id": raw["item_id"],
            "title": raw["title"],
            "genres": split_genres(raw["genres"]),
            "year": year_from_title(raw["title"]),
        }
    )
    return Frames(Table("users", users, "users.dat"), Table("items", items, "movies.dat"), inter)


def read(root: Path) -> Frames:
    """100K when u.data is present, 1M when ratings.dat is."""
    if (root / "u.data").is_file():
        return read_100k(root)
    if (root / "ratings.dat").is_file():
        return read_1m(root)
    raise BadInput(
        f"{root}: not a MovieLens directory (expected u.data, u.user, u.item or ratings.dat, users.dat, movies.dat)"
    )
