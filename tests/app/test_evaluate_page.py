"""AppTest: Evaluate page — empty state, leaderboard, figures, comparison, a run started from the page."""

from sqlalchemy import text
from sqlmodel import Session, select

from core.app_support import escape_markdown
from core.evaluation.metrics import METRICS
from storage.models import EvalRun
from tests.app.pages_helpers import open_page, texts
from tests.factories import make_eval_workspace


def test_empty_state_says_what_to_run(db_path):
    at = open_page("evaluate")
    assert at.info[0].value.startswith("No evaluation run yet.")
    commands = at.code[0].value
    assert "python -m core evaluate --baseline popularity" in commands
    assert "python -m core evaluate --endpoint local --mode direct" in commands
    assert "python -m core scenes --dataset NAME --count 256 --split eval" in commands


def test_leaderboard_figures_and_paired_comparison(engine, session):
    make_eval_workspace(session)
    with Session(engine) as s:
        summaries = {r.name: r.summary for r in s.exec(select(EvalRun))}
    at = open_page("evaluate")
    board = at.dataframe[0].value
    expected = sorted(summaries, key=lambda n: -summaries[n]["accuracy"])
    assert board["run"].tolist() == expected
    assert board["endpoint"].tolist() == ["(baseline)"] * 2
    assert board["accuracy"].tolist() == [summaries[n]["accuracy"] for n in expected]
    lo, hi = summaries[expected[0]]["ci"]["accuracy"]
    assert board["accuracy 95% CI"][0] == f"[{lo:.3f}, {hi:.3f}]"
    assert board["calibration error (ECE)"].tolist() == [summaries[n]["ece"] for n in expected]
    assert len(at.get("plotly_chart")) == 3
    assert at.multiselect(key="ev_runs").value == ["position", "random"]

    # the comparison: A = newest (position), B = random, on the same 8 scenes
    metric = at.metric[0]
    table = at.dataframe[1].value.set_index("metric")
    assert list(table.index) == list(METRICS)
    diff = summaries["position"]["accuracy"] - summaries["random"]["accuracy"]
    assert table.loc["accuracy", "A − B"] == diff
    assert metric.value == f"{diff:+.3f}"
    low, high = table.loc["accuracy", ["95% CI low", "95% CI high"]]
    assert metric.label == f"accuracy, A − B on shared scenes (95% CI {low:+.3f} … {high:+.3f})"

    at.selectbox(key="ev_b").set_value("position").run()  # a run against itself: zero, no width
    assert at.metric[0].value == "+0.000"
    assert at.dataframe[1].value["95% CI high"].tolist() == [0.0] * len(METRICS)

    at.radio(key="ev_by").set_value("number of options").run()
    at.selectbox(key="ev_metric").set_value("log_loss").run()
    assert not at.exception


def test_a_run_without_summary_is_computed_on_view(engine, session):
    make_eval_workspace(session, baselines=("random",))
    with Session(engine) as s:
        summary = s.exec(select(EvalRun)).one().summary
        s.execute(text("UPDATE evalrun SET summary = NULL, details = NULL"))
        s.commit()
    at = open_page("evaluate")
    assert at.dataframe[0].value["accuracy"].tolist() == [summary["accuracy"]]
    assert "Two runs are needed for a comparison." in texts(at)


def test_start_a_baseline_from_the_page(engine, session):
    make_eval_workspace(session, baselines=("random",))
    at = open_page("evaluate")
    at.selectbox(key="ev_target").set_value("baseline: popularity")
    at.number_input(key="ev_repeat").set_value(4)
    at.text_input(key="ev_name").set_value("pop from the page")
    at.button(key="ev_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    line = "evaluation 'pop from the page': 32 rows scored, 0 scenes skipped (prompt too long), 0 failed, "
    assert at.success[0].value == escape_markdown(line + "0 cached answers, of 32 rows to do")
    with Session(engine) as s:
        run = s.exec(select(EvalRun).where(EvalRun.name == "pop from the page")).one()
        rows = s.execute(text("SELECT COUNT(*) FROM evalrow WHERE eval_run_id = :r"), {"r": run.id}).scalar_one()
    assert (run.mode, run.config["repeat"], rows) == ("popularity", 4, 32)
    assert at.dataframe[0].value["run"].tolist().count("pop from the page") == 1
