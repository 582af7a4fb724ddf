"""Two reviewers, two browsers, one app server: a save or verdict based on a version the other reviewer has since
replaced is refused, stays refused after any rerun or a second click, and shows the other reviewer's text."""

import re

import pytest
from sqlmodel import Session, select

from storage.db import get_engine
from storage.models import Rationale, RationaleVersion, Review
from tests.e2e.conftest import screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow
ALICE = "Stimulus: alice's careful reading.\nBehavior: [A]"
BOB = "Stimulus: bob typed this over an old version.\nBehavior: [B]"


@pytest.fixture
def two_pages(browser):
    """Two separate browser contexts (two reviewers: no shared cookies or sessions) on one Chromium."""
    pages = []
    for _ in range(2):
        tab = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        tab.set_default_timeout(90_000)  # two sessions of one fresh server on a shared machine
        pages.append(tab)
    return pages


def _open_scene(page, base: str, scene: int) -> None:
    page.goto(f"{base}/review?scene={scene}")
    page.get_by_text(f"Scene {scene}", exact=True).wait_for()
    wait_idle(page)


def _editor(page):
    """The strong rationale #0's expander, opened."""
    page.get_by_role("tab", name="strong").click()
    box = page.get_by_test_id("stExpander").filter(has_text="#0").first
    box.locator("summary").click()
    return box


def _stored(db: str, scene: int) -> tuple[Rationale, list[RationaleVersion]]:
    with Session(get_engine(db)) as s:
        mine = (Rationale.scene_id == scene, Rationale.role == "strong", Rationale.sample_index == 0)
        rat = s.exec(select(Rationale).where(*mine)).one()
        versions = s.exec(select(RationaleVersion).where(RationaleVersion.rationale_id == rat.id)).all()
    return rat, sorted(versions, key=lambda v: v.version)


def test_a_stale_edit_is_refused_after_a_rerun_and_a_second_click(server, two_pages):
    base, db, ids = server
    alice, bob = two_pages
    scene = ids[5]
    with screenshot_on_failure(bob, "race_edit_bob"), screenshot_on_failure(alice, "race_edit_alice"):
        for page in (alice, bob):
            _open_scene(page, base, scene)
        alice_box, bob_box = _editor(alice), _editor(bob)

        alice_box.get_by_label("Rationale text").fill(ALICE)
        alice_box.get_by_role("button", name=re.compile("^Save as new version")).click()
        alice.get_by_text(re.compile("as version 2")).wait_for()

        area = bob_box.get_by_label("Rationale text")
        area.fill(BOB)
        area.press("Tab")  # any rerun: bob's page now reads version 2 from the database
        wait_idle(bob)
        save = bob_box.get_by_role("button", name=re.compile("^Save as new version"))
        save.click()
        bob.get_by_text(re.compile(r"changed by .* since you opened it")).first.wait_for()
        wait_idle(bob)
        assert ALICE.splitlines()[0] in bob_box.inner_text()  # alice's text is shown beside bob's draft
        assert bob_box.get_by_label("Rationale text").input_value() == BOB  # the draft is kept
        save.click()  # again, right after the refusal
        wait_idle(bob)
        bob.get_by_text(re.compile(r"changed by .* since you opened it")).first.wait_for()

        rat, versions = _stored(db, scene)
        assert (rat.version, rat.text) == (2, ALICE)
        assert [v.version for v in versions] == [1, 2]


def test_a_stale_verdict_is_refused_and_shows_the_other_review(server, two_pages):
    base, db, ids = server
    alice, bob = two_pages
    scene = ids[6]
    with screenshot_on_failure(bob, "race_verdict_bob"), screenshot_on_failure(alice, "race_verdict_alice"):
        for page in (alice, bob):
            _open_scene(page, base, scene)
        alice.get_by_label("Review note").fill("alice: looks right")
        alice.get_by_label("Review note").press("Enter")
        wait_idle(alice)
        alice.get_by_role("button", name="Approve").click()
        alice.get_by_text(f"Scene {scene} approved").wait_for()

        bob.get_by_label("Review note").fill("bob: wrong choice")
        bob.get_by_label("Review note").press("Tab")
        wait_idle(bob)
        bob.get_by_role("button", name="Reject").click()
        bob.get_by_text(re.compile(rf"review of scene {scene} was changed by")).first.wait_for()
        wait_idle(bob)
        assert "alice: looks right" in bob.get_by_test_id("stMain").inner_text()
        bob.get_by_role("button", name="Reject").click()  # a second click stays refused
        wait_idle(bob)
        bob.get_by_text(re.compile(rf"review of scene {scene} was changed by")).first.wait_for()

        with Session(get_engine(db)) as s:
            review = s.exec(select(Review).where(Review.scene_id == scene)).one()
        assert (review.status, review.note, review.version) == ("approved", "alice: looks right", 1)
