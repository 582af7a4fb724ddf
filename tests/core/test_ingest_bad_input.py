"""Every bad-input case: exit code 2, one message naming file, line and column, and no table changed."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from core.cli.main import main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
USERS = "user_id,age\nu1,30\nu2,40\nu3,50\n"
ITEMS = "item_id,title,year\ni1,Alpha,1999\ni2,Beta,2001\ni3,Gamma,2003\n"
INTER = "user_id,item_id,timestamp,rating\nu1,i1,1700000000,4\nu2,i2,2023-11-15T00:00:00Z,3\nu3,i3,1700000100,5\n"


def counts(db_path: str) -> dict[str, int]:
    """Row count of every table in the schema."""
    from storage.db import get_engine

    with get_engine(db_path).connect() as conn:
        return {
            t.name: conn.execute(text(f'SELECT COUNT(*) FROM "{t.name}"')).scalar()
            for t in SQLModel.metadata.sorted_tables
        }


@pytest.fixture
def workspace(db_path, tmp_path, capsys) -> dict:
    """A database already holding the sample dataset, and a valid unified directory to break."""
    assert main(["ingest", "--dataset", "base", "--format", "movietweetings", str(SAMPLE)]) == 0
    capsys.readouterr()
    root = tmp_path / "uni"
    root.mkdir()
    for name, body in (("users.csv", USERS), ("items.csv", ITEMS), ("interactions.csv", INTER)):
        (root / name).write_text(body, encoding="utf-8")
    before = counts(db_path)
    assert before["interaction"] == 4614 and before["dataset"] == 1
    return {"root": root, "before": before, "db": db_path}


def refused(ws: dict, capsys, argv: list[str], message: str) -> None:
    """The command exits 2, prints exactly this one error, and leaves every table as it was."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {message}\n" in err
    assert err.count("error:") == 1
    assert counts(ws["db"]) == ws["before"]


def ingest_uni(ws: dict, *extra: str, name: str = "uni") -> list[str]:
    return ["ingest", "--dataset", name, "--format", "unified", str(ws["root"]), "--min-interactions", "1", *extra]


def test_valid_unified_directory_is_accepted(workspace, capsys):
    assert main(ingest_uni(workspace)) == 0
    assert "ingested 'uni' (unified): 3 users, 3 items, 3 interactions" in capsys.readouterr().out


def test_missing_column(workspace, capsys):
    (workspace["root"] / "interactions.csv").write_text("user_id,item_id,rating\nu1,i1,4\n")
    msg = "interactions.csv, line 1: missing column 'timestamp' (columns found: user_id, item_id, rating)"
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_unparsable_timestamp(workspace, capsys):
    body = INTER.replace("1700000100", "yesterday")
    (workspace["root"] / "interactions.csv").write_text(body)
    msg = (
        "interactions.csv, line 4, column timestamp: cannot parse 'yesterday' as a timestamp (unix seconds or ISO 8601)"
    )
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_interaction_naming_an_unknown_user(workspace, capsys):
    (workspace["root"] / "interactions.csv").write_text(INTER.replace("u2,i2", "u9,i2"))
    msg = "interactions.csv, line 3, column user_id: unknown user 'u9' (not in users.csv)"
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_interaction_naming_unknown_items_counts_the_other_rows(workspace, capsys):
    (workspace["root"] / "interactions.csv").write_text(INTER.replace("i2,", "x2,").replace("i3,", "x3,"))
    msg = "interactions.csv, line 3, column item_id: unknown item 'x2' (not in items.csv) (1 more rows like this)"
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_impression_naming_an_unknown_item(workspace, capsys):
    body = 'user_id,item_id,timestamp,impressions\nu1,i1,1,"[""i1"",""i2""]"\nu2,i2,2,"[""i2"",""zz""]"\n'
    (workspace["root"] / "interactions.csv").write_text(body)
    msg = "interactions.csv, line 3, column impressions: unknown item 'zz' (not in items.csv)"
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_duplicate_ids(workspace, capsys):
    (workspace["root"] / "users.csv").write_text(USERS + "u2,41\n")
    msg = "users.csv, line 5, column user_id: duplicate user_id 'u2' (first at line 3)"
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_empty_file(workspace, capsys):
    (workspace["root"] / "items.csv").write_text("")
    refused(workspace, capsys, ingest_uni(workspace), "items.csv: the file is empty")


def test_header_only_file_is_empty_too(workspace, capsys):
    (workspace["root"] / "users.csv").write_text("user_id,age\n")
    refused(workspace, capsys, ingest_uni(workspace), "users.csv: the file is empty (no data rows)")


