"""AppTest: who is reviewing — named by the URL, picked in the sidebar, recorded on every write; read-only refused."""

import json

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.review import edit_rationale, set_review
from storage.audit_models import Reviewer
from storage.models import ExportRecord, Rationale, Review
from storage.reviewers import set_role
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import APP, open_page, open_settings

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL
READ_ONLY = "viewer is read\\-only\\: reviews, edits and exports need the reviewer or admin role"  # as escaped


def _param(at: AppTest) -> str:
    value = at.query_params["reviewer"]
    return value[0] if isinstance(value, list) else value


def test_the_url_names_the_reviewer_and_the_sidebar_switches_it(workspace, engine):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["reviewer"] = "bo"
    at.run()
    assert at.session_state["reviewer"] == "bo" and _param(at) == "bo"
    at.query_params["scene"] = str(workspace[2])
    at.switch_page("review.py").run()
    at.toggle(key="queue_advance").set_value(False)  # stay on the scene after a verdict
    at.button(key="approve").click().run()
    assert _param(at) == "bo"  # still in the address after a write
    with Session(engine) as s:
        assert s.exec(select(Review.status, Review.reviewer)).all() == [("approved", "bo")]
        assert s.exec(select(Reviewer.name, Reviewer.role)).all() == [("bo", "reviewer")]
        s.add(Reviewer(name="ann"))
        s.commit()
    at.run()
    assert [e.label for e in at.sidebar.expander] == ["Reviewer: bo · reviewer"]  # closed: no picker built
    assert not at.sidebar.selectbox and not any(c.value.startswith("Role:") for c in at.sidebar.caption)
    at.session_state["reviewer_menu"] = True  # the reviewer opens it
    at.run()
    picker = at.selectbox(key="reviewer_pick")
    assert picker.options == ["ann", "bo"]
    assert "Role: reviewer" in [c.value for c in at.sidebar.caption]
    picker.set_value("ann").run()
    assert at.session_state["reviewer"] == "ann" and _param(at) == "ann"
    assert [e.label for e in at.sidebar.expander] == ["Reviewer: ann · reviewer"]
    at.button(key="reject").click().run()
    with Session(engine) as s:
        assert s.exec(select(Review.status, Review.reviewer, Review.version)).all() == [("rejected", "ann", 2)]


def test_a_read_only_reviewer_is_refused_on_the_page(workspace, engine):
    with Session(engine) as s:
        set_role(session=s, name="ada", role="admin", by="ada")
        set_role(session=s, name="viewer", role="read-only", by="ada")
    at = open_page("review", reviewer="viewer", scene=str(workspace[2]))
    assert "Read-only: you can look; reviews, edits and exports are refused." in [c.value for c in at.sidebar.caption]
    at.button(key="approve").click().run()
    assert [e.value for e in at.error] == [READ_ONLY]
    with Session(engine) as s:
        assert s.exec(select(Review)).all() == []


def test_settings_sets_roles_only_for_an_admin(workspace, engine):
    at = open_settings(reviewer="ada")
    at.text_input(key="role_name").set_value("ada")
    at.selectbox(key="role_role").set_value("admin")
    at.button(key="FormSubmitter:set_role-Set role").click().run()
    assert at.success[0].value == "ada is now admin\\."
    at.text_input(key="role_name").set_value("viewer")
    at.selectbox(key="role_role").set_value("read-only")
    at.button(key="FormSubmitter:set_role-Set role").click().run()
    roles = [[name, role] for name, role, _ in table_rows(at, "name", "role", "since")]  # Settings' reviewers table
    assert roles == [["ada", "admin"], ["viewer", "read-only"]]
    at.text_input(key="reviewer_input").set_value("viewer").run()
    assert _param(at) == "viewer"
    at.text_input(key="role_name").set_value("viewer")
    at.selectbox(key="role_role").set_value("admin")
    at.button(key="FormSubmitter:set_role-Set role").click().run()
    assert [e.value for e in at.error] == ["viewer is read\\-only\\: only an admin may do this"]


def test_export_page_records_the_exporter_and_writes_edit_pairs(workspace, engine, session, tmp_path):
    scene = workspace[1]  # in the selection: strong #0 chosen
    rid = session.exec(select(Rationale.id).where(Rationale.scene_id == scene, Rationale.role == "strong")).first()
    edit_rationale(session=session, rationale_id=rid, text="Evaluation: mine.\nBehavior: [A]", author="ann",
                   expected_version=1)  # fmt: skip
    set_review(session=session, scene_id=scene, status="approved", reviewer="ann")
    at = open_page("export", reviewer="cy")
    at.radio(key="x_pairs").set_value("edits").run()
    previews = [json.loads(c.value) for c in at.main.text]
    assert [(p["scene_id"], p["chosen_rationale_id"], p["pair_source"], p["editor"]) for p in previews] == [
        (scene, rid, "edit", "ann")
    ]
    out = tmp_path / "edits.jsonl"
    at.text_input(key="x_out_all-dpo-edits.jsonl").set_value(str(out))
    at.button(key="x_write").click().run()
    assert not at.error, [e.value for e in at.error]
    manifest = json.loads((tmp_path / "edits.jsonl.manifest.json").read_text())
    assert (manifest["exported_by"], manifest["pairs"], manifest["rows"]) == (
        "cy",
        {"edit": 1, "identical_left_out": 0},
        1,
    )
    with Session(engine) as s:
        assert s.exec(select(ExportRecord.reviewer, ExportRecord.rows)).all() == [("cy", 1)]
    history = table_rows(at, "when", "selection", "format", "rows", "by", "path", "sha256")  # Export's history
    assert [row[4] for row in history] == ["cy"]
