"""PostgreSQL URLs from the user: exit 2 with one masked line when the database cannot be opened, exit 1 when the
server goes away mid-run; the app shows the same line. The password never appears anywhere."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from core.cli.main import main
from storage.db import dispose_engines, get_engine
from storage.llm import add_endpoint
from storage.models import Endpoint
from tests.factories import make_dataset, make_scene
from tests.fault_server import fault_server  # noqa: F401  (fixture)
from tests.pg_cluster import PASSWORD, USER, PgCluster, find_bindir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_engines(monkeypatch):
    monkeypatch.delenv("MIRROR_DB", raising=False)
    yield
    dispose_engines()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fails(url: str, capsys) -> str:
    assert main(["--db", url, "status"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and PASSWORD not in err and "wrong-secret" not in err
    return err


def test_a_server_that_is_not_there(capsys):
    port = _free_port()
    err = _fails(f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{port}/mirror", capsys)
    assert err.startswith(f"error: cannot open database postgresql+psycopg://{USER}:***@127.0.0.1:{port}/mirror: ")
    assert "Connection refused" in err


def test_a_wrong_password(pg_cluster, capsys):
    err = _fails(f"postgresql+psycopg://{USER}:wrong-secret@127.0.0.1:{pg_cluster.port}/postgres", capsys)
    assert err.startswith(f"error: cannot open database postgresql+psycopg://{USER}:***@127.0.0.1:")
    assert f'password authentication failed for user "{USER}"' in err


def test_a_missing_database_is_not_created(pg_cluster, capsys):
    err = _fails(pg_cluster.url("no_such_db"), capsys)
    assert 'database "no_such_db" does not exist' in err
    with pg_cluster.admin() as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = 'no_such_db'").fetchone() == (0,)


def test_a_driver_that_is_not_installed(pg_cluster, capsys):
    err = _fails(pg_cluster.url("postgres").replace("+psycopg", "+psycopg2"), capsys)
    assert err.endswith(": No module named 'psycopg2'\n")


def test_a_bare_postgresql_url_uses_psycopg_3(pg_cluster, capsys):
    url = pg_cluster.url("postgres").replace("postgresql+psycopg://", "postgresql://")
    assert main(["--db", url, "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"datasets": {}, "selections": {}}


def test_the_app_shows_one_masked_line_and_stops(pg_cluster, monkeypatch):
    monkeypatch.setenv("MIRROR_DB", pg_cluster.url("postgres").replace(PASSWORD, "wrong-secret"))
    at = AppTest.from_file(str(ROOT / "pages" / "frame.py"), default_timeout=60).run()
    assert not at.exception
    (error,) = [e.value.replace("\\", "") for e in at.error]  # shown with markdown escapes
    assert error.startswith("cannot open database postgresql+psycopg://mirror:***@127.0.0.1:")
    assert "password authentication failed" in error and "wrong-secret" not in error
    assert all("wrong-secret" not in c.value for c in at.sidebar.text)


def test_a_server_that_stops_mid_run_is_exit_1_and_one_masked_line(fault_server):  # noqa: F811
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed")
    cluster = PgCluster(bindir).start()
    try:
        url = cluster.create_database("midrun")
        with Session(get_engine(url)) as session:
            make_scene(session, dataset=make_dataset(session), choice_cnt=3)
            add_endpoint(session=session, endpoint=Endpoint(name="slow", base_url=fault_server.url, model="m"))
            session.commit()
        dispose_engines()
        fault_server.latency = 3.0
        cmd = [sys.executable, "-m", "core", "--db", url, "rationales", "--role", "strong", "--endpoint", "slow"]
        child = subprocess.Popen(cmd + ["--n", "1"], cwd=ROOT, stderr=subprocess.PIPE, text=True, env=os.environ)
        deadline = time.monotonic() + 60
        while not fault_server.counts and time.monotonic() < deadline:  # the call is out: the run holds no write
            assert child.poll() is None, child.stderr.read()
            time.sleep(0.05)
        cluster.stop()
        _, err = child.communicate(timeout=120)
    finally:
        cluster.stop()
    assert child.returncode == 1, err
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]  # and the progress bar
    assert PASSWORD not in err
    assert line.startswith(
        f"error: database postgresql+psycopg://{USER}:***@127.0.0.1:{cluster.port}/midrun failed during the run: "
    )
