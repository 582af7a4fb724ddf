"""AppTest: a draft (rationale edit, verdict, note) is checked against the version it began from, through any rerun;
a refused save stays refused until the reviewer reloads or merges, with the other reviewer's text shown beside."""

import pytest
from sqlmodel import Session, select

from core.review import edit_rationale, set_review
from storage.models import Rationale, RationaleVersion, Review
from storage.queue import release_scene
from tests.app.review_helpers import open_review

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL
THEIRS = "Stimulus: the other reviewer's reading.\nBehavior: [A]"
MINE = "Stimulus: my draft, typed on version 1.\nBehavior: [B]"


def _stale(at) -> list[str]:
    """The page's stale-draft warnings (format problems are warnings too)."""
    return [w.value for w in at.warning if "since you" in w.value or "since your draft" in w.value]


def _first_rationale(engine, scene_id: int) -> int:
    with Session(engine) as s:
        return s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id).order_by(Rationale.id)).first()


def _stored(engine, rid: int) -> tuple[int, str, list[tuple[int, str]]]:
    with Session(engine) as s:
        rat = s.get(Rationale, rid)
        versions = s.exec(select(RationaleVersion).where(RationaleVersion.rationale_id == rid)).all()
        return rat.version, rat.text, sorted((v.version, v.author) for v in versions)


def _others_edit(engine, rid: int, expected: int = 1) -> None:
    with Session(engine) as s:
        edit_rationale(session=s, rationale_id=rid, text=THEIRS, author="alice", expected_version=expected)


def test_a_stale_edit_stays_refused_through_reruns_until_merged(workspace, engine):
    rid = _first_rationale(engine, workspace[0])
    at = open_review(workspace[0])
    _others_edit(engine, rid)
    at.text_area(key=f"edit_{rid}").set_value(MINE).run()  # the reviewer types; any rerun reads version 2
    for _ in range(2):  # the first click, and again right after the refusal
        at.button(key=f"save_{rid}").click().run()
        assert [e.value for e in at.error] and "changed by alice" in at.error[0].value
        assert _stored(engine, rid) == (2, THEIRS, [(1, "m"), (2, "alice")])
        assert at.text_area(key=f"edit_{rid}").value == MINE  # the draft is kept
        assert "Version 2 by alice was saved since your draft began from version 1" in _stale(at)[0]
        assert THEIRS in [t.value for t in at.text]  # their text beside the draft
    at.button(key=f"merge_{rid}").click().run()
    at.button(key=f"save_{rid}").click().run()
    assert not at.error, [e.value for e in at.error]
    assert _stored(engine, rid) == (3, MINE, [(1, "m"), (2, "alice"), (3, "reviewer")])


def test_discarding_a_refused_draft_loads_the_newer_version(workspace, engine):
    rid = _first_rationale(engine, workspace[0])
    at = open_review(workspace[0])
    at.text_area(key=f"edit_{rid}").set_value(MINE).run()
    _others_edit(engine, rid)
    at.button(key=f"save_{rid}").click().run()
    assert "changed by alice" in at.error[0].value
    at.button(key=f"reload_{rid}").click().run()
    assert at.text_area(key=f"edit_{rid}").value == THEIRS
    assert not _stale(at)
    at.text_area(key=f"edit_{rid}").set_value(MINE + " (after reading theirs)")
    at.button(key=f"save_{rid}").click().run()
    assert _stored(engine, rid)[:2] == (3, MINE + " (after reading theirs)")


def test_an_untouched_editor_follows_the_newer_version(workspace, engine):
    rid = _first_rationale(engine, workspace[0])
    at = open_review(workspace[0])
    _others_edit(engine, rid)
    at.run()
    assert at.text_area(key=f"edit_{rid}").value == THEIRS and not _stale(at)
    at.text_area(key=f"edit_{rid}").set_value(MINE)
    at.button(key=f"save_{rid}").click().run()
    assert not at.error and _stored(engine, rid)[:2] == (3, MINE)


def test_a_second_save_of_ones_own_edit_follows_it(workspace, engine):
    rid = _first_rationale(engine, workspace[0])
    at = open_review(workspace[0])
    at.text_area(key=f"edit_{rid}").set_value(MINE)
    at.button(key=f"save_{rid}").click().run()
    at.text_area(key=f"edit_{rid}").set_value(MINE + " more")
    at.button(key=f"save_{rid}").click().run()
    assert not at.error and _stored(engine, rid)[:2] == (3, MINE + " more")


def _review(engine, scene_id: int) -> tuple:
    with Session(engine) as s:
        r = s.exec(select(Review).where(Review.scene_id == scene_id)).one()
        return r.status, r.reviewer, r.note, r.version


def test_a_stale_verdict_stays_refused_through_reruns_until_reloaded(workspace, engine):
    scene = workspace[2]
    at = open_review(scene)
    with Session(engine) as s:  # alice saves once this reviewer's lease ran out
        release_scene(session=s, scene_id=scene, reviewer="reviewer")
        set_review(session=s, scene_id=scene, status="approved", reviewer="alice", note="fine", expected_version=0)
    at.text_input(key=f"note_{scene}").set_value("wrong letter").run()  # typing the note reruns the page
    for _ in range(2):
        at.button(key="reject").click().run()
        assert f"review of scene {scene} was changed by alice" in at.error[0].value
        assert _review(engine, scene) == ("approved", "alice", "fine", 1)
        assert "now approved by alice (version 1), note: fine" in _stale(at)[0]
        assert at.text_input(key=f"note_{scene}").value == "wrong letter"
    at.button(key="review_reload").click().run()
    assert at.text_input(key=f"note_{scene}").value == "fine" and not _stale(at)
    at.button(key="reject").click().run()
    assert _review(engine, scene) == ("rejected", "reviewer", "fine", 2)


def test_a_note_typed_on_an_old_review_is_kept_only_by_a_merge(workspace, engine):
    scene = workspace[2]
    at = open_review(scene)
    at.toggle(key="queue_advance").set_value(False)  # stay on the scene after a verdict
    at.text_input(key=f"note_{scene}").set_value("mine").run()
    with Session(engine) as s:
        release_scene(session=s, scene_id=scene, reviewer="reviewer")
        set_review(session=s, scene_id=scene, status="rejected", reviewer="alice", note="theirs", expected_version=0)
    at.button(key="approve").click().run()
    assert "was changed by alice" in at.error[0].value
    at.button(key="review_merge").click().run()
    at.button(key="approve").click().run()
    assert not at.error, [e.value for e in at.error]
    assert _review(engine, scene) == ("approved", "reviewer", "mine", 2)
    at.button(key="reject").click().run()  # the reviewer's own verdict is the new base: no refusal
    assert _review(engine, scene) == ("rejected", "reviewer", "mine", 3)
