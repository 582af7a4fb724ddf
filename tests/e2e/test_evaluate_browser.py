"""The Evaluate page in Debian's Chromium: leaderboard, the figure, and a paired comparison the user changes."""

import pytest
from sqlmodel import Session, select

from core.evaluation.metrics import METRICS
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


DIFFERENCE = "accuracy, A − B on shared scenes"
TABLE = (  # the body rows' cell texts of the markdown table whose first header is h (None when there is none)
    "(h) => { const t = [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"] table')]"
    ".find(t => t.querySelector('th')?.innerText.trim() === h);"
    " return t ? [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim())) : null; }"
)


def _table(page, first_header: str) -> list[list[str]] | None:
    return page.evaluate(TABLE, first_header)


def test_leaderboard_figures_and_comparison_in_the_browser(eval_server, page):
    base, summaries = eval_server
    with screenshot_on_failure(page, "evaluate_page"):
        page.goto(f"{base}/evaluate")
        page.get_by_text("Leaderboard", exact=True).wait_for()  # not the nav icon "leaderboard"
        wait_idle(page)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 1")
        legend = page.locator(".js-plotly-plot").first.inner_text()
        assert "position" in legend and "random" in legend
        expected = sorted(summaries, key=lambda n: -summaries[n]["accuracy"])
        board = _table(page, "run")
        assert [row[0] for row in board] == expected  # the leaderboard, drawn as a table
        assert [row[3].split(" ")[0] for row in board] == [f"{summaries[n]['accuracy']:.3f}" for n in expected]
        diff = summaries["position"]["accuracy"] - summaries["random"]["accuracy"]
        [[value, interval]] = _table(page, DIFFERENCE)
        assert value == f"{diff:+.3f}" and interval.count("…") == 1
        assert [row[0] for row in _table(page, "metric")] == list(METRICS)
        # no data grid, no metric: a fresh tab loads neither chunk
        assert page.get_by_test_id("stDataFrame").count() == page.get_by_test_id("stMetric").count() == 0

        box = page.get_by_label("Run B", exact=True)  # Streamlit 1.67: a react-aria combobox
        box.click()
        box.press("ArrowDown")  # opens the list even when the click only focused the input (seen in CI)
        page.get_by_role("option", name="position", exact=True).click()
        wait_idle(page)
        zero = '[["+0.000","+0.000 … +0.000"]]'
        page.wait_for_function(f"() => JSON.stringify(({TABLE})({DIFFERENCE!r})) === {zero!r}")
        assert _table(page, DIFFERENCE) == [["+0.000", "+0.000 … +0.000"]]
