"""In Chromium, two reviewers (two browser contexts) on one server: the queue never hands them the same scene, a deep
link to a scene the other holds gets the next free one, and a verdict on a scene the other took over (the first
reviewer's lease ran out) is refused with one line, nothing written."""

import re

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from storage.audit_models import ReviewLease
from storage.db import get_engine
from storage.models import Review
from tests.e2e.app_server import app_server
from tests.e2e.conftest import screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow
LEASE = 300  # seconds (MIRROR_REVIEW_LEASE): no lease runs out by itself on a loaded machine during the test


@pytest.fixture
def lease_server(prepared_db, tmp_path):
    path, ids = prepared_db
    env = {"MIRROR_DB": path, "MIRROR_REVIEWER": "e2e-reviewer", "MIRROR_REVIEW_LEASE": str(LEASE)}
    with app_server(log_path=tmp_path / "streamlit.log", env=env) as base:
        yield base, path, ids


def _open(page, url: str) -> int:
    """Go to url and return the scene the page settled on (it may move on to the next free one)."""
    page.goto(url)
    page.get_by_text(re.compile(r"^Queue: \d+ / \d+ reviewed")).wait_for()
    wait_idle(page)
    return int(re.search(r"[?&]scene=(\d+)", page.url).group(1))


def test_two_reviewers_never_get_the_same_scene_and_a_taken_over_verdict_is_refused(lease_server, browser):
    base, db, _ids = lease_server
    ann, bo = (browser.new_context(viewport={"width": 1400, "height": 1100}).new_page() for _ in range(2))
    for tab in (ann, bo):
        tab.set_default_timeout(90_000)
    with screenshot_on_failure(ann, "queue_ann"), screenshot_on_failure(bo, "queue_bo"):
        first = _open(ann, f"{base}/review?reviewer=ann")
        second = _open(bo, f"{base}/review?reviewer=bo")
        assert first != second
        assert _open(bo, f"{base}/review?reviewer=bo&scene={first}") == second  # ann has it: bo gets a free one
        bo.get_by_text(f"Scene {first} is open by ann: here is scene {second}, the next free one.").wait_for()

        with Session(get_engine(db)) as s:  # ann idles past her lease (its end moved back, not waited for)
            s.exec(update(ReviewLease).where(ReviewLease.reviewer == "ann").values(expires_at=0.0))
            s.commit()
        assert _open(bo, f"{base}/review?reviewer=bo&scene={first}") == first  # the expired lease frees it
        ann.get_by_role("button", name="Approve").click()
        ann.get_by_text(re.compile(rf"scene {first} is open by bo \(their lease runs \d+ s more\)")).wait_for()
        with Session(get_engine(db)) as s:
            assert s.exec(select(Review).where(Review.scene_id == first)).all() == []
