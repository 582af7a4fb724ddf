"""Unified form: CSV / JSONL / Parquet files and in-memory frames, persisted exactly."""

import json

import pandas as pd
import pytest

from core.errors import BadInput
from core.ingest import ingest, ingest_frames
from core.ingest.tables import years_to_ts
from tests.factories import stored_rows

USERS = pd.DataFrame({"user_id": ["u1", "u2", "u3"], "age": [31, 45, 22], "city": ["Gent", "Lyon", "Oslo"]})
ITEMS = pd.DataFrame(
    {
        "item_id": ["i1", "i2", "i3", "i4"],
        "title": ["Alpha", "Beta", "Gamma", "Delta"],
        "year": [1999, 2005, 2010, 2020],
        "price": [9.5, 12.0, 3.25, 40.0],
    }
)
# u1: 3 interactions, u2: 2, u3: 1 — times given as unix seconds and ISO 8601, in no particular order.
INTER = pd.DataFrame(
    {
        "user_id": ["u1", "u2", "u1", "u3", "u1", "u2"],
        "item_id": ["i2", "i1", "i1", "i4", "i3", "i3"],
        "timestamp": ["1700000300", "2023-11-14T22:13:20Z", "1700000100", "1700000000", "1700000200", "1700000400"],
        "rating": [4, 5, 3, 1, 2, 5],
    }
)


def rows(engine, sql: str) -> list[tuple]:
    return stored_rows(engine, sql)


def write(root, ext: str, **frames: pd.DataFrame) -> None:
    root.mkdir(exist_ok=True)
    for kind, df in frames.items():
        path = root / f"{kind}.{ext}"
        if ext == "csv":
            df.to_csv(path, index=False)
        elif ext == "jsonl":
            df.to_json(path, orient="records", lines=True)
        else:
            df.to_parquet(path, index=False)


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_unified_files_are_stored_with_features_and_times(engine, tmp_path, ext):
    inter = INTER.copy()
    if ext != "csv":
        inter["timestamp"] = [1700000300, 1700000000, 1700000100, 1700000000, 1700000200, 1700000400]
    write(tmp_path / "d", ext, users=USERS, items=ITEMS, interactions=inter)
    report = ingest(engine=engine, name="toy", fmt="unified", path=tmp_path / "d", min_interactions=2)
    assert (report.users, report.items, report.interactions) == (2, 4, 5)
    assert (report.dropped_users, report.dropped_interactions) == (1, 1)
    assert rows(engine, 'SELECT external_id, features FROM "user" ORDER BY id') == [
        ("u1", '{"age":31,"city":"Gent"}'),
        ("u2", '{"age":45,"city":"Lyon"}'),
    ]
    items = rows(engine, "SELECT external_id, title, release_ts, features FROM item ORDER BY id")
    assert items[0] == ("i1", "Alpha", 915148800, '{"year":1999,"price":9.5}')  # 1999-01-01 UTC
    assert [r[2] for r in items] == [915148800, 1104537600, 1262304000, 1577836800]
    # Interactions are stored per user in time order; 2023-11-14T22:13:20Z is 1700000000.
    stored = rows(
        engine,
        'SELECT u.external_id, i.external_id, x.timestamp, x.features FROM interaction x JOIN "user" u '
        "ON u.id = x.user_id JOIN item i ON i.id = x.item_id ORDER BY x.id",
    )
    assert stored == [
        ("u1", "i1", 1700000100, '{"rating":3}'),
        ("u1", "i3", 1700000200, '{"rating":2}'),
        ("u1", "i2", 1700000300, '{"rating":4}'),
        ("u2", "i1", 1700000000, '{"rating":5}'),
        ("u2", "i3", 1700000400, '{"rating":5}'),
    ]
    (ds,) = rows(engine, "SELECT name, format, options, source_path FROM dataset")
    assert ds[:3] == ("toy", "unified", '{"min_interactions": 2, "max_interactions": null}')
    assert ds[3] == str((tmp_path / "d").resolve())


