"""AppTest: Overview page — empty state, prepared workspace, real interactions."""

import os
import subprocess

import pytest
from sqlmodel import Session

from core.choices import DEMO_RUN
from core.demo import failure_words
from storage.llm import add_endpoint
from storage.models import Endpoint, Review, Run
from storage.runs import finish_run, start_run, update_run
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import open_page, texts
from tests.factories import wait_for_demo_run

DATASET_COLUMNS = ("dataset", "users", "items", "interactions", "train scenes", "eval scenes", "strong rationales",
                   "weak rationales", "strong predictions", "weak predictions", "scored", "failed calls", "selected",
                   "approved", "rejected", "pending")  # fmt: skip
RUN_COLUMNS = ("id", "kind", "status", "progress", "done", "total", "failed", "message", "started", "finished")


def test_overview_empty_database_offers_demo_and_commands(db_path):
    at = open_page()
    assert "The database is empty" in at.info[0].value
    assert at.button(key="build_demo").label == "Build demo workspace"
    assert "python -m core ingest --dataset NAME" in at.main.text[0].value and not at.code  # no highlighter chunk
    assert db_path in at.sidebar.text[0].value


@pytest.fixture
def demo_endpoint(engine, llm_server, monkeypatch, tmp_path):
    """The demo builds on the loopback server (endpoint `fault`, 2 train scenes), its log in tmp_path."""
    with Session(engine) as s:
        add_endpoint(session=s, endpoint=Endpoint(name="fault", base_url=llm_server.url, model="m", timeout=30))
        s.commit()
    monkeypatch.setenv("MIRROR_DEMO_ENDPOINT", "fault")
    monkeypatch.setenv("MIRROR_DEMO_SCENES", "2")
    monkeypatch.setattr("core.demo_process.LOG_DIR", tmp_path)
    return llm_server


def test_overview_demo_button_starts_a_build_process_the_page_follows(db_path, engine, demo_endpoint):
    demo_endpoint.pause()  # the build waits at its first model call
    at = open_page()
    at.button(key="build_demo").click().run()
    assert not at.exception and not at.error
    run = wait_for_demo_run(engine, lambda r: True)
    assert run.pid != os.getpid() and run.status == "running"  # a process of its own, not this session
    assert at.get("progress")[0].proto.text.startswith("Building the demo workspace: ")
    assert "closing this tab does not stop it" in at.caption[0].value
    assert not at.button  # no second build while one runs

    demo_endpoint.resume()
    wait_for_demo_run(engine, lambda r: r.status == "done")
    at.run()
    assert at.success[0].value == "Demo workspace ready: open Samples to browse it."
    [datasets] = table_rows(at, *DATASET_COLUMNS)
    shown = [datasets[DATASET_COLUMNS.index(c)] for c in ("dataset", "train scenes", "eval scenes")]
    assert shown == ["demo", "2", "1"]
    assert datasets[DATASET_COLUMNS.index("strong rationales")] == "4"  # 2 scenes x 2 rationales


def test_overview_says_why_a_build_stopped_and_resumes_it(db_path, engine, demo_endpoint):
    gone = subprocess.Popen(["true"])
    gone.wait()
    with Session(engine, expire_on_commit=False) as s:
        stale = start_run(session=s, kind=DEMO_RUN, total=7)
        stale.pid = gone.pid  # its process has ended: the run shows as interrupted
        s.add(stale)
        s.commit()
        update_run(session=s, run_id=stale.id, done=2, message="scenes done")
    at = open_page()
    assert at.warning[0].value.replace("\\", "") == (  # shown escaped: the message may quote untrusted text
        "The demo build stopped before finishing: its process ended (a closed terminal, a kill, a restart). "
        "Finished steps are kept: resuming goes on from where it stopped."
    )
    assert [b.label for b in at.button] == ["Resume the demo build"]
    assert "-m core --db " in at.caption[0].value and at.caption[0].value.endswith(" demo`")
    at.button(key="resume_demo").click().run()
    resumed = wait_for_demo_run(engine, lambda r: r.status == "done")
    assert resumed.id > stale.id
    with Session(engine) as s:
        assert s.get(Run, stale.id).status == "interrupted"  # recorded so by the new build
        finish_run(session=s, run_id=resumed.id, status="failed", message=failure_words(KeyboardInterrupt()))
    at = open_page()
    assert at.warning[0].value.replace("\\", "") == (
        "The demo build stopped before finishing: interrupted by the user. "
        "Finished steps are kept: resuming goes on from where it stopped."
    )


def test_overview_workspace_counts_runs_and_calls(workspace, engine):
    with Session(engine, expire_on_commit=False) as s:
        run = start_run(session=s, kind="rationales", total=10)
        update_run(session=s, run_id=run.id, done=4)
        started = s.get(Run, run.id).started_at
        s.add(Review(scene_id=workspace[1], status="approved", reviewer="r"))
        s.commit()
    at = open_page()
    assert not at.dataframe  # every table is markdown: no data grid for a fresh tab to load
    [row] = table_rows(at, *DATASET_COLUMNS)
    shown = dict(zip(DATASET_COLUMNS, row, strict=True))
    assert [shown[c] for c in ("dataset", "train scenes", "strong rationales", "weak predictions", "scored")] == [
        "toy",
        "8",
        "16",
        "16",
        "8",
    ]
    assert [shown[c] for c in ("selected", "approved", "rejected", "pending")] == ["4", "1", "0", "3"]
    assert table_rows(at, "selection", "scenes", "approved", "rejected", "pending") == [["sel", "4", "1", "0", "3"]]
    runs = table_rows(at, *RUN_COLUMNS)[0]  # the latest first
    assert runs[:8] + [runs[9]] == [str(run.id), "rationales", "running", "40.0 %", "4", "10", "0", "", "—"]
    assert runs[8] == str(started)[:19]
    assert "refreshes every 3 seconds" in texts(at)


def test_a_build_that_finishes_before_the_page_looks_again_still_says_ready(db_path, engine, monkeypatch):
    def finished_at_once(*, db: str) -> int:  # a build so quick it is done when the page reruns
        with Session(engine) as s:
            run = start_run(session=s, kind=DEMO_RUN, total=7)
            update_run(session=s, run_id=run.id, done=7)
            finish_run(session=s, run_id=run.id, status="done", message="demo workspace ready")
        return os.getpid()

    monkeypatch.setattr("core.demo_process.start_demo_build", finished_at_once)
    at = open_page()
    at.button(key="build_demo").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value == "Demo workspace ready: open Samples to browse it."
