"""Chromium: an edit typed in the rationale editor is kept in the database once the editor loses focus, and is back
in the editor after a reload of the tab (a new Streamlit session), its panel open, listed among the reviewer's unsaved
drafts."""

import pytest
from sqlmodel import Session, select

from storage.db import get_engine
from storage.draft_models import ReviewDraft
from tests.e2e.conftest import open_scene, screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow
DRAFT = "Stimulus: typed before the reload.\nBehavior: [B]"


def _open_editor(page):
    page.get_by_role("tab", name="strong").click()
    box = page.get_by_test_id("stExpander").filter(has_text="#0").first
    box.locator("summary").click()
    return box.get_by_label("Rationale text")


def test_a_draft_survives_a_reload(server, page):
    base, db, ids = server
    scene = ids[4]
    with screenshot_on_failure(page, "review_draft_reload"):
        open_scene(page, base, scene)
        area = _open_editor(page)
        area.fill(DRAFT)
        area.press("Tab")  # the editor commits its value on blur: the draft is kept
        wait_idle(page)
        with Session(get_engine(db)) as s:
            rows = s.exec(select(ReviewDraft.reviewer, ReviewDraft.kind, ReviewDraft.text)).all()
        assert rows == [("e2e-reviewer", "rationale", DRAFT)]

        page.reload()
        page.get_by_text(f"Scene {scene}", exact=True).wait_for()
        wait_idle(page)
        assert page.get_by_text(f"Scene {scene}: rationale strong #0 (this scene)").is_visible()
        page.get_by_role("tab", name="strong").click()
        box = page.get_by_test_id("stExpander").filter(has_text="your unsaved draft")
        area = box.get_by_label("Rationale text")  # its panel opened by itself, the draft in the editor
        area.wait_for()
        assert area.input_value() == DRAFT
