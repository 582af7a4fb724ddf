"""A fresh server's first request is a deep link: the page opens inside the frame, the navigation lists only the seven
pages, and nothing 404s (app.py serves pages/frame.py as an st.App; no private Streamlit flag)."""

import re

import pytest

from tests.e2e.conftest import screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow
PAGES = ["Overview", "Samples", "Review", "Filter", "Export", "Evaluate", "Settings"]


def test_a_deep_link_as_the_first_request_of_a_new_server(server, page, tmp_path):
    base, db, ids = server
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    navigations: list[str] = []

    def record_nav(frame) -> None:
        if frame == page.main_frame:
            navigations.append(frame.url)

    page.on("framenavigated", record_nav)
    with screenshot_on_failure(page, "deep_link_first_request"):
        page.goto(f"{base}/review?scene={ids[3]}")
        page.get_by_text(f"Scene {ids[3]}", exact=True).wait_for()
        wait_idle(page)
        links = page.get_by_test_id("stSidebarNavLink").all_inner_texts()
        assert [re.sub(r"^\S+\s+", "", text.strip()) for text in links] == PAGES, links
        page.get_by_test_id("stSidebar").get_by_text(db).wait_for()  # the frame ran around the page
        assert page.title() == "Mirror Studio"  # the frame's page config
        assert page.url == f"{base}/review?scene={ids[3]}&reviewer=e2e-reviewer"  # the frame adds who is reviewing
        # no redirect, no rerun through another page: the deep link, then the same page with the reviewer in its URL
        assert navigations == [f"{base}/review?scene={ids[3]}", page.url]
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Samples").click()
        page.get_by_role("columnheader", name="Matching scenes", exact=True).wait_for()
    # Streamlit's frontend first probes the deep link's own path as a possible base URL (/review/_stcore/health and
    # host-config), then the root: those two probes are the framework's; any other 404 would be ours.
    assert [url for url in missing if not url.startswith(f"{base}/review/_stcore/")] == []
    log = (tmp_path / "streamlit.log").read_text()
    assert "404" not in log and "Traceback" not in log, log
