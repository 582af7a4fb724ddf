"""Browser-test fixtures: a prepared workspace served by `streamlit run app.py`, a Chromium tab, wait helpers."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlmodel import Session

from storage.db import dispose_engines, get_engine
from tests.e2e.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, app_server
from tests.factories import make_workspace

ARTIFACTS = ROOT / "test-artifacts"


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
    env = {"MIRROR_DB": path, "MIRROR_REVIEWER": "e2e-reviewer"}
    with app_server(log_path=tmp_path / "streamlit.log", env=env) as base:
        yield base, path, ids


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    tab = browser.new_page(viewport={"width": 1600, "height": 1200})
    tab.set_default_timeout(90_000)  # a fresh server's first page pays every import; the machine is shared
    yield tab


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
        timeout=90_000,
    )


def write_export(page, path) -> None:
    """On Export: write the current choice to path, until "Wrote 1 rows" shows and the app is idle."""
    box = page.get_by_label("Write to path")
    box.fill(str(path))
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Write export file").click()
    page.get_by_text(re.compile("Wrote 1 rows")).wait_for()
    wait_idle(page)


def open_scene(page, base: str, scene: int) -> None:
    """Review on the scene, drawn and idle."""
    page.goto(f"{base}/review?scene={scene}")
    page.get_by_text(f"Scene {scene}", exact=True).wait_for()
    wait_idle(page)
