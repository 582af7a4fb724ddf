"""AppTest: Evaluate page — empty state, leaderboard, figures, comparison, a run started from the page."""

import json

from sqlalchemy import text
from sqlmodel import Session, select

from core.app_support import escape_markdown
from core.evaluation.metrics import METRICS
from storage.models import EvalRun
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import figures, open_page, texts
from tests.factories import make_eval_workspace

BOARD = ("run", "simulator", "scenes", "accuracy [95% CI]", "argmax accuracy", "log loss", "Brier", "ECE", "finished")
COMPARISON = ("metric", "A", "B", "A − B", "95% CI low", "95% CI high")
DIFFERENCE = ("accuracy, A − B on shared scenes", "95% CI")


def board_rows(at) -> list[list[str]]:
    """The leaderboard as shown (escaped markdown, no st.dataframe: no data-grid chunk on a fresh tab)."""
    assert not at.dataframe
    return table_rows(at, *BOARD)


def board_row(run: EvalRun) -> list[str]:
    """A baseline run's leaderboard row as it should read: 3 decimals, the interval beside the accuracy."""
    summary = run.summary
    lo, hi = summary["ci"]["accuracy"]
    scores = [f"{summary[k]:.3f}" for k in ("argmax_accuracy", "log_loss", "brier", "ece")]
    accuracy = f"{summary['accuracy']:.3f} [{lo:.3f}, {hi:.3f}]"
    head = [run.name, f"baseline: {run.mode}", str(summary["scenes"]), accuracy]
    return head + scores + [f"{run.finished_at:%Y-%m-%d %H:%M:%S}"]


def test_empty_state_says_what_to_run(db_path):
    at = open_page("evaluate")
    assert at.info[0].value.startswith("No evaluation run yet.")
    assert not at.code and not at.main.selectbox and not at.main.button  # the form waits for "Evaluate now"
    commands = at.main.text[0].value
    assert "python -m core evaluate --baseline popularity" in commands
    assert "python -m core evaluate --endpoint local --mode direct" in commands
    assert "python -m core scenes --dataset NAME --count 256 --split eval" in commands


def test_leaderboard_figures_and_paired_comparison(engine, session):
    make_eval_workspace(session)
    with Session(engine) as s:
        stored = {r.name: r for r in s.exec(select(EvalRun))}
    summaries = {name: r.summary for name, r in stored.items()}
    at = open_page("evaluate")
    expected = sorted(summaries, key=lambda n: -summaries[n]["accuracy"])
    assert board_rows(at) == [board_row(stored[n]) for n in expected]
    [chart] = at.get("plotly_chart")  # one figure of three panels (pages/evaluate_plots.py)
    traces = json.loads(chart.proto.spec)["data"]
    panels = [(t["type"], t.get("xaxis", "x"), t["name"]) for t in traces]
    assert panels == [
        *(("bar", "x", n) for n in ("position", "random")),  # accuracy per dataset
        ("scatter", "x2", "calibrated"),
        *(("scatter", "x2", n) for n in ("position", "random")),  # reliability
        *(("bar", "x3", n) for n in ("position", "random")),  # position bias
    ]
    shown = [t["name"] for t in traces if t.get("showlegend", True)]
    assert shown == ["position", "random", "calibrated"]  # a run once in the legend, one colour in every panel
    colours = {(t["name"], t["marker"]["color"]) for t in traces if t["name"] != "calibrated"}
    assert len(colours) == 2
    assert at.multiselect(key="ev_runs").value == ["position", "random"]

    # the comparison: A = newest (position), B = random, on the same 8 scenes
    table = {row[0]: row[1:] for row in table_rows(at, *COMPARISON)}
    assert list(table) == list(METRICS)
    diff = summaries["position"]["accuracy"] - summaries["random"]["accuracy"]
    pa, pb = summaries["position"]["accuracy"], summaries["random"]["accuracy"]
    a, b, shown_diff, low, high = table["accuracy"]
    assert (a, b, shown_diff) == (f"{pa:.3f}", f"{pb:.3f}", f"{diff:.3f}")
    assert figures(at, *DIFFERENCE) == {
        DIFFERENCE[0]: f"{diff:+.3f}",
        "95% CI": f"{float(low):+.3f} … {float(high):+.3f}",
    }
    assert float(low) < diff < float(high)

    at.selectbox(key="ev_b").set_value("position").run()  # a run against itself: zero, no width
    assert figures(at, *DIFFERENCE) == {DIFFERENCE[0]: "+0.000", "95% CI": "+0.000 … +0.000"}
    assert [row[-2:] for row in table_rows(at, *COMPARISON)] == [["0.000", "0.000"]] * len(METRICS)

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
    [row] = board_rows(at)
    assert row[BOARD.index("accuracy [95% CI]")].startswith(f"{summary['accuracy']:.3f} [")
    assert "Two runs are needed for a comparison." in texts(at)


def test_start_a_baseline_from_the_page(engine, session):
    make_eval_workspace(session, baselines=("random",))
    at = open_page("evaluate")
    assert "Evaluate now" in [e.label for e in at.main.expander] and "ev_start" not in [b.key for b in at.button]
    at.session_state["ev_open"] = True  # opened, as a user does: its form is built only then
    at.run()
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
    assert [row[0] for row in board_rows(at)].count("pop from the page") == 1


def test_run_names_are_shown_as_written_never_as_markdown_or_html(engine, session):
    make_eval_workspace(session)
    evil = "**x** <b>y</b> | [a](javascript:alert(1))"
    with Session(engine) as s:
        s.execute(
            text("UPDATE evalrun SET name = :n, endpoint = 'ep', mode = 'direct', model = :n WHERE name = 'random'"),
            {"n": evil},
        )
        s.commit()
    at = open_page("evaluate")
    simulators = {row[0]: row[1] for row in board_rows(at)}
    assert simulators == {evil: f"ep · direct · {evil}", "position": "baseline: position"}
    shown = "\n".join(m.value for m in at.markdown)
    assert "**x**" not in shown and "<b>" not in shown and "](javascript" not in shown  # escaped, not rendered
