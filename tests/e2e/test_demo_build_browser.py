"""In Chromium: the demo build started from Overview survives its tab, shows in another, and resumes after a kill."""

import os
import re
import signal
import time

import pytest
from sqlmodel import Session

from core.choices import DEMO_RUN
from storage.db import dispose_engines, get_engine
from storage.llm import add_endpoint
from storage.models import Endpoint, Run
from storage.runs import latest_run
from tests.e2e.app_server import app_server
from tests.e2e.conftest import screenshot_on_failure, wait_idle
from tests.fault_server import FaultServer

pytestmark = pytest.mark.slow


def _run(db: str, until, timeout: float = 120.0) -> Run:
    deadline = time.monotonic() + timeout
    while True:
        with Session(get_engine(db)) as s:
            run = latest_run(session=s, kind=DEMO_RUN)
        if run is not None and until(run):
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.3)


@pytest.fixture
def demo_server(tmp_path):
    """An app on an empty database whose demo builds on a loopback model server (paused until the test says)."""
    db = str(tmp_path / "mirror.db")
    fault = FaultServer().start()
    with Session(get_engine(db)) as s:
        add_endpoint(session=s, endpoint=Endpoint(name="fault", base_url=fault.url, model="m", timeout=60))
        s.commit()
    dispose_engines()
    fault.pause()
    env = {"MIRROR_DB": db, "MIRROR_DEMO_ENDPOINT": "fault", "MIRROR_DEMO_SCENES": "2"}
    try:
        with app_server(log_path=tmp_path / "streamlit.log", env=env) as base:
            yield base, db, fault
    finally:
        fault.stop()


def test_the_build_survives_its_tab_and_resumes_after_a_kill(demo_server, browser):
    base, db, fault = demo_server
    first = browser.new_page(viewport={"width": 1400, "height": 1000})
    first.set_default_timeout(90_000)
    with screenshot_on_failure(first, "demo_build_first_tab"):
        first.goto(base)
        first.get_by_role("button", name="Build demo workspace").click()
        first.get_by_text(re.compile(r"^Building the demo workspace: ")).wait_for()
    started = _run(db, lambda r: r.status == "running")
    first.close()  # the tab that started it goes away; the build does not
    _run(db, lambda r: r.done >= 2)  # ingest and scenes done, the model calls held by the paused server

    second = browser.new_page(viewport={"width": 1400, "height": 1000})
    second.set_default_timeout(90_000)
    with screenshot_on_failure(second, "demo_build_second_tab"):
        second.goto(base)
        second.get_by_text("Building the demo workspace: scenes done (2/7)").wait_for()
        assert _run(db, lambda r: True).status == "running"

        os.killpg(started.pid, signal.SIGKILL)  # as a reboot would
        second.get_by_text(re.compile("The demo build stopped before finishing: its process ended")).wait_for()
        wait_idle(second)
        fault.resume()
        second.get_by_role("button", name="Resume the demo build").click()
        second.get_by_text("Demo workspace ready: open Samples to browse it.").wait_for()
        wait_idle(second)
        assert second.get_by_role("button", name="Resume the demo build").count() == 0
    done = _run(db, lambda r: r.status != "running")
    assert (done.status, done.done, done.message) == ("done", 7, "demo workspace ready")
    assert done.id > started.id and done.pid != started.pid
    with Session(get_engine(db)) as s:
        assert s.get(Run, started.id).status == "interrupted"
