"""CLI bad input before any work: a --db that cannot be opened, impossible demo sizes — exit 2, one message."""

import os

import pytest

from core.cli.main import main
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
    assert capsys.readouterr().err == "error: --n must be at least 1 (got 0)\n"
