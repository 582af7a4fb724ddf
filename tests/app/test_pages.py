"""Every page through AppTest: the empty state, a prepared workspace, and one real interaction each."""

import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from storage.llm import add_endpoint
from storage.models import (
    Endpoint,
    ExportRecord,
    LlmCall,
    Prediction,
    Rationale,
    RationaleVersion,
    Review,
    Selection,
    SelectionItem,
)
from storage.runs import start_run, update_run
from tests.factories import make_workspace
from tests.fault_server import FaultServer

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str | None = None, **params: str) -> AppTest:
    """The app run once on Overview, then (optionally) switched to a page with query params."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page:
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def workspace(engine) -> list[int]:
    with Session(engine, expire_on_commit=False) as s:
        return [scene.id for scene in make_workspace(s)]


def texts(at: AppTest) -> str:
    """All visible text of the main area, for checks on what a user reads."""
    parts = [
        el.value
        for kind in ("markdown", "info", "caption", "text", "code", "error", "success")
        for el in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


# Overview ---------------------------------------------------------------------------------------------------------


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


# Samples ----------------------------------------------------------------------------------------------------------


def test_samples_empty_database_says_what_to_do(db_path):
    at = open_page("samples")
    assert "No scenes yet" in at.info[0].value
    assert "Overview" in at.info[0].value


def test_samples_preset_filter_changes_count_and_url(workspace):
    at = open_page("samples")
    assert at.metric[0].value == "8"
    assert len(at.dataframe[0].value) == 8
    at.selectbox(key="f_preset").set_value("strong right, weak wrong").run()
    assert at.metric[0].value == "4"
    assert at.dataframe[0].value["scene_id"].tolist() == [workspace[k] for k in (1, 2, 5, 6)]
    assert at.query_params["preset"] == "strong right, weak wrong"


def test_samples_filter_state_comes_from_the_url(workspace):
    at = open_page("samples", len="4", sort="diff_model", desc="1")
    assert at.metric[0].value == "4"
    assert at.dataframe[0].value["scene_id"].tolist() == [workspace[k] for k in (7, 5, 3, 1)]


def test_samples_search_escapes_like_wildcards(workspace):
    at = open_page("samples")
    at.text_input(key="f_q").set_value("User 3 likes").run()
    assert at.metric[0].value == "1"
    at.text_input(key="f_q").set_value("%").run()
    assert "No scene matches" in at.info[0].value


def test_samples_selecting_a_row_opens_review(workspace):
    at = open_page("samples", preset="both right")
    assert at.dataframe[0].value["scene_id"].tolist() == [workspace[0], workspace[4]]
    at.session_state["samples_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert at.title[0].value == "Review"
    assert at.query_params["scene"] == str(workspace[4])
    assert at.query_params["preset"] == "both right"


# Review -----------------------------------------------------------------------------------------------------------


def test_review_empty_database(db_path):
    at = open_page("review")
    assert "No scene to review" in at.info[0].value


def test_review_shows_scene_and_approve_writes_review(workspace, engine):
    scene_id = workspace[1]
    at = open_page("review", scene=str(scene_id))
    assert at.subheader[0].value == f"Scene {scene_id}"
    assert "User 1 likes drama." in [t.value for t in at.text]
    at.text_input(key=f"note_{scene_id}").set_value("clear case")
    at.button(key="approve").click().run()
    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.scene_id == scene_id)).one()
    assert (review.status, review.note, review.reviewer) == ("approved", "clear case", "reviewer")
    assert at.success[0].value == f"Scene {scene_id} approved\\."


def test_review_next_and_previous_follow_the_filter(workspace):
    at = open_page("review", scene=str(workspace[1]), preset="strong right, weak wrong")
    at.button(key="next_scene").click().run()
    assert at.query_params["scene"] == str(workspace[2])
    at.button(key="prev_scene").click().run()
    assert at.query_params["scene"] == str(workspace[1])
    assert at.button(key="prev_scene").disabled


def test_review_edit_creates_a_version(workspace, engine):
    scene_id = workspace[0]
    with Session(engine) as s:
        rid = s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id, Rationale.role == "strong")).first()
    at = open_page("review", scene=str(scene_id))
    at.text_area(key=f"edit_{rid}").set_value("I was bored.\nBehavior: [A]")
    at.button(key=f"save_{rid}").click().run()
    with Session(engine) as s:
        rat = s.get(Rationale, rid)
        versions = s.exec(select(RationaleVersion).where(RationaleVersion.rationale_id == rid)).all()
    assert (rat.version, rat.text) == (2, "I was bored.\nBehavior: [A]")
    assert [(v.version, v.author) for v in versions] == [(1, "m"), (2, "reviewer")]
    assert not at.error


def test_review_stale_edit_is_refused(workspace, engine):
    from storage.reviews import edit_rationale

    scene_id = workspace[0]
    with Session(engine) as s:
        rid = s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id)).first()
    at = open_page("review", scene=str(scene_id))
    with Session(engine) as s:  # another reviewer saves first
        edit_rationale(session=s, rationale_id=rid, text="theirs", author="other", expected_version=1)
        s.commit()
    at.text_area(key=f"edit_{rid}").set_value("mine")
    at.button(key=f"save_{rid}").click().run()
    assert len(at.error) == 1
    with Session(engine) as s:
        rat = s.get(Rationale, rid)
    assert (rat.version, rat.text) == (2, "theirs")


# Settings ---------------------------------------------------------------------------------------------------------


def test_settings_lists_local_endpoint(db_path):
    at = open_page("settings")
    assert at.dataframe[0].value["name"].tolist() == ["local"]


def test_settings_add_endpoint_takes_env_var_name(db_path, engine):
    at = open_page("settings")
    at.text_input(key="ep_name").set_value("big")
    at.text_input(key="ep_model").set_value("gpt-x")
    at.text_input(key="ep_url").set_value("http://127.0.0.1:9/v1")
    at.text_input(key="ep_key_env").set_value("sk-secret123")
    at.button[0].click().run()
    assert "NAME of an environment variable" in at.error[0].value
    with Session(engine) as s:
        assert s.exec(select(Endpoint)).all() == []
    at.text_input(key="ep_key_env").set_value("MY_KEY")
    at.button[0].click().run()
    with Session(engine) as s:
        row = s.exec(select(Endpoint)).one()
    assert (row.name, row.model, row.api_key_env) == ("big", "gpt-x", "MY_KEY")
    assert at.dataframe[0].value["name"].tolist() == ["local", "big"]
    at.selectbox(key="ep_target").set_value("big").run()
    at.button(key="ep_remove").click().run()
    with Session(engine) as s:
        assert s.exec(select(Endpoint)).all() == []


def test_settings_reviewer_name_is_used_for_reviews(workspace, engine):
    at = open_page("settings")
    at.text_input(key="reviewer_input").set_value("ada").run()
    assert at.session_state["reviewer"] == "ada"
    at.query_params["scene"] = str(workspace[2])
    at.switch_page("pages/review.py").run()
    at.button(key="reject").click().run()
    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.scene_id == workspace[2])).one()
    assert (review.status, review.reviewer) == ("rejected", "ada")


# Filter -----------------------------------------------------------------------------------------------------------


def test_filter_empty_database(db_path):
    at = open_page("filter")
    assert "No scores yet" in at.info[0].value


def test_filter_slider_changes_kept_count_and_save_writes_selection(workspace, engine):
    at = open_page("filter")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Scored scenes": "8", "Kept": "4", "Dropped": "4"}
    drops = at.dataframe[0].value
    assert dict(zip(drops["reason"], drops["scenes"], strict=True)) == {
        "no correct rationale": 2,
        "no chosen": 0,
        "no rejected": 2,
        "over quota": 0,
    }
    low, high = at.slider(key="th_diff_model").value
    at.slider(key="th_diff_model").set_value((0.5, high)).run()
    assert {m.label: m.value for m in at.metric}["Kept"] == "2"
    at.text_input(key="selection_name").set_value("top")
    at.button[-1].click().run()
    assert at.success[0].value.startswith("Saved selection top")
    with Session(engine) as s:
        sel = s.exec(select(Selection).where(Selection.name == "top")).one()
        kept = s.exec(select(SelectionItem.scene_id).where(SelectionItem.selection_id == sel.id)).all()
    assert sorted(kept) == [workspace[5], workspace[6]]
    assert sel.config["mins"] == {"diff_model": 0.5}


# Export -----------------------------------------------------------------------------------------------------------


def test_export_empty_database(db_path):
    at = open_page("export")
    assert "Nothing to export yet" in at.info[0].value


def test_export_writes_the_selection_as_previewed(workspace, engine, tmp_path):
    at = open_page("export")
    assert "no approved scenes" in at.error[0].value
    at.selectbox(key="x_status").set_value("any").run()
    previews = [c.value for c in at.main.code]
    assert len(previews) == 3
    out = tmp_path / "sel-dpo.jsonl"
    at.text_input(key="x_out_sel-dpo.jsonl").set_value(str(out))
    at.button(key="x_write").click().run()
    assert not at.error, [e.value for e in at.error]
    lines = out.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert sorted(r["timestamp"] for r in rows) == [1_700_000_000 + k for k in (1, 2, 5, 6)]
    assert lines[:3] == previews
    manifest = json.loads((tmp_path / "sel-dpo.jsonl.manifest.json").read_text())
    assert manifest["rows"] == 4
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    with Session(engine) as s:
        record = s.exec(select(ExportRecord)).one()
    assert (record.rows, record.path) == (4, str(out))
    assert at.download_button(key="x_download") is not None
    assert at.dataframe[0].value["rows"].tolist() == [4]
    assert json.loads(at.json[-1].value)["sha256"] == record.sha256  # the history's manifest viewer


# LLM actions against a loopback OpenAI-compatible server -----------------------------------------------------------

GOOD = """Stimulus: I am bored tonight.
Stimulus factors: boredom, time of day
Knowledge: B looks like the comedies I love.
Knowledge factors: personal relevance, past experience
Evaluation: I go with my habit.
Evaluation style: habitual
Behavior: [B]"""


@pytest.fixture
def llm_server():
    server = FaultServer().start()
    yield server
    server.stop()


def add_fake_endpoint(engine, server) -> None:
    with Session(engine) as s:
        add_endpoint(session=s, name="fake", base_url=server.url, model="fake-model", timeout=5.0, retries=0)
        s.commit()


def test_review_generate_adds_a_predicted_rationale(workspace, engine, llm_server):
    llm_server.responder = lambda body: GOOD
    add_fake_endpoint(engine, llm_server)
    at = open_page("review", scene=str(workspace[0]))
    at.selectbox(key="gen_endpoint").set_value("fake")
    at.radio(key="gen_role").set_value("weak")
    at.button(key="generate").click().run()
    with Session(engine) as s:
        new = s.exec(select(Rationale).where(Rationale.scene_id == workspace[0], Rationale.sample_index == 2)).one()
        pred = s.exec(select(Prediction).where(Prediction.rationale_id == new.id)).one()
    assert (new.role, new.endpoint, new.behavior, new.style) == ("weak", "fake", "B", "habitual")
    assert pred.role == "weak"
    assert at.success[0].value == f"New weak rationale\\(s\\)\\: \\[{new.id}\\]"
    weak_labels = [e.label for e in at.expander if e.label.startswith("\\#2")]
    assert len(weak_labels) == 1


def test_settings_test_endpoint_makes_one_call(db_path, engine, llm_server):
    add_fake_endpoint(engine, llm_server)
    at = open_page("settings")
    at.selectbox(key="ep_target").set_value("fake").run()
    at.button(key="ep_test").click().run()
    assert "fake\\: ok in" in at.success[0].value
    with Session(engine) as s:
        calls = s.exec(select(LlmCall)).all()
    assert [(c.endpoint, c.stage, c.status) for c in calls] == [("fake", "test", "ok")]


def test_review_back_to_the_list_keeps_the_filter(workspace):
    at = open_page("review", scene=str(workspace[1]), preset="both right")
    at.button(key="back_to_samples").click().run()
    assert at.title[0].value == "Samples"
    assert at.query_params["preset"] == "both right"
    assert at.metric[0].value == "2"


def test_samples_to_review_and_back_does_not_reopen_the_row(workspace):
    at = open_page("samples", preset="both right")
    at.session_state["samples_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.query_params["scene"] == str(workspace[0])
    at.button(key="back_to_samples").click().run()
    assert at.title[0].value == "Samples"
    at.run()
    assert at.title[0].value == "Samples"
    assert at.metric[0].value == "2"


def test_review_stale_approve_is_refused(workspace, engine):
    from storage.reviews import set_review

    scene_id = workspace[2]
    at = open_page("review", scene=str(scene_id))
    with Session(engine) as s:  # another reviewer rejects it first
        set_review(session=s, scene_id=scene_id, status="rejected", reviewer="other", expected_version=0)
    at.button(key="approve").click().run()
    assert "since you opened it" in at.error[0].value
    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.scene_id == scene_id)).one()
    assert (review.status, review.reviewer) == ("rejected", "other")


def test_review_shows_parsed_stages_chips_and_problems_after_an_edit(workspace, engine):
    scene_id = workspace[0]
    with Session(engine) as s:
        rid = s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id, Rationale.role == "strong")).first()
    at = open_page("review", scene=str(scene_id))
    at.text_area(key=f"edit_{rid}").set_value(GOOD.replace("Behavior: [B]", "Behavior: [Z]"))
    at.button(key=f"save_{rid}").click().run()
    shown = [t.value for t in at.text]
    assert "I am bored tonight." in shown
    assert "B looks like the comedies I love." in shown
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert ":blue-badge[boredom]" in badges and ":blue-badge[habitual]" in badges
    assert any("Z" in w.value for w in at.warning)  # the invalid letter is a format problem, shown
    label = next(e.label for e in at.expander if e.label.startswith("\\#0"))
    assert "v2" in label and "format problem" in label
