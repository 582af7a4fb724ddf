"""Hostile structure (issue 11 item 4): malformed files, broken archives and an unwritable database end in one
`error:` line with exit 2 (bad input) or 1 (the environment), never a traceback, and write nothing."""

import gzip

import pandas as pd
import pytest

from tests.hostile.harness import INTERACTIONS, Attack, files, jsonl, params, run_attack, unified, write
from tests.hostile.inputs import frames, goodbooks, ingest, parquet_folder, reference_scene, reference_workdir

JSONL = ingest("unified")
GOOD_USERS = jsonl({"user_id": "u1"}, {"user_id": "u2"})
GOOD_ITEMS = jsonl({"item_id": "i1", "title": "A"}, {"item_id": "i2", "title": "B"}, {"item_id": "i3", "title": "C"})
GOOD_INTER = jsonl(
    *({"user_id": u, "item_id": i, "timestamp": t} for u, i, t in (("u1", "i1", 1), ("u1", "i2", 2), ("u2", "i3", 3)))
)
RO_DB = ["--db", "sqlite:///file:{tmp}/mirror.db?mode=ro&uri=true"]
IMPORT = ["import", "--format", "usermirrorer", "--dataset", "ref", "--path", "{tmp}/in"]


def _jsonl_line(line: str, kind: str = "interactions") -> object:
    """The good unified JSONL folder with LINE appended to one file (its line 4 in interactions)."""
    texts = {"users": GOOD_USERS, "items": GOOD_ITEMS, "interactions": GOOD_INTER}
    texts[kind] += line + "\n"
    return unified(users=texts["users"], items=texts["items"], interactions=texts["interactions"], ext="jsonl")


def _parquet(kind: str, column: str, values: list) -> object:
    users, items, inter = frames()
    table = {"users": users, "items": items, "interactions": inter}[kind]
    table[column] = pd.Series(values, dtype=object)
    return parquet_folder(users, items, inter)


def _gz(name: str, data: bytes, meta: bool = True) -> object:
    def build(tmp):
        write(tmp / "in" / "meta_Books.jsonl", jsonl({"parent_asin": "B1", "title": "One"}))
        (tmp / "in" / name).write_bytes(data)

    return build


REVIEWS = jsonl({"user_id": "A1", "parent_asin": "B1", "timestamp": 1588687728923, "rating": 5.0}).encode()
DEEP = '{"user_id": "u2", "item_id": "i1", "timestamp": 4, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"

