"""Hostile text and layout (issue 11 item 7): NUL bytes, lone surrogates and control characters, repeated CSV header
columns, ids that are lists or objects, a malformed MovieLens u.genre, duplicated reference lines — each refused with
exit 2 naming the file, line and column (or the option), and nothing written."""

import pandas as pd
import pytest

from tests.hostile.harness import INTERACTIONS, Attack, files, jsonl, params, run_attack, unified
from tests.hostile.inputs import frames, ingest, ml100k, parquet_folder, reference_scene, reference_workdir

CSV = ingest("unified")
NUL = "a NUL character"
SURROGATE = "a lone surrogate"
IMPORT = ["import", "--format", "usermirrorer", "--dataset", "ref", "--path", "{tmp}/in"]
JSON_USERS = jsonl({"user_id": "u1"}, {"user_id": "u2"})
JSON_ITEMS = jsonl({"item_id": "i1", "title": "A"}, {"item_id": "i2", "title": "B"}, {"item_id": "i3", "title": "C"})
JSON_INTER = jsonl(
    *({"user_id": u, "item_id": i, "timestamp": t} for u, i, t in (("u1", "i1", 1), ("u1", "i2", 2), ("u2", "i3", 3)))
)


def _json(users: str = JSON_USERS, items: str = JSON_ITEMS, interactions: str = JSON_INTER) -> object:
    return unified(users=users, items=items, interactions=interactions, ext="jsonl")


def _raw_line(line: str, kind: str) -> object:
    """The JSONL folder with one raw line (escapes written as they are) appended to a file."""
    texts = {"users": JSON_USERS, "items": JSON_ITEMS, "interactions": JSON_INTER}
    texts[kind] += line + "\n"
    return _json(texts["users"], texts["items"], texts["interactions"])


def _parquet_title(title: str) -> object:
    users, items, inter = frames()
    items["title"] = ["A", title, "C"]
    return parquet_folder(users, items, inter)


def _parquet_ids(values: list) -> object:
    users, items, inter = frames()
    items = pd.DataFrame({"item_id": pd.Series(values, dtype=object), "title": ["A", "B", "C"]})
    return parquet_folder(users, items, inter)


