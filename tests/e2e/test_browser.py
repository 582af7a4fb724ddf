"""End to end in Debian's Chromium (Playwright) against `streamlit run app.py` over a prepared database."""

import json
import re

import pytest
from sqlmodel import Session, select

from storage.db import get_engine
from storage.models import ExportRecord, Rationale, RationaleVersion, Review, Selection, SelectionItem
from tests.e2e.conftest import screenshot_on_failure, wait_idle, write_export

pytestmark = pytest.mark.slow
EDIT = "I was bored on a rainy evening and wanted a thriller.\nBehavior: [B]"


def metric(page, label: str) -> str:
    """A count shown in a one-row markdown table (core/markdown_table.py): the cell under its header."""
    table = page.locator("table").filter(has=page.get_by_role("columnheader", name=label, exact=True)).first
    headers = [h.strip() for h in table.get_by_role("columnheader").all_inner_texts()]
    return table.locator("tbody tr").first.locator("td").nth(headers.index(label)).inner_text().strip()


def test_audit_edit_threshold_export_in_the_browser(server, page, tmp_path):
    base, db, ids = server
    with screenshot_on_failure(page, "audit_flow"):
        target = ids[5]  # strong right, weak wrong: in the selection, high diff_model

        # Samples: filter by text, then open the only row in Review.
        page.goto(f"{base}/samples")
        page.get_by_role("columnheader", name="Matching scenes", exact=True).wait_for()
        wait_idle(page)
        nav = page.get_by_test_id("stSidebarNav").inner_text()  # app.py's navigation, even on a deep link
        assert "Overview" in nav and "review parts" not in nav, nav
        page.get_by_test_id("stSidebar").get_by_text(db).wait_for()  # the code block may still be a placeholder
        assert metric(page, "Matching scenes") == "8"
        search = page.get_by_label("Search profile, history and options")
        search.fill("User 5 likes")
        search.press("Enter")
        page.wait_for_function(  # the count's cell (core/markdown_table.py) under its header
            "() => [...document.querySelectorAll('table')].some(t => t.querySelector('th')?.innerText.trim() === "
            "'Matching scenes' && t.querySelector('tbody td')?.innerText.trim() === '1')"
        )
        assert "q=User+5+likes" in page.url or "q=User%205%20likes" in page.url
        grid = page.get_by_test_id("stDataFrame").locator("canvas").first
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the row's selection cell, first data row
        page.wait_for_url(re.compile(rf"/review\?.*scene={target}"))
        page.get_by_text(f"Scene {target}", exact=True).wait_for()
        wait_idle(page)

        # Review: edit strong rationale #0, then approve.
        page.get_by_role("tab", name="strong").click()
        page.get_by_test_id("stExpander").filter(has_text="#0").first.locator("summary").click()
        area = page.get_by_label("Rationale text").first
        area.fill(EDIT)
        page.get_by_role("button", name=re.compile("^Save as new version")).first.click()
        page.get_by_text(re.compile("as version 2")).wait_for()
        wait_idle(page)
        page.get_by_label("Review note").fill("a quick look, x marks it")
        page.get_by_label("Review note").press("Enter")
        wait_idle(page)
        with Session(get_engine(db)) as s:  # typing "a" and "x" in the note did not trigger the shortcuts
            assert s.exec(select(Review).where(Review.scene_id == target)).first() is None
        page.get_by_role("heading", name="Review").click()  # focus leaves the note field
        page.keyboard.press("a")  # the Approve button's keyboard shortcut
        page.get_by_text(f"Scene {target} approved").wait_for()

        # Filter: raise the diff_model minimum until two scenes are kept, save the selection.
        page.goto(f"{base}/filter")
        page.get_by_role("columnheader", name="Kept", exact=True).wait_for()
        assert metric(page, "Kept") == "4"
        thumb = page.get_by_test_id("stSlider").filter(has_text="diff_model").get_by_role("slider").first
        thumb.focus()
        for _ in range(20):
            thumb.press("ArrowRight")
        wait_idle(page)
        page.wait_for_function(  # the Kept cell of the counts row (core/markdown_table.py)
            "() => [...document.querySelectorAll('table')].some(t => { const h = [...t.querySelectorAll('th')]"
            ".map(e => e.innerText.trim()); const k = h.indexOf('Kept'); return k >= 0 && "
            "t.querySelectorAll('tbody td')[k]?.innerText.trim() === '2'; })"
        )
        page.get_by_label("Selection name").fill("e2e")
        page.get_by_role("button", name="Save selection").click()
        page.get_by_text("Saved selection e2e: 2 scenes.").wait_for()

        # Export: DPO of the approved scenes of e2e, written to a path.
        page.goto(f"{base}/export")
        page.get_by_text("Preview (first rows exactly as written)").wait_for()
        out = tmp_path / "e2e-dpo.jsonl"
        write_export(page, out)

        engine = get_engine(db)
        with Session(engine) as s:
            review = s.exec(select(Review).where(Review.scene_id == target)).one()
            rid = s.exec(
                select(Rationale.id).where(
                    Rationale.scene_id == target, Rationale.role == "strong", Rationale.sample_index == 0
                )
            ).one()
            versions = s.exec(select(RationaleVersion).where(RationaleVersion.rationale_id == rid)).all()
            sel = s.exec(select(Selection).where(Selection.name == "e2e")).one()
            kept = s.exec(select(SelectionItem.scene_id).where(SelectionItem.selection_id == sel.id)).all()
            record = s.exec(select(ExportRecord)).one()
        assert (review.status, review.reviewer, review.note) == ("approved", "e2e-reviewer", "a quick look, x marks it")
        assert [(v.version, v.author) for v in versions] == [(1, "m"), (2, "e2e-reviewer")]
        assert versions[-1].text == EDIT
        assert sorted(kept) == [ids[5], ids[6]]
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len(rows) == 1 and record.rows == 1
        assert rows[0]["timestamp"] == 1_700_000_005
        assert rows[0]["messages_chosen"][-1]["content"].startswith("I was bored on a rainy evening")
