"""Hostile numbers (issue 11 item 3): every number outside its documented range (core/limits.py, README "Valid
ranges") is refused with exit 2 naming file, line and column (or the option), never wrapped, clamped or coerced."""

import numpy as np
import pytest

from tests.hostile.harness import Attack, params, run_attack, unified, with_interaction
from tests.hostile.inputs import (
    amazon,
    frames,
    goodbooks,
    ingest,
    ml1m,
    ml100k,
    movietweetings,
    parquet_folder,
    reference_scene,
    reference_workdir,
    unified_jsonl,
)

CSV = ingest("unified")
TS_AT = "interactions.csv, line 6, column timestamp"
TS_RANGE = "outside the valid range of timestamp"


def _parquet_timestamp(value, dtype: str) -> object:
    users, items, inter = frames()
    column = np.array([1000, 2000, 3000, value], dtype=dtype)
    inter = inter.assign(timestamp=column)
    return parquet_folder(users, items, inter)


DATA = [
    Attack("csv-timestamp-1e30", with_interaction("1e30"), CSV, 2, f"{TS_AT}: '1e+30' is {TS_RANGE}"),
    Attack("csv-timestamp-uint64-max", with_interaction("18446744073709551615"), CSV, 2, f"{TS_AT}: '1844"),
    Attack("csv-timestamp-1e23-digits", with_interaction("99999999999999999999999"), CSV, 2, TS_RANGE),
    Attack("csv-timestamp-minus-1e30", with_interaction("-1e30"), CSV, 2, TS_RANGE),
    Attack("csv-timestamp-in-milliseconds", with_interaction("1700000000000000"), CSV, 2, TS_RANGE),
    Attack("csv-timestamp-int64-max", with_interaction("9223372036854775807"), CSV, 2, TS_RANGE),
    Attack("csv-timestamp-int64-min", with_interaction("-9223372036854775808"), CSV, 2, TS_RANGE),
    Attack("csv-timestamp-inf", with_interaction("inf"), CSV, 2, f"{TS_AT}: 'inf' is {TS_RANGE}"),
    Attack("csv-timestamp-nan-text", with_interaction("nan"), CSV, 2, f"{TS_AT}: empty timestamp"),
    Attack("iso-timestamp-before-year-1", with_interaction("0001-01-01T00:00:00+01:00"), CSV, 2, TS_RANGE),
    Attack("iso-timestamp-year-10000", with_interaction("10000-01-01T00:00:00"), CSV, 2, f"{TS_AT}: cannot parse"),
    Attack(
        "jsonl-timestamp-1e30",
        unified_jsonl({"user_id": "u2", "item_id": "i2", "timestamp": 1e30}),
        ingest("unified"),
        2,
        "interactions.jsonl, line 5, column timestamp",
    ),
    Attack(
        "jsonl-timestamp-2-to-the-64",
        unified_jsonl({"user_id": "u2", "item_id": "i2", "timestamp": 2**64}),
        ingest("unified"),
        2,
        "interactions.jsonl, line 5, column timestamp",
    ),
    Attack(
        "jsonl-timestamp-huge-text",
        unified_jsonl({"user_id": "u2", "item_id": "i2", "timestamp": "99999999999999999999999"}),
        ingest("unified"),
        2,
        "interactions.jsonl, line 5, column timestamp",
    ),
    Attack(
        "parquet-timestamp-int64-max",
        _parquet_timestamp(2**63 - 1, "int64"),
        ingest("unified"),
        2,
        "interactions.parquet, row 4, column timestamp",
    ),
    Attack(
        "parquet-timestamp-uint64-max",
        _parquet_timestamp(2**64 - 1, "uint64"),
        ingest("unified"),
        2,
        "interactions.parquet, row 4, column timestamp",
    ),
    Attack(
        "parquet-timestamp-float-1e30",
        _parquet_timestamp(1e30, "float64"),
        ingest("unified"),
        2,
        "interactions.parquet, row 4, column timestamp",
    ),
    Attack(
        "items-release-ts-1e30",
        unified(items="item_id,title,release_ts\ni1,A,1e30\ni2,B,\ni3,C,5\n"),
        CSV,
        2,
        "items.csv, line 2, column release_ts: '1e+30' is outside the valid range of release_ts",
    ),
    Attack(
        "items-year-a-million",
        unified(items="item_id,title,year\ni1,A,1000000\ni2,B,\ni3,C,1995\n"),
        CSV,
        2,
        "items.csv, line 2, column year: '1000000.0' is outside the valid range of year",
    ),
    Attack(
        "items-year-9e18",
        unified(items="item_id,title,year\ni1,A,1995\ni2,B,9e18\ni3,C,1995\n"),
        CSV,
        2,
        "items.csv, line 3, column year",
    ),
    Attack(
        "items-year-not-a-number",
        unified(items="item_id,title,year\ni1,A,1995\ni2,B,nineteen\ni3,C,1995\n"),
        CSV,
        2,
        "items.csv, line 3, column year: 'nineteen' is not a number",
    ),
    Attack(
        "movielens-1m-timestamp-uint64-max",
        ml1m(ratings="2::10::1::18446744073709551615\n"),
        ingest("movielens"),
        2,
        "ratings.dat, line 5, column timestamp",
    ),
    Attack("movielens-100k-timestamp-1e30", ml100k("2\t20\t1\t1e30\n"), ingest("movielens"), 2, "u.data, line 4"),
    Attack(
        "movielens-rating-1e30", ml1m(ratings="2::10::1e30::978300764\n"), ingest("movielens"), 2, "ratings.dat, line 5"
    ),
    Attack(
        "movielens-rating-6",
        ml1m(ratings="2::10::6::978300764\n"),
        ingest("movielens"),
        2,
        "ratings.dat, line 5, column rating: '6' is outside the valid range of rating: a whole number from 1 to 5",
    ),
    Attack(
        "movielens-rating-not-a-number",
        ml1m(ratings="2::10::five::978300764\n"),
        ingest("movielens"),
        2,
        "ratings.dat, line 5, column rating: 'five' is not a number",
    ),
    Attack("movielens-rating-half", ml100k("2\t20\t3.5\t881250952\n"), ingest("movielens"), 2, "u.data, line 4"),
    Attack(
        "movietweetings-timestamp-1e23-digits",
        movietweetings(ratings="2::0111161::8::99999999999999999999999\n"),
        ingest("movietweetings"),
        2,
        "ratings.dat, line 4, column timestamp",
    ),
    Attack(
        "movietweetings-rating-11",
        movietweetings(ratings="2::0111161::11::1365029110\n"),
        ingest("movietweetings"),
        2,
        "ratings.dat, line 4, column rating: '11' is outside the valid range of rating: a whole number from 0 to 10",
    ),
    Attack(
        "movietweetings-rating-negative",
        movietweetings(ratings="2::0111161::-1::1365029110\n"),
        ingest("movietweetings"),
        2,
        "ratings.dat, line 4, column rating",
    ),
    Attack(
        "goodbooks-year-9e18",
        goodbooks(books="3,300,Odd,Nobody,9e18,3.0\n"),
        ingest("goodbooks"),
        2,
        "books.csv, line 4, column original_publication_year: '9e+18' is outside the valid range of year",
    ),
    Attack(
        "goodbooks-year-1e19",
        goodbooks(books="3,300,Odd,Nobody,1e19,3.0\n"),
        ingest("goodbooks"),
        2,
        "books.csv, line 4, column original_publication_year",
    ),
    Attack(
        "goodbooks-rating-99",
        goodbooks(ratings="2,2,99\n"),
        ingest("goodbooks"),
        2,
        "ratings.csv, line 5, column rating: '99' is outside the valid range of rating",
    ),
    Attack(
        "amazon-timestamp-1e30-ms",
        amazon({"user_id": "A2", "parent_asin": "B1", "timestamp": 1e30, "rating": 5.0}),
        ingest("amazon"),
        2,
        "Books.jsonl, line 3, column timestamp",
    ),
    Attack(
        "amazon-rating-7",
        amazon({"user_id": "A2", "parent_asin": "B1", "timestamp": 1588687730923, "rating": 7}),
        ingest("amazon"),
        2,
        "Books.jsonl, line 3, column rating: '7.0' is outside the valid range of rating: a number from 1 to 5",
    ),
    Attack(
        "amazon-price-negative",
        amazon(meta={"parent_asin": "B3", "title": "Three", "price": -5}),
        ingest("amazon"),
        2,
        "meta_Books.jsonl, line 3, column price: '-5.0' is outside the valid range of price",
    ),
    Attack(
        "amazon-price-1e30",
        amazon(meta={"parent_asin": "B3", "title": "Three", "price": 1e30}),
        ingest("amazon"),
        2,
        "meta_Books.jsonl, line 3, column price",
    ),
    Attack(
        "feature-inf",
        unified(users="user_id,age\nu1,inf\nu2,30\n"),
        CSV,
        2,
        "users.csv, line 2, column age: 'inf' is not a finite number",
    ),
    Attack(
        "feature-minus-inf",
        unified(items="item_id,title,price\ni1,A,1\ni2,B,-inf\ni3,C,2\n"),
        CSV,
        2,
        "items.csv, line 3, column price",
    ),
    Attack(
        "feature-overflowing-float",
        unified(items="item_id,title,price\ni1,A,1\ni2,B,1e400\ni3,C,2\n"),
        CSV,
        2,
        "items.csv, line 3, column price",
    ),
    Attack(
        "interaction-feature-inf",
        with_interaction("-inf", column="rating"),
        CSV,
        2,
        "interactions.csv, line 6, column rating",
    ),
    Attack(
        "reference-timestamp-1e30",
        reference_workdir([reference_scene(timestamp=1e30)]),
        ["import", "--format", "usermirrorer", "--dataset", "ref", "--path", "{tmp}/in"],
        2,
        "datasets/ref_train.jsonl, line 1: timestamp",
    ),
    Attack(
        "reference-timestamp-2-to-the-70",
        reference_workdir([reference_scene(timestamp=2**70)]),
        ["import", "--format", "usermirrorer", "--dataset", "ref", "--path", "{tmp}/in"],
        2,
        "datasets/ref_train.jsonl, line 1: timestamp",
    ),
]

