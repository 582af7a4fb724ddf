"""Shared fixtures: a fresh SQLite file database per test (WAL needs a file)."""

import pytest
from sqlmodel import Session

from storage.db import dispose_engines, get_engine


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> str:
    """Path of a fresh, upgraded database; also exported as MIRROR_DB."""
    path = str(tmp_path / "mirror.db")
    monkeypatch.setenv("MIRROR_DB", path)
    get_engine(path)
    yield path
    dispose_engines()


@pytest.fixture
def engine(db_path):
    return get_engine(db_path)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s
