"""End to end in Debian's Chromium (Playwright) against `streamlit run app.py` over a prepared database."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.db import dispose_engines, get_engine
from storage.models import ExportRecord, Rationale, RationaleVersion, Review, Selection, SelectionItem
from tests.factories import make_workspace

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EDIT = "I was bored on a rainy evening and wanted a thriller.\nBehavior: [B]"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def prepared_db(tmp_path) -> tuple[str, list[int]]:
    path = str(tmp_path / "mirror.db")
    with Session(get_engine(path), expire_on_commit=False) as s:
        ids = [scene.id for scene in make_workspace(s)]
    dispose_engines()
    return path, ids


@pytest.fixture
def server(prepared_db, tmp_path):
    """`streamlit run app.py` on a free loopback port over the prepared database; stopped afterwards."""
    path, ids = prepared_db
    port = free_port()
    env = {**os.environ, "MIRROR_DB": path, "MIRROR_REVIEWER": "e2e-reviewer"}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError((tmp_path / "streamlit.log").read_text()) from None
                time.sleep(0.3)
        yield base, path, ids
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1600, "height": 1200})
        tab.set_default_timeout(30_000)
        yield tab
        browser.close()


@contextmanager
def screenshot_on_failure(page, name: str) -> Iterator[None]:
    """Save a full-page screenshot to test-artifacts/ when the block fails."""
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


def wait_idle(page) -> None:
    """Wait until Streamlit has finished the current script run and dropped stale elements."""
    page.wait_for_timeout(700)  # the status widget shows up only after a short delay
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=30_000,
    )


def metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label)
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def test_audit_edit_threshold_export_in_the_browser(server, page, tmp_path):
    base, db, ids = server
    with screenshot_on_failure(page, "audit_flow"):
        target = ids[5]  # strong right, weak wrong: in the selection, high diff_model

        # Samples: filter by text, then open the only row in Review.
        page.goto(f"{base}/samples")
        page.get_by_text("Matching scenes").wait_for()
        wait_idle(page)
        nav = page.get_by_test_id("stSidebarNav").inner_text()  # app.py's navigation, even on a deep link
        assert "Overview" in nav and "review parts" not in nav, nav
        assert db in page.get_by_test_id("stSidebar").inner_text()
        assert metric(page, "Matching scenes") == "8"
        search = page.get_by_label("Search profile, history and options")
        search.fill("User 5 likes")
        search.press("Enter")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
            ".some(e => e.innerText.trim() === '1')"
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
        page.get_by_text("Kept").first.wait_for()
        assert metric(page, "Kept") == "4"
        thumb = page.get_by_test_id("stSlider").filter(has_text="diff_model").get_by_role("slider").first
        thumb.focus()
        for _ in range(20):
            thumb.press("ArrowRight")
        wait_idle(page)
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
            ".some(m => m.innerText.startsWith('Kept') && m.innerText.trim().endsWith('2'))"
        )
        page.get_by_label("Selection name").fill("e2e")
        page.get_by_role("button", name="Save selection").click()
        page.get_by_text("Saved selection e2e: 2 scenes.").wait_for()

        # Export: DPO of the approved scenes of e2e, written to a path.
        page.goto(f"{base}/export")
        page.get_by_text("Preview (first rows exactly as written)").wait_for()
        out = tmp_path / "e2e-dpo.jsonl"
        path_box = page.get_by_label("Write to path")
        path_box.fill(str(out))
        path_box.press("Enter")
        wait_idle(page)
        page.get_by_role("button", name="Write export file").click()
        page.get_by_text(re.compile("Wrote 1 rows")).wait_for()

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