SEED_RULE = "must be a whole number from 0 to 9,223,372,036,854,775,807"
SCENES = ["scenes", "--dataset", "toy"]
RATIONALES = ["rationales", "--role", "strong", "--endpoint", "local"]
PREDICT = ["predict", "--role", "strong", "--endpoint", "local"]
ADD = ["endpoints", "add", "e", "--base-url", "http://127.0.0.1:1/v1", "--model", "m"]
OPTIONS = [
    Attack("scenes-seed-minus-1", None, [*SCENES, "--count", "5", "--seed", "-1"], 2, f"--seed: {SEED_RULE}"),
    Attack("scenes-seed-2-to-the-63", None, [*SCENES, "--count", "5", "--seed", str(2**63)], 2, SEED_RULE),
    Attack("scenes-seed-2-to-the-64", None, [*SCENES, "--count", "5", "--seed", str(2**64)], 2, SEED_RULE),
    Attack("scenes-count-2-to-the-63", None, [*SCENES, "--count", str(2**63)], 2, "--count: must be a whole number"),
    Attack("scenes-count-zero", None, [*SCENES, "--count", "0"], 2, "--count: must be a whole number from 1"),
    Attack("scenes-max-exposure-27", None, [*SCENES, "--count", "5", "--max-exposure", "27"], 2, "--max-exposure"),
    Attack("scenes-min-exposure-1", None, [*SCENES, "--count", "5", "--min-exposure", "1"], 2, "--min-exposure"),
    Attack("scenes-history-max-huge", None, [*SCENES, "--count", "5", "--history-max", "1000000"], 2, "--history-max"),
    Attack("scenes-history-min-zero", None, [*SCENES, "--count", "5", "--history-min", "0"], 2, "--history-min"),
    Attack("rationales-n-a-million", None, [*RATIONALES, "--n", "1000000"], 2, "--n: must be a whole number from 1"),
    Attack("rationales-n-zero", None, [*RATIONALES, "--n", "0"], 2, "--n: must be"),
    Attack("rationales-temperature-nan", None, [*RATIONALES, "--temperature", "nan"], 2, "--temperature: must be"),
    Attack("rationales-temperature-inf", None, [*RATIONALES, "--temperature", "inf"], 2, "--temperature: must be"),
    Attack("rationales-temperature-negative", None, [*RATIONALES, "--temperature", "-0.5"], 2, "--temperature"),
    Attack("rationales-max-tokens-1e11", None, [*RATIONALES, "--max-tokens", "10" * 6], 2, "--max-tokens: must be"),
    Attack("rationales-limit-negative", None, [*RATIONALES, "--limit", "-3"], 2, "--limit: must be"),
    Attack("predict-samples-zero", None, [*PREDICT, "--samples", "0"], 2, "--samples: must be"),
    Attack("predict-samples-a-billion", None, [*PREDICT, "--samples", str(10**9)], 2, "--samples: must be"),
    Attack("predict-seed-minus-1", None, [*PREDICT, "--seed", "-1"], 2, f"--seed: {SEED_RULE}"),
    Attack("select-target-zero", None, ["select", "--name", "t", "--target", "0"], 2, "--target: must be"),
    Attack("select-target-1e30", None, ["select", "--name", "t", "--target", str(10**30)], 2, "--target: must be"),
    Attack("select-min-nan", None, ["select", "--name", "t", "--min", "diff_model=nan"], 2, "finite number"),
    Attack("select-max-inf", None, ["select", "--name", "t", "--max", "diff_model=inf"], 2, "finite number"),
    Attack("select-min-not-a-number", None, ["select", "--name", "t", "--min", "diff_model=abc"], 2, "'abc'"),
    Attack("endpoint-timeout-nan", None, [*ADD, "--timeout", "nan"], 2, "--timeout: must be a number more than 0"),
    Attack("endpoint-timeout-inf", None, [*ADD, "--timeout", "inf"], 2, "--timeout: must be"),
    Attack("endpoint-timeout-zero", None, [*ADD, "--timeout", "0"], 2, "--timeout: must be"),
    Attack("endpoint-timeout-a-year", None, [*ADD, "--timeout", "31536000"], 2, "--timeout: must be"),
    Attack("endpoint-concurrency-zero", None, [*ADD, "--concurrency", "0"], 2, "--concurrency: must be"),
    Attack("endpoint-concurrency-a-billion", None, [*ADD, "--concurrency", str(10**9)], 2, "--concurrency"),
    Attack("endpoint-retries-negative", None, [*ADD, "--retries", "-1"], 2, "--retries: must be"),
    Attack("endpoint-retries-2-to-the-63", None, [*ADD, "--retries", str(2**63)], 2, "--retries: must be"),
    Attack(
        "ingest-min-interactions-2-to-the-63",
        unified(),
        ["ingest", "--dataset", "n", "--format", "unified", "{tmp}/in", "--min-interactions", str(2**63)],
        2,
        "--min-interactions: must be",
    ),
    Attack(
        "ingest-max-interactions-negative",
        unified(),
        ["ingest", "--dataset", "n", "--format", "unified", "{tmp}/in", "--max-interactions", "-1"],
        2,
        "--max-interactions: must be",
    ),
    Attack("demo-scenes-a-billion", None, ["demo", "--scenes", str(10**9)], 2, "--scenes: must be"),
    Attack("demo-n-zero", None, ["demo", "--n", "0"], 2, "--n: must be"),
]
ATTACKS = DATA + OPTIONS


@pytest.mark.parametrize("attack", params(ATTACKS))
def test_number(attack, template, tmp_path, monkeypatch):
    run_attack(attack, template=template, tmp=tmp_path, monkeypatch=monkeypatch)
