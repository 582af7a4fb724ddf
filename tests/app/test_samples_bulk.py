"""AppTest: a bulk verdict on the whole filtered set after a confirmation stating N, then one undo."""

import pytest
from sqlmodel import Session, select

from core.app_support import escape_markdown
from storage.models import Review
from tests.app.pages_helpers import open_bulk, open_page

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL


def test_bulk_approve_the_filtered_set_then_undo(workspace, engine):
    at = open_bulk(open_page("samples", reviewer="ann", sel="sel"))
    assert at.button(key="bulk_apply").disabled  # nothing happens before the confirmation
    assert at.checkbox(key="bulk_ok_4_approved").label == "Yes, set 4 scenes to approved"
    at.checkbox(key="bulk_ok_4_approved").check().run()
    at.button(key="bulk_apply").click().run()
    assert at.success[0].value == escape_markdown("Bulk approved #1: 4 scenes.")
    with Session(engine) as s:
        rows = s.exec(select(Review.scene_id, Review.status, Review.reviewer)).all()
    assert sorted(rows) == [(workspace[k], "approved", "ann") for k in (1, 2, 5, 6)]
    at.button(key="bulk_undo").click().run()
    assert at.success[0].value == escape_markdown("undid bulk approved #1: 4 of 4 scenes put back")
    with Session(engine) as s:
        assert s.exec(select(Review)).all() == []


def test_bulk_approve_says_how_many_it_skips_and_why(workspace, engine):
    from storage.double_models import DoubleReview
    from storage.queue import claim_scene

    with Session(engine) as s:
        s.add(DoubleReview(scene_id=workspace[1], marked_by="ada"))
        s.commit()
        assert claim_scene(session=s, scene_id=workspace[2], reviewer="bo")
    at = open_bulk(open_page("samples", reviewer="ann", sel="sel"))
    why = "2 skipped: 1 in blind double review (their two reviewers decide them); 1 open by another reviewer right now"
    assert at.checkbox(key="bulk_ok_4_approved").label == f"Yes, set 2 of the 4 scenes to approved ({why})"
    at.checkbox(key="bulk_ok_4_approved").check().run()
    at.button(key="bulk_apply").click().run()
    done = "2 of the 4 skipped: 1 in blind double review (their two reviewers decide them); 1 open by another reviewer"
    assert at.success[0].value == escape_markdown(f"Bulk approved #1: 2 scenes. {done} right now.")
    with Session(engine) as s:
        rows = s.exec(select(Review.scene_id, Review.status, Review.reviewer)).all()
    assert sorted(rows) == [(workspace[k], "approved", "ann") for k in (5, 6)]
