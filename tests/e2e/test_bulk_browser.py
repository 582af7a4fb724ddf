"""Chromium: a bulk approve of every scene the Samples filters match (not only the rows shown), after a confirmation
that states N, then its one undo; the expander's body is built only once it is opened."""

import re

import pytest
from sqlmodel import Session, select

from storage.db import get_engine
from storage.models import Review, SelectionItem
from tests.e2e.conftest import screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow


def _reviews(db: str) -> list[tuple]:
    with Session(get_engine(db)) as s:
        return s.exec(select(Review.scene_id, Review.status, Review.reviewer).order_by(Review.scene_id)).all()


def test_bulk_approve_of_the_filtered_set_after_a_confirmation_then_undo(server, page):
    base, db, _ids = server
    with Session(get_engine(db)) as s:
        selected = sorted(s.exec(select(SelectionItem.scene_id)).all())
    assert len(selected) == 4
    with screenshot_on_failure(page, "bulk_approve"):
        page.goto(f"{base}/samples?sel=sel")
        bulk = page.get_by_text("Bulk action on all 4 matching scenes")
        bulk.wait_for()
        wait_idle(page)
        assert page.get_by_role("checkbox", name=re.compile("^Yes, ")).count() == 0  # closed: nothing built
        bulk.click()
        sure = page.get_by_text("Yes, set 4 scenes to approved")
        sure.wait_for()
        apply = page.get_by_role("button", name="Set 4 scenes to approved")
        assert apply.is_disabled()  # nothing happens before the confirmation
        sure.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('button')].some(b => b.innerText.trim() === "
            "'Set 4 scenes to approved' && !b.disabled)"
        )
        apply.click()
        page.get_by_text(re.compile(r"Bulk approved #1: 4 scenes\.")).wait_for()
        wait_idle(page)
        assert _reviews(db) == [(scene, "approved", "e2e-reviewer") for scene in selected]

        page.get_by_role("button", name="Undo bulk approved #1 (4 scenes)").click()  # N unchanged: still open
        page.get_by_text(re.compile("undid bulk approved #1")).wait_for()
        wait_idle(page)
        assert _reviews(db) == []
