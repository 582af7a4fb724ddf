"""AppTest: assign and unassign the whole filtered set on Samples after a confirmation stating N, then one undo."""

import pytest
from sqlmodel import Session, select

from core.app_support import escape_markdown
from storage.audit_models import Assignment
from tests.app.pages_helpers import open_bulk, open_page

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL


def _assigned(engine) -> list[tuple]:
    with Session(engine) as s:
        return sorted(tuple(a) for a in s.exec(select(Assignment.scene_id, Assignment.reviewer)))


def test_assign_the_filtered_set_to_a_reviewer_unassign_and_undo(workspace, engine):
    at = open_bulk(open_page("samples", reviewer="ann", sel="sel"))
    at.radio(key="bulk_status").set_value("assign").run()
    at.text_input(key="bulk_assignee").set_value("bo").run()
    ok = at.checkbox(key="bulk_ok_4_assign_bo")
    assert ok.label == "Yes, assign 4 scenes to bo" and at.button(key="bulk_apply").disabled
    ok.check().run()
    at.button(key="bulk_apply").click().run()
    assert at.success[0].value == escape_markdown("Bulk assign #1: 4 scenes newly assigned to bo.")
    assert _assigned(engine) == [(workspace[k], "bo") for k in (1, 2, 5, 6)]
    at.radio(key="bulk_status").set_value("unassign").run()
    at.checkbox(key="bulk_ok_4_unassign").check().run()
    assert at.button(key="bulk_apply").label == "Unassign 4 scenes from everyone"
    at.button(key="bulk_apply").click().run()
    assert at.success[0].value == escape_markdown("Bulk unassign #2: 4 assignments removed.")
    assert _assigned(engine) == []
    at.button(key="bulk_undo").click().run()
    assert at.success[0].value == escape_markdown("undid bulk unassign #2: 4 of 4 assignments put back")
    assert _assigned(engine) == [(workspace[k], "bo") for k in (1, 2, 5, 6)]
