"""AppTest: the review queue on the Review page — a verdict moves on to the next scene still needing review, progress
done / total, a scene another reviewer holds is skipped, a verdict on it refused, "my assignments"."""

import pytest
from sqlmodel import Session, select

from core.bulk_review import bulk_assign_to
from storage.audit_models import ReviewLease
from storage.browse import SceneFilter
from storage.models import Review
from storage.queue import claim_scene, release_scene
from tests.app.pages_helpers import open_page

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL


def _scene(at) -> int:
    value = at.query_params["scene"]
    return int(value[0] if isinstance(value, list) else value)


def _progress(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Queue:"))


def _reviews(engine) -> list[tuple]:
    with Session(engine) as s:
        return [tuple(r) for r in s.exec(select(Review.scene_id, Review.status, Review.reviewer)).all()]


def test_a_verdict_moves_on_to_the_next_scene_still_needing_review(workspace, engine):
    at = open_page("review", sort="timestamp", desc="1")  # newest first: the last scene opens first
    assert at.subheader[0].value == f"Scene {workspace[7]}"
    assert _progress(at).startswith("Queue: 0 / 8 reviewed")
    at.button(key="approve").click().run()
    assert _reviews(engine) == [(workspace[7], "approved", "reviewer")]
    assert _scene(at) == workspace[6] and at.subheader[0].value == f"Scene {workspace[6]}"
    assert at.success[0].value == f"Scene {workspace[7]} approved\\."
    assert _progress(at).startswith("Queue: 1 / 8 reviewed")
    at.button(key="queue_next").click().run()  # skip: the next one in the order
    assert _scene(at) == workspace[5]
    with Session(engine) as s:
        assert s.exec(select(ReviewLease.scene_id, ReviewLease.reviewer)).all() == [(workspace[5], "reviewer")]


def test_a_held_scene_is_skipped_and_a_verdict_on_it_is_refused(workspace, engine):
    with Session(engine) as s:
        assert claim_scene(session=s, scene_id=workspace[0], reviewer="bo")
    at = open_page("review", scene=str(workspace[0]))
    assert _scene(at) == workspace[1]  # bo has scene 0 open: this reviewer gets the next free one
    assert at.info[0].value == f"Scene {workspace[0]} is open by bo: here is scene {workspace[1]}, the next free one."
    with Session(engine) as s:  # this reviewer's lease runs out and bo takes the scene
        release_scene(session=s, scene_id=workspace[1], reviewer="reviewer")
        assert claim_scene(session=s, scene_id=workspace[1], reviewer="bo")
    at.button(key="approve").click().run()
    assert at.error[0].value.startswith(f"scene {workspace[1]} is open by bo \\(their lease runs ")
    assert _reviews(engine) == []


def test_my_assignments_only(workspace, engine):
    with Session(engine) as s:
        bulk_assign_to(session=s, flt=SceneFilter(selection="sel"), assignee="reviewer", reviewer="ada", expected=4)
    at = open_page("review")
    assert _scene(at) == workspace[1]  # assigned scenes first
    assert "4 assigned to you first" in _progress(at)
    at.toggle(key="queue_mine").set_value(True).run()
    assert at.query_params["mine"] == ["1"] or at.query_params["mine"] == "1"
    assert _progress(at).startswith("Queue: 0 / 4 reviewed · your assignments")
    for expected in (workspace[2], workspace[5], workspace[6]):
        at.button(key="reject").click().run()
        assert _scene(at) == expected
    at.button(key="reject").click().run()
    assert _progress(at).startswith("Queue: 4 / 4 reviewed")
    assert sorted(r[0] for r in _reviews(engine)) == [workspace[k] for k in (1, 2, 5, 6)]