def test_non_utf8_file(workspace, capsys):
    (workspace["root"] / "users.csv").write_bytes(USERS.replace("u2,40", "Zoé,40").encode("latin-1"))
    msg = "users.csv, line 3, column 3 (byte 20): not valid UTF-8 (byte 0xe9); save the file as UTF-8"
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_non_utf8_movietweetings_file(workspace, capsys, tmp_path):
    mt = tmp_path / "mt"
    shutil.copytree(SAMPLE, mt)
    raw = (mt / "movies.dat").read_bytes().replace("Fantômas".encode(), "Fantômas".encode("latin-1"), 1)
    (mt / "movies.dat").write_bytes(raw)
    msg = "movies.dat, line 1, column 14 (byte 13): not valid UTF-8 (byte 0xf4); save the file as UTF-8"
    refused(workspace, capsys, ["ingest", "--dataset", "mt", "--format", "movietweetings", str(mt)], msg)


def test_unknown_format(workspace, capsys):
    msg = "unknown format 'csvx'; choose one of unified, movielens, movietweetings, amazon, mind, goodbooks"
    refused(workspace, capsys, ["ingest", "--dataset", "x", "--format", "csvx", str(workspace["root"])], msg)


def test_missing_path(workspace, capsys, tmp_path):
    missing = tmp_path / "nowhere"
    refused(
        workspace,
        capsys,
        ["ingest", "--dataset", "x", "--format", "unified", str(missing)],
        f"path not found: {missing}",
    )


def test_missing_file_in_directory(workspace, capsys):
    (workspace["root"] / "items.csv").unlink()
    root = workspace["root"]
    msg = f"{root}: no items file found (expected one of items.csv, items.jsonl, items.parquet)"
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_existing_dataset_without_replace(workspace, capsys):
    msg = "dataset 'base' already exists; pass --replace to overwrite it"
    refused(workspace, capsys, ingest_uni(workspace, name="base"), msg)


def test_bad_input_with_replace_keeps_the_old_dataset(workspace, capsys):
    (workspace["root"] / "interactions.csv").write_text(INTER.replace("u2,i2", "u9,i2"))
    msg = "interactions.csv, line 3, column user_id: unknown user 'u9' (not in users.csv)"
    refused(workspace, capsys, ingest_uni(workspace, "--replace", name="base"), msg)


def test_bad_jsonl_line(workspace, capsys):
    root = workspace["root"]
    (root / "users.csv").unlink()
    (root / "users.jsonl").write_text('{"user_id": "u1"}\n{"user_id": "u2"\n{"user_id": "u3"}\n')
    msg = "users.jsonl, line 2, column 17: not valid JSON (Expecting ',' delimiter)"
    refused(workspace, capsys, ingest_uni(workspace), msg)


def test_max_below_min(workspace, capsys):
    msg = "--max-interactions (2) must be >= --min-interactions (5)"
    refused(workspace, capsys, ingest_uni(workspace, "--min-interactions", "5", "--max-interactions", "2"), msg)


def test_adapter_errors_name_the_line_of_headerless_files(workspace, capsys, tmp_path):
    ml = tmp_path / "ml-1m"
    ml.mkdir()
    (ml / "ratings.dat").write_text("1::1193::5::978300760\n1::999::3::978302109\n")
    (ml / "users.dat").write_text("1::F::1::10::48067\n")
    (ml / "movies.dat").write_text("1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n")
    msg = "ratings.dat, line 2, column item_id: unknown item '999' (not in movies.dat)"
    refused(workspace, capsys, ["ingest", "--dataset", "ml", "--format", "movielens", str(ml)], msg)


def test_mind_error_names_the_behaviors_line(workspace, capsys, tmp_path):
    mind = tmp_path / "mind"
    mind.mkdir()
    (mind / "behaviors.tsv").write_text("1\tU1\t11/11/2019 9:05:58 AM\t\tN1-1\n2\tU1\tlast tuesday\t\tN1-0 N1-1\n")
    (mind / "news.tsv").write_text("N1\tnews\tsub\tTitle\tAbstract\thttps://x\t[]\t[]\n")
    msg = (
        "behaviors.tsv, line 2, column timestamp: cannot parse 'last tuesday' as a timestamp (unix seconds or ISO 8601)"
    )
    refused(workspace, capsys, ["ingest", "--dataset", "m", "--format", "mind", str(mind)], msg)