def test_impressions_as_json_lists_in_csv_become_internal_item_ids(engine, tmp_path):
    inter = INTER.copy()
    inter["impressions"] = ['["i2", "i4"]', "", '["i1","i2","i3"]', "[]", None, '["i3"]']
    write(tmp_path / "d", "csv", users=USERS, items=ITEMS, interactions=inter)
    ingest(engine=engine, name="imp", fmt="unified", path=tmp_path / "d", min_interactions=1)
    ids = dict(rows(engine, "SELECT external_id, id FROM item"))
    got = rows(
        engine,
        "SELECT u.external_id, x.timestamp, x.impressions FROM interaction x "
        'JOIN "user" u ON u.id = x.user_id ORDER BY x.id',
    )
    by_key = {(u, t): (json.loads(imp) if imp else None) for u, t, imp in got}
    assert by_key[("u1", 1700000300)] == [ids["i2"], ids["i4"]]
    assert by_key[("u1", 1700000100)] == [ids["i1"], ids["i2"], ids["i3"]]
    assert by_key[("u2", 1700000400)] == [ids["i3"]]
    assert by_key[("u2", 1700000000)] is None
    assert by_key[("u3", 1700000000)] is None
    assert by_key[("u1", 1700000200)] is None


def test_ingest_frames_with_list_impressions_and_max_interactions(engine):
    inter = INTER.assign(impressions=[["i1", "i2"], None, ["i4"], [], ["i2", "i3"], None])
    report = ingest_frames(
        engine=engine,
        name="frames",
        fmt="usermirrorer",
        users=USERS,
        items=ITEMS,
        interactions=inter,
        min_interactions=1,
        max_interactions=2,
    )
    assert (report.users, report.items, report.interactions, report.dropped_users) == (2, 4, 3, 1)
    assert rows(engine, 'SELECT external_id FROM "user" ORDER BY id') == [("u2",), ("u3",)]
    assert rows(engine, "SELECT format, source_path FROM dataset") == [("usermirrorer", None)]
    assert rows(engine, "SELECT COUNT(*) FROM interaction WHERE impressions IS NOT NULL") == [(0,)]


def test_replace_swaps_the_dataset_and_min_interactions_can_empty_it(engine, tmp_path):
    write(tmp_path / "d", "csv", users=USERS, items=ITEMS, interactions=INTER)
    ingest(engine=engine, name="toy", fmt="unified", path=tmp_path / "d", min_interactions=1)
    report = ingest(engine=engine, name="toy", fmt="unified", path=tmp_path / "d", replace=True, min_interactions=3)
    assert (report.users, report.interactions) == (1, 3)
    assert rows(engine, 'SELECT COUNT(*), MIN(external_id) FROM "user"') == [(1, "u1")]
    assert rows(engine, "SELECT COUNT(*) FROM dataset") == [(1,)]
    assert rows(engine, "SELECT COUNT(*) FROM interaction") == [(3,)]
    with pytest.raises(BadInput, match=r"^no user has >= 4 interactions; nothing was written"):
        ingest(engine=engine, name="toy", fmt="unified", path=tmp_path / "d", replace=True, min_interactions=4)
    assert rows(engine, "SELECT COUNT(*) FROM interaction") == [(3,)]


def test_years_become_jan_first_utc_including_ancient_and_missing_years():
    got = years_to_ts(pd.Series([1970, 2000, 1900, -750, None]))
    assert got.tolist()[:4] == [0, 946684800, -2208988800, -85834857600]
    assert got.isna().tolist() == [False, False, False, False, True]


def test_ids_stay_text_and_iso_release_dates_parse(engine, tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "users.csv").write_text("user_id\n007\n")
    (root / "items.csv").write_text("item_id,title,release_ts\n0042,Answer,1979-10-12\n0043,Other,\n")
    (root / "interactions.csv").write_text("user_id,item_id,timestamp\n007,0042,1700000000.9\n")
    ingest(engine=engine, name="ids", fmt="unified", path=root, min_interactions=1)
    assert rows(engine, 'SELECT external_id FROM "user"') == [("007",)]
    assert rows(engine, "SELECT external_id, release_ts, features FROM item ORDER BY id") == [
        ("0042", 308534400, "{}"),
        ("0043", None, "{}"),
    ]
    assert rows(engine, "SELECT timestamp FROM interaction") == [(1700000000,)]


