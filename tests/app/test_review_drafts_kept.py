"""AppTest: a reviewer's unsaved drafts are kept in the database as they change, come back in a new session (another
tab, a reload), are listed with where they are, warn when the reviewer leaves their scene, and go once saved or
discarded; a restored draft is still checked against the version it began from."""

import pytest
from sqlmodel import Session, select

from core.app_support import escape_markdown
from core.review import edit_rationale
from storage.models import Rationale, Review
from storage.reviewers import set_role
from tests.app.pages_helpers import open_page
from tests.app.review_helpers import open_review
from tests.factories import stored_rows

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL
MINE = "Stimulus: my draft, typed in the first tab.\nBehavior: [B]"
THEIRS = "Stimulus: alice saved this meanwhile.\nBehavior: [A]"
DRAFTS = "SELECT reviewer, kind, target_id, scene_id, text, base_version, base_text FROM reviewdraft ORDER BY 2, 3"


def _strong0(engine, scene_id: int) -> tuple[int, str]:
    with Session(engine) as s:
        rat = s.exec(select(Rationale).where(Rationale.scene_id == scene_id).order_by(Rationale.id)).first()
        return rat.id, rat.text


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_an_edit_typed_in_one_session_is_restored_in_a_new_one_and_saving_removes_it(workspace, engine):
    scene = workspace[1]
    rid, original = _strong0(engine, scene)
    first = open_review(scene)
    first.text_area(key=f"edit_{rid}").set_value(MINE).run()
    assert stored_rows(engine, DRAFTS) == [("reviewer", "rationale", rid, scene, MINE, 1, original)]
    first.button(key="next_scene").click().run()  # leaving the scene warns where the draft is kept
    assert first.subheader[0].value == f"Scene {workspace[2]}"
    assert escape_markdown(
        f"You left unsaved drafts on scene {scene} (rationale strong #0). They are kept: open scene {scene} again "
        "(see “Your unsaved drafts” on Review) to save or discard them."
    ) in _warnings(first)
    links = [(p.label, p.proto.page, p.proto.query_string) for p in first.get("page_link")]
    assert links == [(f"Scene {scene}: rationale strong #0", "review", f"scene={scene}")]

    second = open_page("review", scene=str(scene))  # a new session: another tab, or the same one reloaded
    assert second.text_area(key=f"edit_{rid}").value == MINE  # its panel opened by itself, the draft in it
    labels = [e.label for e in second.expander if "your unsaved draft" in e.label]
    assert labels == [escape_markdown("#0 · wrote B · sampled B · v1 · your unsaved draft")]
    assert escape_markdown(f"Scene {scene}: rationale strong #0 (this scene)") in [m.value for m in second.markdown]
    second.button(key=f"save_{rid}").click().run()
    assert not second.error, [e.value for e in second.error]
    with Session(engine) as s:
        assert (s.get(Rationale, rid).version, s.get(Rationale, rid).text) == (2, MINE)
    assert stored_rows(engine, DRAFTS) == []
    assert not second.get("page_link") and not any("this scene" in m.value for m in second.markdown)


def test_the_same_session_gets_its_draft_back_after_visiting_other_scenes(workspace, engine):
    scene = workspace[1]
    rid, _ = _strong0(engine, scene)
    at = open_review(scene)
    at.text_area(key=f"edit_{rid}").set_value(MINE).run()
    at.button(key="next_scene").click().run()
    at.button(key="prev_scene").click().run()
    assert at.subheader[0].value == f"Scene {scene}"
    assert at.text_area(key=f"edit_{rid}").value == MINE


def test_a_restored_draft_against_a_newer_version_is_refused_until_merged(workspace, engine):
    scene = workspace[1]
    rid, original = _strong0(engine, scene)
    first = open_review(scene)
    first.text_area(key=f"edit_{rid}").set_value(MINE).run()
    with Session(engine) as s:  # another reviewer saves version 2 meanwhile
        edit_rationale(session=s, rationale_id=rid, text=THEIRS, author="alice", expected_version=1)
    second = open_review(scene)
    assert second.text_area(key=f"edit_{rid}").value == MINE
    assert any("Version 2 by alice was saved since your draft began from version 1" in w for w in _warnings(second))
    second.button(key=f"save_{rid}").click().run()
    assert "changed by alice" in second.error[0].value
    with Session(engine) as s:
        assert s.get(Rationale, rid).text == THEIRS
    assert stored_rows(engine, DRAFTS) == [("reviewer", "rationale", rid, scene, MINE, 1, original)]
    second.button(key=f"merge_{rid}").click().run()  # the kept draft now begins from version 2
    assert stored_rows(engine, DRAFTS) == [("reviewer", "rationale", rid, scene, MINE, 2, THEIRS)]
    second.button(key=f"save_{rid}").click().run()
    assert not second.error, [e.value for e in second.error]
    with Session(engine) as s:
        assert (s.get(Rationale, rid).version, s.get(Rationale, rid).text) == (3, MINE)
    assert stored_rows(engine, DRAFTS) == []


def test_a_note_is_kept_until_the_verdict_saves_it_and_discard_drops_an_edit(workspace, engine):
    scene = workspace[2]
    rid, original = _strong0(engine, scene)
    first = open_review(scene)
    first.text_input(key=f"note_{scene}").set_value("check the letter").run()
    first.text_area(key=f"edit_{rid}").set_value(MINE).run()
    assert stored_rows(engine, DRAFTS) == [
        ("reviewer", "note", scene, scene, "check the letter", 0, ""),
        ("reviewer", "rationale", rid, scene, MINE, 1, original),
    ]
    second = open_review(scene)
    assert second.text_input(key=f"note_{scene}").value == "check the letter"
    second.button(key=f"reload_{rid}").click().run()  # discard the edit: its row goes, the stored text shows
    assert second.text_area(key=f"edit_{rid}").value == original
    assert stored_rows(engine, DRAFTS) == [("reviewer", "note", scene, scene, "check the letter", 0, "")]
    second.toggle(key="queue_advance").set_value(False)
    second.button(key="approve").click().run()
    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.scene_id == scene)).one()
    assert (review.status, review.note, review.version) == ("approved", "check the letter", 1)
    assert stored_rows(engine, DRAFTS) == []


def test_typing_back_the_stored_text_leaves_no_draft(workspace, engine):
    scene = workspace[1]
    rid, original = _strong0(engine, scene)
    at = open_review(scene)
    at.text_area(key=f"edit_{rid}").set_value(MINE).run()
    at.text_area(key=f"edit_{rid}").set_value(original).run()
    assert stored_rows(engine, DRAFTS) == []


def test_a_read_only_reviewer_is_told_the_draft_is_not_kept(workspace, engine):
    scene = workspace[1]
    rid, _ = _strong0(engine, scene)
    with Session(engine) as s:
        set_role(session=s, name="ada", role="admin", by="ada")
        set_role(session=s, name="viewer", role="read-only", by="ada")
    at = open_review(scene, reviewer="viewer")
    at.text_area(key=f"edit_{rid}").set_value(MINE).run()
    assert at.error[0].value == escape_markdown(
        "Your draft is not kept: viewer is read-only: reviews, edits and exports need the reviewer or admin role"
    )
    assert stored_rows(engine, DRAFTS) == []
