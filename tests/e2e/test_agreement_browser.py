"""Chromium: Overview shows the agreement of double review (alpha, the pair's kappa, the queue), and a reviewer on a
double-review scene sees only that one verdict of two is in, not whose or which."""

import pytest
from sqlmodel import Session, select

from core.double_review import give_blind_verdict
from storage.db import get_engine
from storage.double_models import DoubleReview
from storage.double_review import mark_double
from storage.models import Selection
from tests.e2e.conftest import screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow


def test_overview_agreement_and_a_blind_scene(server, page):
    base, db, _ = server
    with Session(get_engine(db)) as s:
        mark_double(session=s, selection_id=s.exec(select(Selection.id)).one(), percent=100, by="lead")
        double = sorted(s.exec(select(DoubleReview.scene_id)).all())
        for scene, (a, b) in zip(
            double[:3], [("approved", "approved"), ("rejected", "rejected"), ("approved", "rejected")], strict=True
        ):
            give_blind_verdict(session=s, scene_id=scene, reviewer="ann", status=a)
            give_blind_verdict(session=s, scene_id=scene, reviewer="bob", status=b)
        give_blind_verdict(session=s, scene_id=double[3], reviewer="ann", status="rejected")
    with screenshot_on_failure(page, "agreement"):
        page.goto(base)
        page.get_by_text("Double review and agreement").wait_for()
        wait_idle(page)
        figures = page.locator("table").filter(has_text="Krippendorff's alpha")
        shown = dict(zip(figures.locator("th").all_inner_texts(), figures.locator("td").all_inner_texts(), strict=True))
        assert shown == {
            "Krippendorff's alpha": "0.444",
            "Double-reviewed scenes": "3",
            "Waiting for an admin": "1",
            "Decided by an admin": "0",
        }
        page.goto(f"{base}/review?scene={double[3]}&reviewer=bob")
        page.get_by_text("1 of 2 given, you have not given yours", exact=False).wait_for()
        wait_idle(page)
        main = page.get_by_test_id("stMain").inner_text()
        assert "ann:" not in main and "by ann" not in main and "status: rejected" not in main  # neither who nor which