def test_frame_errors_name_the_frame_row_and_column(engine):
    inter = INTER.assign(timestamp=["1", "2", "3", "soon", "5", "6"])
    with pytest.raises(BadInput) as exc:
        ingest_frames(engine=engine, name="f", fmt="unified", users=USERS, items=ITEMS, interactions=inter)
    assert str(exc.value) == (
        "interactions frame, row 4, column timestamp: cannot parse 'soon' as a timestamp (unix seconds or ISO 8601)"
    )
    assert rows(engine, "SELECT COUNT(*) FROM dataset") == [(0,)]


def test_parquet_errors_name_the_row(engine, tmp_path):
    write(tmp_path / "d", "parquet", users=pd.concat([USERS, USERS.iloc[[0]]]), items=ITEMS, interactions=INTER)
    with pytest.raises(BadInput) as exc:
        ingest(engine=engine, name="p", fmt="unified", path=tmp_path / "d")
    assert str(exc.value) == "users.parquet, row 4, column user_id: duplicate user_id 'u1' (first at row 1)"


def test_feature_numbers_keep_fifteen_decimals(tmp_path, engine):
    from sqlmodel import Session, select

    from storage.models import Item

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "users.csv").write_text("user_id\nu1\n")
    (folder / "items.csv").write_text("item_id,title,price\ni1,A,12.3456789012345\ni2,B,0.123456789012345\n")
    (folder / "interactions.csv").write_text("user_id,item_id,timestamp\nu1,i1,1\nu1,i2,2\n")
    ingest(engine=engine, name="d", fmt="unified", path=folder, min_interactions=1)
    with Session(engine) as s:
        prices = [item.features["price"] for item in s.exec(select(Item).order_by(Item.id))]
    assert prices == [12.3456789012345, 0.123456789012345]


def test_iso_dates_of_years_1_and_9999_are_stored_exactly(tmp_path, engine):
    from sqlmodel import Session, select

    from storage.models import Interaction

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "users.csv").write_text("user_id\nu1\n")
    (folder / "items.csv").write_text("item_id,title,release_ts\ni1,A,0001-01-01\ni2,B,9999-12-31T23:59:59Z\ni3,C,\n")
    (folder / "interactions.csv").write_text(
        "user_id,item_id,timestamp\nu1,i1,0001-01-01T00:00:00Z\nu1,i2,9999-12-31T23:59:59+00:00\nu1,i3,1700000000\n"
    )
    ingest(engine=engine, name="d", fmt="unified", path=folder, min_interactions=1)
    with Session(engine) as s:
        stamps = sorted(i.timestamp for i in s.exec(select(Interaction)))
    assert stamps == [-62_135_596_800, 1_700_000_000, 253_402_300_799]


def test_a_parquet_datetime_column_of_year_9999_is_stored_exactly(tmp_path, engine):
    from sqlmodel import Session, select

    from storage.models import Interaction

    folder = tmp_path / "d"
    folder.mkdir()
    pd.DataFrame({"user_id": ["u1"]}).to_parquet(folder / "users.parquet")
    pd.DataFrame({"item_id": ["i1", "i2"], "title": ["A", "B"]}).to_parquet(folder / "items.parquet")
    when = pd.Series(pd.to_datetime(["2020-01-01T00:00:00", "9999-12-31T23:59:59"], format="ISO8601").as_unit("s"))
    pd.DataFrame({"user_id": ["u1", "u1"], "item_id": ["i1", "i2"], "timestamp": when}).to_parquet(
        folder / "interactions.parquet"
    )
    ingest(engine=engine, name="d", fmt="unified", path=folder, min_interactions=1)
    with Session(engine) as s:
        assert sorted(i.timestamp for i in s.exec(select(Interaction))) == [1_577_836_800, 253_402_300_799]


def test_in_memory_frames_with_a_nul_are_refused(engine):
    users = pd.DataFrame({"user_id": ["u1"]})
    items = pd.DataFrame({"item_id": ["i1", "i2"], "title": ["A", "B\x00"]})
    inter = pd.DataFrame({"user_id": ["u1", "u1"], "item_id": ["i1", "i2"], "timestamp": [1, 2]})
    with pytest.raises(BadInput) as caught:
        ingest_frames(engine=engine, name="f", fmt="unified", users=users, items=items, interactions=inter)
    assert str(caught.value) == "items frame, row 2, column title: a NUL character (\\0); remove it"
