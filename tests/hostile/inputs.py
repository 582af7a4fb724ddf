"""Well-formed inputs of every ingest layout, each with one cell an attack replaces; builders for the tables."""

import json
from io import StringIO

import pandas as pd

from tests.hostile.harness import INTERACTIONS, ITEMS, USERS, Builder, files, jsonl, parquet_folder, unified


def ingest(fmt: str, name: str = "n") -> list[str]:
    """`ingest` of tmp/in in this layout, keeping every user (min 1 interaction)."""
    return ["ingest", "--dataset", name, "--format", fmt, "{tmp}/in", "--min-interactions", "1"]


def ml1m(ratings: str = "", users: str = "", movies: str = "") -> Builder:
    """MovieLens 1M files; extra lines appended to each (line 5 of ratings.dat is the first extra one)."""
    return files(
        **{
            "ratings.dat": "1::10::5::978300760\n1::20::3::978300761\n2::10::4::978300762\n2::20::2::978300763\n"
            + ratings,
            "users.dat": "1::M::25::12::55455\n2::F::35::1::02460\n" + users,
            "movies.dat": "10::Heat (1995)::Action|Crime\n20::Toy Story (1995)::Animation\n" + movies,
        }
    )


def ml100k(data: str = "", genre: str | None = None) -> Builder:
    """MovieLens 100K files (tab-separated u.data; '|' u.user, u.item; optional u.genre)."""
    flags = "|".join(["0"] * 19)
    named = {
        "u.data": "1\t10\t5\t881250949\n1\t20\t3\t881250950\n2\t10\t4\t881250951\n" + data,
        "u.user": "1|24|M|technician|85711\n2|53|F|other|94043\n",
        "u.item": f"10|Heat (1995)|01-Jan-1995||http://x|{flags}\n20|Toy Story (1995)|01-Jan-1995||http://x|{flags}\n",
    }
    if genre is not None:
        named["u.genre"] = genre
    return files(**named)


def movietweetings(ratings: str = "", movies: str = "") -> Builder:
    return files(
        **{
            "ratings.dat": "1::0110912::9::1365029107\n1::0111161::10::1365029108\n2::0110912::7::1365029109\n"
            + ratings,
            "users.dat": "1::177651718\n2::15423742\n",
            "movies.dat": "0110912::Pulp Fiction (1994)::Crime|Drama\n0111161::The Shawshank Redemption (1994)::Drama\n"
            + movies,
        }
    )


def goodbooks(ratings: str = "", books: str = "", tags: str | None = None, book_tags: str | None = None) -> Builder:
    """goodbooks-10k files; the books.csv header has goodreads_book_id and original_publication_year."""
    named = {
        "ratings.csv": "user_id,book_id,rating\n1,1,5\n1,2,4\n2,1,3\n" + ratings,
        "books.csv": "book_id,goodreads_book_id,title,authors,original_publication_year,average_rating\n"
        "1,100,Iliad,Homer,-750,4.0\n2,200,Dune,Herbert,1965,4.2\n" + books,
    }
    if tags is not None:
        named["tags.csv"] = tags
    if book_tags is not None:
        named["book_tags.csv"] = book_tags
    return files(**named)


def amazon(review: dict | None = None, meta: dict | None = None, gz: bool = False) -> Builder:
    """Amazon Reviews 2023: Books.jsonl and meta_Books.jsonl (gzipped when gz), one extra row each when given."""
    reviews = [
        {"user_id": "A1", "parent_asin": "B1", "timestamp": 1588687728923, "rating": 5.0, "text": "good"},
        {"user_id": "A1", "parent_asin": "B2", "timestamp": 1588687729923, "rating": 4.0, "text": "fine"},
    ]
    metas = [{"parent_asin": "B1", "title": "Book one", "price": 9.99}, {"parent_asin": "B2", "title": "Two"}]
    suffix = ".jsonl.gz" if gz else ".jsonl"
    return files(
        **{
            f"Books{suffix}": jsonl(*reviews, *([review] if review else [])),
            f"meta_Books{suffix}": jsonl(*metas, *([meta] if meta else [])),
        }
    )


def unified_jsonl(interaction: dict | None = None, user: dict | None = None, item: dict | None = None) -> Builder:
    """The unified form as JSONL, one extra row in each file when given (line 5 of interactions is the extra one)."""
    users = [{"user_id": "u1", "age": 20}, {"user_id": "u2", "age": 30}]
    items = [{"item_id": f"i{k}", "title": t} for k, t in ((1, "A"), (2, "B"), (3, "C"))]
    inter = [{"user_id": u, "item_id": i, "timestamp": t} for u, i, t in (("u1", "i1", 1000), ("u1", "i2", 2000))]
    inter += [{"user_id": "u1", "item_id": "i3", "timestamp": 3000}, {"user_id": "u2", "item_id": "i1", "timestamp": 1}]
    return unified(
        users=jsonl(*users, *([user] if user else [])),
        items=jsonl(*items, *([item] if item else [])),
        interactions=jsonl(*inter, *([interaction] if interaction else [])),
        ext="jsonl",
    )


def frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The good unified tables as frames (for Parquet attacks to change)."""
    ids = {"user_id": str, "item_id": str}
    return tuple(pd.read_csv(StringIO(text), dtype=ids) for text in (USERS, ITEMS, INTERACTIONS))


def parquet_with(kind: str, column: str, values: list) -> Builder:
    """Parquet unified folder where one table's column is replaced by these values (one per row)."""
    users, items, inter = frames()
    table = {"users": users, "items": items, "interactions": inter}[kind]
    table[column] = pd.Series(values, dtype=object) if len(values) == len(table) else values
    return parquet_folder(users, items, inter)


def reference_workdir(train_rows: list[dict], name: str = "ref") -> Builder:
    """A usermirrorer working directory holding only datasets/NAME_train.jsonl with these rows."""
    return files(**{f"datasets__{name}_train.jsonl": "".join(json.dumps(r) + "\n" for r in train_rows)})


def reference_scene(user: str = "u1", item: str = "i1", timestamp: object = 978300760, item_pos: object = 0) -> dict:
    """One scene line of the reference train file (3 options)."""
    return {
        "text": {"profile": "A user", "history": "Heat (1995)", "action_list": ["Movie A", "Movie B", "Movie C"]},
        "user_id": user,
        "item_id": item,
        "timestamp": timestamp,
        "item_pos": item_pos,
        "choice_cnt": 3,
    }
