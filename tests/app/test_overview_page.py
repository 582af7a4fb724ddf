"""AppTest: Overview page — empty state, prepared workspace, real interactions."""

from sqlmodel import Session

from storage.models import (
    Review,
)
from storage.runs import start_run, update_run
from tests.app.pages_helpers import open_page, texts
from tests.factories import make_workspace


def test_overview_empty_database_offers_demo_and_commands(db_path):
    at = open_page()
    assert "The database is empty" in at.info[0].value
    assert at.button(key="build_demo").label == "Build demo workspace"
    assert "python -m core ingest --dataset NAME" in at.main.code[0].value
    assert db_path in at.sidebar.code[0].value


def test_overview_demo_button_builds_the_workspace(db_path, engine, monkeypatch):
    calls = []

    def fake_build_demo(*, engine, progress=None, config=None):
        calls.append(engine)
        progress.callback(1, 2, "ingest")
        with Session(engine, expire_on_commit=False) as s:
            make_workspace(s)
        progress.callback(2, 2, "scores")

    monkeypatch.setattr("core.demo.build_demo", fake_build_demo)
    at = open_page()
    at.button(key="build_demo").click().run()
    assert len(calls) == 1
    assert at.success[0].value.startswith("Demo workspace ready")
    datasets = at.dataframe[0].value
    assert datasets.loc[0, "dataset"] == "toy"
    assert datasets.loc[0, "train scenes"] == 8


def test_overview_workspace_counts_runs_and_calls(workspace, engine):
    with Session(engine) as s:
        run = start_run(session=s, kind="rationales", total=10)
        update_run(session=s, run_id=run.id, done=4)
        s.add(Review(scene_id=workspace[1], status="approved", reviewer="r"))
        s.commit()
    at = open_page()
    row = at.dataframe[0].value.iloc[0]
    assert row[["dataset", "train scenes", "strong rationales", "weak predictions", "scored"]].tolist() == [
        "toy",
        8,
        16,
        16,
        8,
    ]
    assert row[["selected", "approved", "rejected", "pending"]].tolist() == [4, 1, 0, 3]
    selections = at.dataframe[1].value
    assert selections.iloc[0].to_dict() == {"selection": "sel", "scenes": 4, "approved": 1, "rejected": 0, "pending": 3}
    runs = at.dataframe[2].value
    assert runs[["kind", "status", "done", "total"]].iloc[0].tolist() == ["rationales", "running", 4, 10]
    assert runs["progress"].iloc[0] == 0.4
    assert "refreshes every 3 seconds" in texts(at)
