"""AppTest: a bulk verdict on the whole filtered set after a confirmation stating N, then one undo."""

import pytest
from sqlmodel import Session, select

from core.app_support import escape_markdown
from storage.models import Review
from tests.app.pages_helpers import open_page

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL


def test_bulk_approve_the_filtered_set_then_undo(workspace, engine):
    at = open_page("samples", reviewer="ann", sel="sel")
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
