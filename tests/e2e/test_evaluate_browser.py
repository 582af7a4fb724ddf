"""The Evaluate page in Debian's Chromium: leaderboard, three figures, and a paired comparison the user changes."""

import pytest
from sqlmodel import Session, select

from storage.db import dispose_engines, get_engine
from storage.models import EvalRun
from tests.e2e.app_server import app_server
from tests.e2e.conftest import screenshot_on_failure, wait_idle
from tests.factories import make_eval_workspace

pytestmark = pytest.mark.slow


@pytest.fixture
def eval_server(tmp_path):
    path = str(tmp_path / "mirror.db")
    with Session(get_engine(path), expire_on_commit=False) as s:
        make_eval_workspace(s)
        summaries = {r.name: r.summary for r in s.exec(select(EvalRun))}
    dispose_engines()
    with app_server(log_path=tmp_path / "streamlit.log", env={"MIRROR_DB": path}) as base:
        yield base, summaries


def _metric(page) -> tuple[str, str]:
    box = page.get_by_test_id("stMetric").first
    return box.get_by_test_id("stMetricLabel").inner_text().strip(), box.get_by_test_id("stMetricValue").inner_text()


def test_leaderboard_figures_and_comparison_in_the_browser(eval_server, page):
    base, summaries = eval_server
    with screenshot_on_failure(page, "evaluate_page"):
        page.goto(f"{base}/evaluate")
        page.get_by_text("Leaderboard", exact=True).wait_for()  # not the nav icon "leaderboard"
        wait_idle(page)
        page.get_by_test_id("stDataFrame").nth(1).wait_for()  # the leaderboard and the comparison table
        assert page.get_by_test_id("stDataFrame").count() == 2
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 3")
        legend = page.locator(".js-plotly-plot").first.inner_text()
        assert "position" in legend and "random" in legend
        label, value = _metric(page)
        diff = summaries["position"]["accuracy"] - summaries["random"]["accuracy"]
        assert label.startswith("accuracy, A − B on shared scenes (95% CI ")
        assert value.strip() == f"{diff:+.3f}"

        box = page.get_by_label("Run B", exact=True)  # Streamlit 1.67: a react-aria combobox
        box.click()
        box.press("ArrowDown")  # opens the list even when the click only focused the input (seen in CI)
        page.get_by_role("option", name="position", exact=True).click()
        wait_idle(page)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stMetricValue\"]').innerText.trim() === '+0.000'"
        )
        assert _metric(page)[0] == "accuracy, A − B on shared scenes (95% CI +0.000 … +0.000)"