ATTACKS = [
    Attack(
        "csv-nul-in-title",
        unified(items="item_id,title\ni1,A\ni2,B\x00ad\ni3,C\n"),
        CSV,
        2,
        f"items.csv, line 3, column title: {NUL}",
    ),  # fmt: skip
    Attack(
        "csv-nul-in-user-id",
        unified(users="user_id,age\nu1,20\nu\x002,30\n"),
        CSV,
        2,
        f"users.csv, line 3, column user_id: {NUL}",
    ),  # fmt: skip
    Attack(
        "csv-nul-in-header",
        unified(users="user_id,a\x00ge\nu1,20\nu2,30\n"),
        CSV,
        2,
        f"users.csv, line 1: a column name holds {NUL}",
    ),
    Attack(
        "jsonl-escaped-nul-in-title",
        _raw_line('{"item_id": "i4", "title": "x\\u0000y"}', "items"),
        CSV,
        2,
        f"items.jsonl, line 4, column title: {NUL}",
    ),  # fmt: skip
    Attack(
        "jsonl-lone-surrogate-in-title",
        _raw_line('{"item_id": "i4", "title": "x\\ud800y"}', "items"),
        CSV,
        2,
        f"items.jsonl, line 4, column title: {SURROGATE}",
    ),  # fmt: skip
    Attack(
        "jsonl-lone-low-surrogate-in-id",
        _raw_line('{"user_id": "\\udc80"}', "users"),
        CSV,
        2,
        f"users.jsonl, line 3, column user_id: {SURROGATE}",
    ),  # fmt: skip
    Attack(
        "jsonl-lone-surrogate-in-a-key",
        _raw_line('{"user_id": "u3", "\\ud83d": 1}', "users"),
        CSV,
        2,
        f"users.jsonl, line 3: a column name holds {SURROGATE}",
    ),  # fmt: skip
    Attack(
        "jsonl-lone-surrogate-in-a-list",
        _raw_line('{"item_id": "i4", "title": "D", "tags": ["\\udfff"]}', "items"),
        CSV,
        2,
        f"items.jsonl, line 4, column tags: {SURROGATE}",
    ),  # fmt: skip
    Attack("parquet-nul-in-title", _parquet_title("B\x00ad"), CSV, 2, f"items.parquet, row 2, column title: {NUL}"),
    Attack(
        "dat-nul-in-a-field",
        ml100k("2\t20\t1\t881250952\x00\n"),
        ingest("movielens"),
        2,
        f"u.data, line 4, column timestamp: {NUL}",
    ),
    Attack(
        "csv-repeated-header-column",
        unified(users="user_id,age,age\nu1,20,21\nu2,30,31\n"),
        CSV,
        2,
        "users.csv, line 1: column 'age' appears twice",
    ),  # fmt: skip
    Attack(
        "csv-repeated-id-column",
        unified(users="user_id,user_id\nu1,u9\nu2,u8\n"),
        CSV,
        2,
        "users.csv, line 1: column 'user_id' appears twice",
    ),  # fmt: skip
    Attack(
        "csv-repeated-timestamp",
        unified(interactions=INTERACTIONS.replace("timestamp\n", "timestamp,timestamp\n").replace("000\n", "000,9\n")),
        CSV,
        2,
        "interactions.csv, line 1: column 'timestamp' appears twice",
    ),  # fmt: skip
    Attack(
        "csv-header-mangled-name-clash",
        unified(items="item_id,title,title,title.1\ni1,A,B,C\ni2,B,C,D\ni3,C,D,E\n"),
        CSV,
        2,
        "items.csv, line 1: column 'title' appears twice",
    ),  # fmt: skip
    Attack(
        "goodbooks-repeated-header",
        files(**{"ratings.csv": "user_id,book_id,rating\n1,1,5\n", "books.csv": "book_id,title,title\n1,A,B\n"}),
        ingest("goodbooks"),
        2,
        "books.csv, line 1: column 'title' appears twice",
    ),  # fmt: skip
    Attack(
        "jsonl-user-id-is-a-list",
        _raw_line('{"user_id": [3]}', "users"),
        CSV,
        2,
        "users.jsonl, line 3, column user_id: a list, not a single id",
    ),  # fmt: skip
    Attack(
        "jsonl-item-id-is-an-object",
        _raw_line('{"item_id": {"id": 4}, "title": "D"}', "items"),
        CSV,
        2,
        "items.jsonl, line 4, column item_id: an object, not a single id",
    ),  # fmt: skip
    Attack(
        "jsonl-interaction-user-is-a-list",
        _raw_line('{"user_id": ["u1"], "item_id": "i1", "timestamp": 4}', "interactions"),
        CSV,
        2,
        "interactions.jsonl, line 4, column user_id: a list",
    ),  # fmt: skip
    Attack(
        "jsonl-id-is-true",
        _raw_line('{"user_id": true}', "users"),
        CSV,
        2,
        "users.jsonl, line 3, column user_id: true/false, not an id",
    ),  # fmt: skip
    Attack(
        "parquet-item-id-is-a-list",
        _parquet_ids([["i1"], ["i2"], ["i3"]]),
        CSV,
        2,
        "items.parquet, row 1, column item_id: a list, not a single id",
    ),  # fmt: skip
    Attack(
        "movielens-genre-line-without-a-code",
        ml100k(genre="unknown|0\nAction\nAdventure|2\n"),
        ingest("movielens"),
        2,
        "u.genre, line 2: expected 'name|code'",
    ),  # fmt: skip
    Attack(
        "movielens-genre-count-differs-from-u-item",
        ml100k(genre="unknown|0\nAction|1\n"),
        ingest("movielens"),
        2,
        "u.genre lists 2 genres but u.item, line 1 has 19 genre flags",
    ),  # fmt: skip
    Attack(
        "movielens-genre-code-not-a-number",
        ml100k(genre="unknown|zero\n"),
        ingest("movielens"),
        2,
        "u.genre, line 1: code 'zero' is not a number",
    ),  # fmt: skip
    Attack(
        "movielens-genre-codes-out-of-order",
        ml100k(genre="\n".join(f"g{k}|{18 - k}" for k in range(19)) + "\n"),
        ingest("movielens"),
        2,
        "u.genre, line 1: code 18 should be 0",
    ),  # fmt: skip
    Attack(
        "reference-duplicated-train-line",
        reference_workdir([reference_scene(), reference_scene("u2"), reference_scene()]),
        IMPORT,
        2,
        "datasets/ref_train.jsonl, line 3: repeats line 1",
    ),  # fmt: skip
    Attack(
        "reference-duplicated-line-with-other-spacing",
        files(
            **{"datasets__ref_train.jsonl": jsonl(reference_scene()) + jsonl(reference_scene()).replace(", ", ",  ")}
        ),
        IMPORT,
        2,
        "datasets/ref_train.jsonl, line 2: repeats line 1",
    ),  # fmt: skip
    Attack(
        "reference-duplicated-eval-line",
        files(**{"datasets__ref_eval.jsonl": jsonl(reference_scene(), reference_scene())}),
        IMPORT,
        2,
        "datasets/ref_eval.jsonl, line 2: repeats line 1",
    ),  # fmt: skip
    Attack(
        "dataset-name-lone-surrogate",
        unified(),
        ["ingest", "--dataset", "bad\udcff", "--format", "unified", "{tmp}/in"],
        2,
        f"--dataset: {SURROGATE}",
    ),  # fmt: skip
    Attack(
        "dataset-name-terminal-escape",
        unified(),
        ["ingest", "--dataset", "x\x1b]0;pwned\x07", "--format", "unified", "{tmp}/in"],
        2,
        "--dataset: a control character",
    ),  # fmt: skip
    Attack("selection-name-newline", None, ["select", "--name", "a\nb"], 2, "--name: a control character"),
    Attack(
        "endpoint-name-surrogate",
        None,
        ["endpoints", "add", "e\udcff", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
        2,
        f"argument name: {SURROGATE}",
    ),  # fmt: skip
    Attack(
        "endpoint-model-nul-like-escape",
        None,
        ["endpoints", "add", "e", "--base-url", "http://127.0.0.1:9/v1", "--model", "m\x1b[2J"],
        2,
        "model: a control character",
    ),  # fmt: skip
]


@pytest.mark.parametrize("attack", params(ATTACKS))
def test_text(attack, template, tmp_path, monkeypatch):
    run_attack(attack, template=template, tmp=tmp_path, monkeypatch=monkeypatch)
