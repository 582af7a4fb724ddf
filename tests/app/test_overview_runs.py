"""Overview: a run killed without finishing (its pid gone) shows as interrupted, and the page says how to resume."""

import subprocess
import sys

from sqlmodel import Session

from storage.models import Run
from storage.runs import start_run
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import open_page
from tests.app.test_overview_page import RUN_COLUMNS
from tests.factories import make_workspace


def test_overview_shows_a_killed_run_as_interrupted(engine):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with Session(engine, expire_on_commit=False) as s:
        make_workspace(s)
        run = start_run(session=s, kind="rationales", total=10)
        s.get(Run, run.id).pid = child.pid
        s.commit()
    at = open_page()
    row = table_rows(at, *RUN_COLUMNS)[0]  # the latest first
    assert row[:3] == [str(run.id), "rationales", "interrupted"]
    captions = [c.value for c in at.caption]
    assert (
        f"Interrupted (the process is gone without finishing): run {run.id}. "
        "Run the same command again to resume; finished work is kept."
    ) in captions
    assert not any("refreshes every 3 seconds" in c for c in captions)
