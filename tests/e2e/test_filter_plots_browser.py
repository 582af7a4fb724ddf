"""Chromium: Filter's ranking histogram is drawn stacked, kept vs dropped by reason, with labelled axes, and a moved
threshold redraws it with the new reason."""

import pytest

from tests.e2e.conftest import screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow


def _legend(page) -> list[str]:
    return page.locator(".js-plotly-plot").first.locator(".legendtext").all_text_contents()


def test_the_histogram_colours_kept_and_each_drop_reason(server, page):
    base, _db, _ids = server
    with screenshot_on_failure(page, "filter_plots"):
        page.goto(f"{base}/filter")
        page.locator(".js-plotly-plot").first.wait_for()
        wait_idle(page)
        histogram = page.locator(".js-plotly-plot").first
        assert sorted(_legend(page)) == ["dropped: no correct rationale", "dropped: no rejected", "kept"]
        assert histogram.locator(".xtitle").text_content() == "diff_model"
        assert histogram.locator(".ytitle").text_content() == "scenes"

        thumb = page.get_by_test_id("stSlider").filter(has_text="diff_model").get_by_role("slider").first
        thumb.focus()
        for _ in range(20):
            thumb.press("ArrowRight")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.js-plotly-plot')[0].querySelectorAll('.legendtext')]"
            ".some(t => t.textContent.startsWith('dropped: below min diff_model'))"
        )
        wait_idle(page)
        assert "dropped: below min diff_model" in _legend(page)
