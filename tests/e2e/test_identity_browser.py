"""In Chromium: the chosen reviewer survives a reload (kept in the page address) and is the one a verdict records."""

import re

import pytest
from sqlmodel import Session, select

from storage.db import get_engine
from storage.models import Review
from tests.e2e.conftest import screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow


def sidebar_reviewer(page) -> str:
    """The sidebar's identity: the closed menu's label, then, opened, the picker's value and the role caption."""
    sidebar = page.get_by_test_id("stSidebar")
    label = sidebar.get_by_text(re.compile("^Reviewer: "))
    shown = label.inner_text()
    assert not sidebar.get_by_test_id("stSelectbox").count()  # built only once opened
    label.click()
    sidebar.get_by_text("Role: ").wait_for()
    wait_idle(page)
    box = sidebar.get_by_test_id("stSelectbox")
    value = box.evaluate("b => [...b.querySelectorAll('input')].map(i => i.value).join(' ')")
    return f"{shown} | {value} | {sidebar.get_by_text('Role: ').inner_text()}"


def test_the_reviewer_survives_a_reload_and_signs_the_verdict(server, page):
    base, db, ids = server
    with screenshot_on_failure(page, "identity_reload"):
        page.goto(f"{base}/settings")
        page.get_by_text("Work under another name").click()  # the form is built once opened
        name = page.get_by_label(re.compile("^Reviewer name"))
        name.wait_for()
        wait_idle(page)
        assert name.input_value() == "e2e-reviewer"  # MIRROR_REVIEWER until someone is chosen
        name.fill("dana")
        name.press("Enter")
        page.wait_for_url(re.compile(r"reviewer=dana"))
        wait_idle(page)

        page.reload()
        page.get_by_text("You work as dana:").wait_for()
        wait_idle(page)
        assert sidebar_reviewer(page) == "Reviewer: dana · new | dana | Role: new (registered on the first write)"

        page.get_by_test_id("stSidebarNav").get_by_role(
            "link", name="Review", exact=True
        ).click()  # navigation drops the query...
        page.get_by_role("button", name="Approve").wait_for()
        wait_idle(page)
        page.get_by_role("button", name="Approve").click()
        page.get_by_text(re.compile(r"Scene \d+ approved")).wait_for()
        wait_idle(page)
        assert "reviewer=dana" in page.url  # ...and the frame puts the identity back
        page.reload()
        page.get_by_role("button", name="Approve").wait_for()
        wait_idle(page)
        assert sidebar_reviewer(page) == "Reviewer: dana · reviewer | dana | Role: reviewer"  # registered: verdict
    with Session(get_engine(db)) as s:
        assert s.exec(select(Review.reviewer, Review.status)).all() == [("dana", "approved")]
