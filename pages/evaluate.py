"""Evaluate: how often each simulator (or baseline) picks what the real user picked on held-out scenes."""

import pandas as pd
import streamlit as st

from core.choices import EVAL_BASELINES, EVAL_MODES, LOCAL
from core.evaluation.metrics import METRICS
from core.evaluation.summary import compute_summary, run_data
from core.evaluation.views import comparison_frame, leaderboard, position_frame, reliability_frame, segment_frame
from core.markdown_table import MISSING, decimals, figures_row, frame_table, markdown_table, timestamp
from core.progress import Progress
from pages.charts import plotly_chart
from pages.evaluate_plots import evaluation_figure
from pages.ui import db_path, engine, session, show_flash, user_errors
from storage.evaluations import eval_row_counts, eval_row_frame, list_eval_runs
from storage.llm import list_endpoints

COMMANDS = """\
# held-out scenes (the paper: 256 per dataset, 5 options), then the baselines and a simulator
python -m core scenes --dataset NAME --count 256 --split eval
python -m core evaluate --baseline random
python -m core evaluate --baseline popularity
python -m core evaluate --baseline position
python -m core evaluate --endpoint local --mode direct
python -m core evaluate --endpoint local --mode thought --repeat 3
"""
LABELS = {"accuracy": "accuracy", "argmax_accuracy": "argmax accuracy", "log_loss": "log loss", "brier": "Brier"}
LABELS["ece"] = "calibration error (ECE)"
# session key: "Evaluate now" is open. Its form is built only then: a fresh tab pays for each kind of widget it draws
# (a bare page with one selectbox is 1.19-1.23 x a bare page's time in Chromium, bench/bench_browser.py).
START_OPEN = "ev_open"


@st.cache_data(show_spinner="Computing a summary…", max_entries=64)
def missing_summary(db: str, run_id: int, rows: int) -> tuple[dict, dict]:
    """Summary and details of a run that has none stored (running, interrupted, or its dataset was replaced)."""
    with session() as s:
        run = next(r for r in list_eval_runs(session=s) if r.id == run_id)
    return compute_summary(engine=engine(), run=run)


@st.cache_data(show_spinner="Comparing…", max_entries=16)
def compare(db: str, a: int, b: int, token: tuple) -> pd.DataFrame | None:
    """The paired comparison of runs a and b (token: both runs' finish times and sizes)."""
    with session() as s:
        frame = eval_row_frame(session=s, eval_run_ids=[a, b])
    return comparison_frame(run_data(frame[frame["eval_run_id"] == a]), run_data(frame[frame["eval_run_id"] == b]))


BOARD = ("run", "simulator", "scenes", "accuracy [95% CI]", "argmax accuracy", "log loss", "Brier", "ECE", "finished")


def board_table(board: pd.DataFrame) -> str:
    """The leaderboard as an escaped markdown table (names are data), narrow enough for the page: endpoint, mode and
    model in one cell, skipped scenes beside the scenes, the accuracy's interval beside it, 3 decimals."""
    rows = []
    for r in board.to_dict("records"):
        parts = [r["mode"]] if r["endpoint"] == "(baseline)" else [r["endpoint"], r["mode"], r["model"]]
        skipped = f" ({r['skipped']} skipped)" if r["skipped"] else ""
        accuracy = MISSING if pd.isna(r["accuracy"]) else f"{r['accuracy']:.3f} {r['accuracy 95% CI']}".strip()
        rows.append(
            r
            | {
                "simulator": "baseline: " + parts[0] if len(parts) == 1 else " · ".join(p for p in parts if p),
                "scenes": f"{r['scenes']}{skipped}",
                "accuracy [95% CI]": accuracy,
                "ECE": r["calibration error (ECE)"],
                "finished": r["date"],
            }
        )
    number = decimals(3)
    formats = {"argmax accuracy": number, "log loss": number, "Brier": number, "ECE": number, "finished": timestamp}
    return markdown_table(rows, BOARD, formats=formats)


