"""Chromium: Review tells the scene's scores and predictions as tables on every scene; its figure (the dataset's
histograms with this scene marked, each role's distributions) is drawn only once its expander is opened, and then on
every scene after, until it is closed."""

import pytest

from tests.e2e.conftest import open_scene, screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow
PLOTS = "Plots: this scene over the dataset's scores; each rationale's distribution"


def _charts(page) -> int:
    return page.locator(".js-plotly-plot").count()


def test_the_scene_figure_is_drawn_once_asked_for_and_stays_from_scene_to_scene(server, page):
    base, _db, ids = server
    scene = ids[1]
    with screenshot_on_failure(page, "review_plots"):
        open_scene(page, base, scene)
        page.get_by_role("columnheader", name="percentile").wait_for()  # the scores table
        page.get_by_role("columnheader", name="most likely (mean p)").wait_for()  # the predictions table
        assert _charts(page) == 0

        page.get_by_text(PLOTS).click()
        page.locator(".js-plotly-plot").first.wait_for()
        wait_idle(page)
        figure = page.locator(".js-plotly-plot").first
        assert figure.get_by_text("this scene:").count() == 4  # one marker label per score panel
        names = ("diff_model", "strong_E", "weak_E", "diff_hit")
        assert [figure.get_by_text(n, exact=True).count() for n in names] == [2] * 4  # panel title and axis title

        page.locator(".st-key-next_scene button").click()
        page.get_by_text(f"Scene {ids[2]}", exact=True).wait_for()
        wait_idle(page)
        page.locator(".js-plotly-plot").first.wait_for()
        assert _charts(page) == 1  # still open on the next scene

        page.get_by_text(PLOTS).click()  # closed again: nothing drawn
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 0")
