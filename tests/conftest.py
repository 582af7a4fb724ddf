"""Shared fixtures: a fresh database per test, on SQLite (a file: WAL needs one) or on a throwaway PostgreSQL cluster.

Storage and pipeline tests (tests/storage, tests/core, and any test marked `both_backends`) run once per backend:
their `backend` parameter is "sqlite" or "postgresql". Everything else runs on SQLite only. The PostgreSQL cluster is
started once per session (tests/pg_cluster.py) and stopped at the end, also when tests fail.
"""

import atexit
import os
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from sqlmodel import Session, SQLModel

from storage.db import dispose_engines, get_engine
from storage.migrations import MIGRATIONS
from tests.pg_cluster import PgCluster, find_bindir

# The app keeps the embedded model warm once Review opens; tests start it only where they ask for it.
os.environ.setdefault("MIRROR_WARM_MODEL", "0")

BACKENDS = ("sqlite", "postgresql")
_BOTH_DIRS = ("storage", "core")  # tests/<dir>/ run on both backends
_TEST_DB = "mirror_test"


def _on_both_backends(item) -> bool:
    if item.get_closest_marker("sqlite_only"):
        return False
    if item.get_closest_marker("both_backends"):
        return True
    parts = Path(str(item.path)).relative_to(Path(__file__).parent).parts
    return len(parts) > 1 and parts[0] in _BOTH_DIRS


def pytest_generate_tests(metafunc) -> None:
    if "backend" in metafunc.fixturenames and _on_both_backends(metafunc.definition):
        metafunc.parametrize("backend", BACKENDS)


@pytest.fixture
def backend() -> str:
    """The database backend of this test ("sqlite" unless the test runs on both)."""
    return "sqlite"


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's PostgreSQL cluster (skipped when PostgreSQL is not installed, except in CI)."""
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL server binaries not found (apt-get install postgresql, or set MIRROR_PG_BINDIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = PgCluster(bindir)
    atexit.register(cluster.stop)  # also when the session is interrupted before fixture teardown
    try:
        cluster.start()
        url = cluster.create_database(_TEST_DB)
        get_engine(url)  # tables and migrations once; each test then empties them
        dispose_engines()
        yield cluster
    finally:
        cluster.stop()


def _reset_pg(cluster: PgCluster, test: str) -> str:
    """Empty every table of the shared test database (ids start at 1 again) and forget unknown migrations.

    The URL returned names the test (application_name), so caches keyed by URL never see an earlier test's data."""
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    known = ", ".join(f"'{m.name}'" for m in MIGRATIONS)
    with psycopg.connect(cluster.url(_TEST_DB).replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        conn.execute(f"DELETE FROM _migrations WHERE name NOT IN ({known})")
    return cluster.url(_TEST_DB) + "?application_name=" + quote(test[-60:], safe="")


@pytest.fixture
def db_path(backend, tmp_path, monkeypatch, request) -> str:
    """A fresh, upgraded database: a SQLite file path, or a PostgreSQL URL; also exported as MIRROR_DB."""
    if backend == "postgresql":
        path = _reset_pg(request.getfixturevalue("pg_cluster"), request.node.name)
    else:
        path = str(tmp_path / "mirror.db")
    monkeypatch.setenv("MIRROR_DB", path)
    get_engine(path)
    yield path
    dispose_engines()


@pytest.fixture
def empty_db(backend, tmp_path, request) -> str:
    """A database with no tables at all (SQLite path or PostgreSQL URL), dropped after the test."""
    if backend == "sqlite":
        yield str(tmp_path / "empty.db")
        dispose_engines()
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"empty_{os.getpid()}_{abs(hash(request.node.nodeid))}"
    yield cluster.create_database(name)
    dispose_engines()
    cluster.drop_database(name)


@pytest.fixture
def engine(db_path):
    return get_engine(db_path)


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s
