"""Chromium: a reviewer marks a rationale with a verdict and a reason, sets the scene's chosen / rejected pair by hand
and approves; the DPO export then uses the human pair and every row says where it came from (scene, rationale ids and
versions, pair source, review status, reviewer); an edited rationale of the approved scene becomes an edit pair."""

import json
import re

import pytest
from sqlmodel import Session, select

from storage.audit_models import PairOverride, RationaleVerdict
from storage.db import get_engine
from storage.models import Rationale
from tests.e2e.conftest import open_scene, screenshot_on_failure, wait_idle, write_export

pytestmark = pytest.mark.slow
EDIT = "Stimulus: a rainy evening.\nKnowledge: thrillers fit a rainy evening.\nEvaluation: I pick it.\nBehavior: [B]"


def _pick(page, label: str, option: str) -> None:
    """Choose an option of a selectbox (a combobox) by its visible text."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.press("ArrowDown")  # a click may only focus the combobox
    page.get_by_role("option", name=option).first.wait_for()
    page.get_by_role("option", name=option).first.click()
    wait_idle(page)


def test_verdict_human_pair_and_edit_reach_the_export(server, page, tmp_path):
    base, db, ids = server
    target = ids[5]  # in the selection "sel": computed chosen strong #0, rejected weak #0
    with Session(get_engine(db)) as s:
        rats = {(r.role, r.sample_index): r.id for r in s.exec(select(Rationale).where(Rationale.scene_id == target))}
    page.set_default_timeout(30_000)
    with screenshot_on_failure(page, "pair_export"):
        open_scene(page, base, target)

        # A verdict with a reason on strong #1, in its panel.
        page.get_by_role("tab", name="strong").click()
        panel = page.get_by_test_id("stExpander").filter(has_text="#1 · wrote").first
        panel.locator("summary").click()
        panel.get_by_text("Your verdict").wait_for()
        wait_idle(page)
        panel.get_by_text("bad", exact=True).click()
        page.get_by_text(f"Rationale {rats['strong', 1]}: bad.").wait_for()
        wait_idle(page)
        _pick(page, "Reason", "contradicts profile")

        # The pair by hand: strong #1 over weak #1, then approve.
        page.get_by_text("Set the pair by hand").click()
        page.get_by_label("Chosen", exact=True).wait_for()
        wait_idle(page)
        _pick(page, "Chosen", "strong #1")
        _pick(page, "Rejected", "weak #1")
        page.get_by_role("button", name="Use this pair").click()
        page.get_by_text(
            re.compile(rf"Scene {target}: chosen {rats['strong', 1]}, rejected {rats['weak', 1]}")
        ).wait_for()
        wait_idle(page)

        # An edit of strong #0, saved as version 2, then the verdict.
        first = page.get_by_test_id("stExpander").filter(has_text="#0 · wrote").first
        first.locator("summary").click()
        area = first.get_by_label("Rationale text")
        area.wait_for()
        wait_idle(page)
        area.fill(EDIT)
        first.get_by_role("button", name=re.compile("^Save as new version")).click()
        page.get_by_text(re.compile("as version 2")).wait_for()
        wait_idle(page)
        page.locator(".st-key-queue_advance label").click()  # stay on the scene after the verdict
        wait_idle(page)
        page.locator(".st-key-approve button").click()
        page.get_by_text(f"Scene {target} approved.").wait_for()
        wait_idle(page)

        with Session(get_engine(db)) as s:
            marks = s.exec(
                select(RationaleVerdict.rationale_id, RationaleVerdict.verdict, RationaleVerdict.reason)
            ).all()
            pair = s.exec(select(PairOverride)).one()
        assert marks == [(rats["strong", 1], "bad", "contradicts profile")]
        assert (pair.scene_id, pair.chosen_rationale_id, pair.rejected_rationale_id, pair.reviewer) == (
            target,
            rats["strong", 1],
            rats["weak", 1],
            "e2e-reviewer",
        )

        # Export: the selection's pairs (the human pair wins), then the edit pairs.
        page.goto(f"{base}/export")
        page.get_by_text("Preview (first rows exactly as written)").wait_for()
        wait_idle(page)
        out = tmp_path / "pairs.jsonl"
        write_export(page, out)
        [row] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert {k: row[k] for k in ("scene_id", "chosen_rationale_id", "chosen_version", "rejected_rationale_id")} == {
            "scene_id": target,
            "chosen_rationale_id": rats["strong", 1],
            "chosen_version": 1,
            "rejected_rationale_id": rats["weak", 1],
        }
        assert (row["pair_source"], row["review_status"], row["reviewer"]) == ("human", "approved", "e2e-reviewer")

        page.get_by_text("edits (human edit vs model original)").click()
        wait_idle(page)
        edits = tmp_path / "edits.jsonl"
        write_export(page, edits)
        [edit] = [json.loads(line) for line in edits.read_text(encoding="utf-8").splitlines()]
        assert edit["scene_id"] == target
        assert edit["messages_chosen"][-1]["content"].startswith("Stimulus: a rainy evening.")
        assert not edit["messages_rejected"][-1]["content"].startswith("Stimulus: a rainy evening.")