def start_form() -> None:
    """Run (or resume) an evaluation from the page, with a progress bar."""
    box = st.expander("Evaluate now", key=START_OPEN, on_change="rerun")
    if not box.open:
        return
    with session() as s:
        endpoints = [LOCAL, *(e.name for e in list_endpoints(session=s))]
    targets = [f"baseline: {b}" for b in EVAL_BASELINES] + [f"{e} · {m}" for e in endpoints for m in EVAL_MODES]
    with box:
        cols = st.columns([3, 1, 1, 2])
        target = cols[0].selectbox("Simulator or baseline", targets, key="ev_target")
        repeat = cols[1].number_input("Repeats", min_value=1, value=3, key="ev_repeat")
        limit = cols[2].number_input("First N scenes (0 = all)", min_value=0, value=0, key="ev_limit")
        name = cols[3].text_input("Run name (empty = default)", key="ev_name")
        if not st.button("Run evaluation", key="ev_start"):
            return
        bar = st.progress(0.0, text="Evaluating…")

        def moved(done: int, total: int, label: str) -> None:
            bar.progress(min(1.0, done / total) if total else 0.0, text=f"{label} ({done}/{total})")

        kind = {"baseline": target.split(": ", 1)[1]} if target.startswith("baseline: ") else {}
        if not kind:
            endpoint, mode = target.split(" · ")
            kind = {"endpoint": endpoint, "mode": mode}
        from core.evaluation.runs import evaluate  # the LLM client loads only when a run starts

        with user_errors():
            report = evaluate(
                engine=engine(),
                name=name.strip() or None,
                repeat=int(repeat),
                limit=int(limit) or None,
                progress=Progress(callback=moved, show_bar=False),
                **kind,
            )
            st.session_state["ev_flash"] = ("success", report.line())
            st.rerun()


st.title("Evaluate")
show_flash("ev_flash")
with session() as s:
    stored = list_eval_runs(session=s)
    counts = eval_row_counts(session=s) if any(r.summary is None for r in stored) else {}
runs = [r.model_dump() for r in stored]
for run in runs:
    if run["summary"] is None:
        run["summary"], run["details"] = missing_summary(db_path(), run["id"], counts.get(run["id"], 0))

if not runs:
    st.info(
        "No evaluation run yet. Build held-out (eval) scenes, then evaluate the baselines and a simulator — "
        "from the terminal, or with Evaluate now below."
    )
    st.text(COMMANDS)  # not st.code: its highlighter is a chunk of its own, 0.3 x of a bare page on a fresh tab
    start_form()
    st.stop()

st.subheader("Leaderboard")
st.caption(
    "Accuracy: mean over scenes of the share of repeats whose sampled behaviour is the real choice; 95% intervals "
    "resample scenes. Baselines read no text: a simulator that does not beat popularity is not simulating preferences."
)
st.markdown(board_table(leaderboard(runs)))
start_form()

names = [r["name"] for r in runs]
cols = st.columns([3, 1, 1])
chosen = cols[0].multiselect("Runs to plot", names, default=names[:4], key="ev_runs")
metric = cols[1].selectbox("Metric", list(METRICS), format_func=LABELS.__getitem__, key="ev_metric")
by = cols[2].radio("Per", ["dataset", "number of options"], key="ev_by")
picked = [r for r in runs if r["name"] in chosen]
key = "by_dataset" if by == "dataset" else "by_choice_cnt"
segments = segment_frame(picked, metric, key)
title = f"{LABELS[metric]} per {by}"
panels = (segments, reliability_frame(picked), position_frame(picked))
figure = evaluation_figure(*panels, metric=LABELS[metric], title=title)
plotly_chart(figure, key="evaluation_fig")

st.subheader("Compare two runs")
if len(runs) < 2:
    st.caption("Two runs are needed for a comparison.")
    st.stop()
cols = st.columns(2)
a = cols[0].selectbox("Run A", names, index=0, key="ev_a")
b = cols[1].selectbox("Run B", names, index=1, key="ev_b")
run_a, run_b = (next(r for r in runs if r["name"] == n) for n in (a, b))
token = tuple((r["finished_at"], r["summary"]["scenes"]) for r in (run_a, run_b))
table = compare(db_path(), run_a["id"], run_b["id"], token)
if table is None:
    st.info(f"{a} and {b} share no scene: a paired comparison needs the same scenes in both runs.")
    st.stop()
row = table.set_index("metric").loc["accuracy"]
difference = {
    "accuracy, A − B on shared scenes": f"{row['A − B']:+.3f}",
    "95% CI": f"{row['95% CI low']:+.3f} … {row['95% CI high']:+.3f}",
}
st.markdown(figures_row(difference))
st.caption("Paired bootstrap: both runs are resampled with the same scenes, so what they share cancels out.")
st.markdown(frame_table(table, formats={c: decimals(3) for c in table.columns if c != "metric"}))
