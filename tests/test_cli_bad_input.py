"""CLI database handling: --db passed down (never via the environment), bad ones exit 2, a busy one exits 1."""

import json
import os
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

import storage.status
from core.cli.main import main
from core.errors import DatabaseBusy
from storage.db import dispose_engines


@pytest.fixture(autouse=True)
def _fresh_engines(monkeypatch):
    monkeypatch.delenv("MIRROR_DB", raising=False)
    yield
    dispose_engines()


def test_missing_directory(capsys):
    assert main(["--db", "/nonexistent-dir/x.db", "status"]) == 2
    assert capsys.readouterr().err == (
        "error: cannot open database sqlite:////nonexistent-dir/x.db: unable to open database file\n"
    )
    assert not os.path.exists("/nonexistent-dir")


def test_a_file_that_is_not_a_database_is_left_alone(tmp_path, capsys):
    path = tmp_path / "notes.db"
    path.write_bytes(b"not sqlite at all\n" * 10)
    assert main(["--db", str(path), "status"]) == 2
    assert capsys.readouterr().err == f"error: cannot open database sqlite:///{path}: file is not a database\n"
    assert path.read_bytes() == b"not sqlite at all\n" * 10


def test_an_unknown_driver_is_named_and_the_password_is_not_shown(capsys):
    assert main(["--db", "postgresql+nosuchdriver://bob:hunter2@127.0.0.1/x", "status"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: cannot open database postgresql+nosuchdriver://bob:***@127.0.0.1/x: "
        "Can't load plugin: sqlalchemy.dialects:postgresql.nosuchdriver\n"
    )
    assert "hunter2" not in err


def test_unknown_url_scheme(capsys):
    assert main(["--db", "nosuchdb://host/x", "status"]) == 2
    assert capsys.readouterr().err == (
        "error: cannot open database nosuchdb://host/x: Can't load plugin: sqlalchemy.dialects:nosuchdb\n"
    )


def test_demo_rejects_a_negative_size_before_doing_anything(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "d.db"), "demo", "--n", "0"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "error: argument --n: must be a whole number from 1 to 1,000 (got '0')"
    assert not (tmp_path / "d.db").exists()  # refused while parsing: the database was never opened


def test_db_is_passed_down_and_never_written_into_the_environment(tmp_path, capsys):
    path = tmp_path / "given.db"
    assert main(["--db", str(path), "status", "--json"]) == 0
    assert "MIRROR_DB" not in os.environ
    assert path.exists() and json.loads(capsys.readouterr().out) == {"datasets": {}, "selections": {}}


def test_a_database_locked_during_a_command_is_one_busy_line_and_exit_1(tmp_path, capsys, monkeypatch):
    def locked(*, conn):
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(storage.status, "status", locked)  # status_cmd imports it when it runs
    assert main(["--db", str(tmp_path / "l.db"), "status"]) == 1
    assert capsys.readouterr().err == f"error: {DatabaseBusy()}\n"