ATTACKS = [
    Attack("jsonl-line-is-a-number", _jsonl_line("5"), JSONL, 2, "interactions.jsonl, line 4: expected a JSON object"),
    Attack("jsonl-line-is-an-array", _jsonl_line("[1, 2]"), JSONL, 2, "interactions.jsonl, line 4: expected a JSON"),
    Attack("jsonl-line-is-a-string", _jsonl_line('"u1,i1,1"'), JSONL, 2, "interactions.jsonl, line 4: expected a"),
    Attack("jsonl-line-is-null", _jsonl_line("null", "users"), JSONL, 2, "users.jsonl, line 3: expected a JSON object"),
    Attack("jsonl-line-is-true", _jsonl_line("true", "items"), JSONL, 2, "items.jsonl, line 4: expected a JSON object"),
    Attack(
        "jsonl-line-is-cut-off", _jsonl_line('{"user_id": "u2", "item'), JSONL, 2, "line 4, column 19: not valid JSON"
    ),
    Attack(
        "jsonl-line-nested-100000-deep",
        _jsonl_line(DEEP),
        JSONL,
        2,
        "interactions.jsonl, line 4: nested too deep to read",
    ),
    Attack(
        "jsonl-whole-file-is-one-array",
        unified(GOOD_USERS, GOOD_ITEMS, "[\n" + GOOD_INTER.replace("}\n", "},\n") + "]\n", ext="jsonl"),
        JSONL,
        2,
        "interactions.jsonl, line 1",
    ),  # fmt: skip
    Attack(
        "parquet-raw-bytes-in-title",
        _parquet("items", "title", [b"\xff\xfe bad", b"ok", b"fine"]),
        ingest("unified"),
        2,
        "items.parquet, row 1, column title: raw bytes",
    ),
    Attack(
        "parquet-raw-bytes-in-user-id",
        _parquet("users", "user_id", [b"\x80", b"u2"]),
        ingest("unified"),
        2,
        "users.parquet, row 1, column user_id: raw bytes",
    ),
    Attack(
        "parquet-raw-bytes-in-a-feature",
        _parquet("users", "age", [b"\xc3\x28", b"30"]),
        ingest("unified"),
        2,
        "users.parquet, row 1, column age: raw bytes",
    ),
    Attack(
        "parquet-not-parquet",
        files(
            **{"users.parquet": b"PAR1garbage", "items.csv": "item_id,title\ni1,A\n", "interactions.csv": INTERACTIONS}
        ),
        ingest("unified"),
        2,
        "users.parquet: not a readable Parquet file",
    ),  # fmt: skip
    Attack(
        "amazon-truncated-gz",
        _gz("Books.jsonl.gz", gzip.compress(REVIEWS * 50)[:60]),
        ingest("amazon"),
        2,
        "Books.jsonl.gz: not a complete gzip file",
    ),
    Attack(
        "amazon-gz-that-is-not-gzip",
        _gz("Books.jsonl.gz", REVIEWS),
        ingest("amazon"),
        2,
        "Books.jsonl.gz: not a complete gzip file",
    ),
    Attack(
        "amazon-gz-of-latin-1",
        _gz("Books.jsonl.gz", gzip.compress('{"user_id": "Ã\xe9", "parent_asin": "B1"}\n'.encode("latin-1"))),
        ingest("amazon"),
        2,
        "Books.jsonl.gz",
    ),
    Attack(
        "amazon-gz-line-is-an-array",
        _gz("Books.jsonl.gz", gzip.compress(REVIEWS + b"[1, 2]\n")),
        ingest("amazon"),
        2,
        "Books.jsonl.gz, line 2: expected a JSON object",
    ),
    Attack(
        "goodbooks-tag-id-not-a-number",
        goodbooks(
            tags="tag_id,tag_name\nx,fantasy\n1,classics\n", book_tags="goodreads_book_id,tag_id,count\n100,1,5\n"
        ),
        ingest("goodbooks"),
        2,
        "tags.csv, line 2, column tag_id: 'x' is not a number",
    ),
    Attack(
        "goodbooks-book-tag-id-not-a-number",
        goodbooks(tags="tag_id,tag_name\n1,classics\n", book_tags="goodreads_book_id,tag_id,count\n100,one,5\n"),
        ingest("goodbooks"),
        2,
        "book_tags.csv, line 2, column tag_id: 'one' is not a number",
    ),
    Attack(
        "goodbooks-tag-count-not-a-number",
        goodbooks(
            tags="tag_id,tag_name\n1,classics\n2,epic\n",
            book_tags="goodreads_book_id,tag_id,count\n100,1,5\n100,2,many\n",
        ),
        ingest("goodbooks"),
        2,
        "book_tags.csv, line 3, column count: 'many' is not a number",
    ),  # fmt: skip
    Attack(
        "csv-unterminated-quote",
        unified(interactions=INTERACTIONS + 'u2,"i2,5000\n'),
        ingest("unified"),
        2,
        "interactions.csv: ",
    ),
    Attack(
        "reference-27-options",
        reference_workdir(
            [
                {
                    **reference_scene(),
                    "choice_cnt": 27,
                    "text": {"profile": "p", "history": "h", "action_list": [f"Movie {k}" for k in range(27)]},
                }
            ]
        ),
        IMPORT,
        2,
        "datasets/ref_train.jsonl, line 1: 27 options; at most 26",
    ),  # fmt: skip
    Attack(
        "reference-user-id-is-an-object",
        reference_workdir([reference_scene(user={"id": 1})]),
        IMPORT,
        2,
        "datasets/ref_train.jsonl, line 1: 'user_id' must be a text or a number",
    ),
    Attack(
        "read-only-database-ingest",
        unified(),
        [*RO_DB, *ingest("unified")],
        1,
        "is read-only",
    ),
    Attack(
        "read-only-database-scenes", None, [*RO_DB, "scenes", "--dataset", "toy", "--count", "2"], 1, "is read-only"
    ),
    Attack("read-only-database-select", None, [*RO_DB, "select", "--name", "x"], 1, "is read-only"),
    Attack(
        "read-only-database-endpoint",
        None,
        [*RO_DB, "endpoints", "add", "e", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
        1,
        "is read-only",
    ),
    Attack("read-only-database-score", None, [*RO_DB, "score"], 1, "is read-only"),
    Attack("database-is-a-directory", lambda tmp: (tmp / "d").mkdir(), ["--db", "{tmp}/d", "status"], 2, "cannot open"),
]


@pytest.mark.parametrize("attack", params(ATTACKS))
def test_structure(attack, template, tmp_path, monkeypatch):
    run_attack(attack, template=template, tmp=tmp_path, monkeypatch=monkeypatch)
