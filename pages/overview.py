"""Overview: what the database holds, pipeline runs, LLM-call statistics; on an empty database, the demo button."""

import time

import pandas as pd
import streamlit as st

from core.choices import DEMO_RUN, DEMO_STEPS
from core.demo_process import build_command, start_demo_build, wait_for_build
from core.markdown_table import frame_table, markdown_table, percent
from core.urls import redact_url
from pages.overview_agreement import agreement_section
from pages.ui import db_path, engine, escape_markdown, session, show_flash, user_errors
from storage.browse_detail import review_summary, workspace_token
from storage.constants import PENDING, VERDICTS
from storage.llm import call_stats
from storage.models import Run
from storage.runs import INTERRUPTED, RUNNING, latest_run, list_runs
from storage.status import status

LOAD_COMMANDS = """\
# load your own data (unified directory or a public layout), then build scenes
python -m core ingest --dataset NAME --format unified PATH
python -m core scenes --dataset NAME --count 1000
# rationales and predictions for both roles, then scores and a selection
python -m core endpoints add big --base-url URL --model MODEL --api-key-env OPENAI_API_KEY
python -m core rationales --role strong --endpoint big
python -m core rationales --role weak --endpoint local
python -m core predict --role strong --endpoint local
python -m core predict --role weak --endpoint local
python -m core score
python -m core select --name first
"""


def dataset_table(summary: dict, reviews: dict) -> pd.DataFrame:
    rows = []
    empty = dict.fromkeys(("selected", *VERDICTS, PENDING), 0)
    for name, d in summary.get("datasets", {}).items():
        rows.append(
            {
                "dataset": name,
                "users": d["users"],
                "items": d["items"],
                "interactions": d["interactions"],
                "train scenes": d["scenes"]["train"],
                "eval scenes": d["scenes"]["eval"],
                "strong rationales": d["rationales"]["strong"],
                "weak rationales": d["rationales"]["weak"],
                "strong predictions": d["predictions"]["strong"],
                "weak predictions": d["predictions"]["weak"],
                "scored": d["scored"],
                "failed calls": d["failed_calls"],
                **reviews.get(name, empty),
            }
        )
    return pd.DataFrame(rows)


def selection_table(summary: dict) -> pd.DataFrame:
    rows = [{"selection": name, **counts} for name, counts in summary.get("selections", {}).items()]
    return pd.DataFrame(rows, columns=["selection", "scenes", *VERDICTS, PENDING])


@st.cache_data(show_spinner="Counting…", max_entries=4)
def cached_counts(db: str, token: tuple) -> tuple[dict, dict, list[dict]]:
    """status(), review counts and call_stats() group over every rationale and call; recount on a new token."""
    with session() as s:
        return status(conn=s.connection()), review_summary(session=s), call_stats(session=s)


def start_build() -> None:
    """Start the demo build as its own process and wait until it has recorded its run (a second or two)."""
    with user_errors():
        pid = start_demo_build(db=db_path())
        run = wait_for_build(engine=engine(), pid=pid)
        st.session_state["demo_following"] = run.id  # says "ready" even when it finishes before the page looks again
        st.rerun()


def stopped_words(run: Run) -> str:
    """Why the last build stopped, in words."""
    if run.status == INTERRUPTED:
        return "The demo build stopped before finishing: its process ended (a closed terminal, a kill, a restart)."
    return f"The demo build {(run.message or 'stopped before finishing').rstrip('.')}."


def show_build() -> None:
    """The demo build's progress, from its run record: any tab shows it; refreshes itself every 2 s until it ends."""
    with session() as s:
        run = latest_run(session=s, kind=DEMO_RUN)
    if run is None or run.status != RUNNING:
        st.rerun(scope="app")  # the page then says how it ended
    label = run.message or "starting"
    st.progress(min(1.0, run.done / DEMO_STEPS), text=f"Building the demo workspace: {label} ({run.done}/{DEMO_STEPS})")
    st.caption(
        f"The build runs as its own process (run {run.id}): closing this tab does not stop it; any tab shows "
        "its progress here. The embedded model needs a few minutes on 2 cores."
    )


st.title("Overview")
show_flash("flash")
with session() as s:
    runs = list_runs(session=s, limit=20)
    running = any(r.status == "running" for r in runs)
    build = latest_run(session=s, kind=DEMO_RUN)
    token = workspace_token(session=s)
    # While a run writes rows every second, recount its part at most every 30 s (2M-row GROUP BYs).
    pipeline = int(time.time() // 30) if running else token["pipeline"]
    summary, reviews, stats = cached_counts(db_path(), (pipeline, token["workspace"]))

building = build is not None and build.status == RUNNING
if building:
    st.session_state["demo_following"] = build.id
    st.fragment(show_build, run_every=2)()
elif build is not None and st.session_state.pop("demo_following", None) == build.id and build.status == "done":
    st.success("Demo workspace ready: open Samples to browse it.")
elif build is not None and build.status in ("failed", INTERRUPTED):
    st.warning(
        escape_markdown(f"{stopped_words(build)} Finished steps are kept: resuming goes on from where it stopped.")
    )
    if st.button("Resume the demo build", type="primary", key="resume_demo"):
        start_build()
    command = " ".join(redact_url(part) for part in build_command(db=db_path()))  # a database password stays hidden
    st.caption(f"Or in a terminal: `{command}`")

if not summary.get("datasets") and not building:
    st.info(
        "The database is empty. Build the demo workspace (bundled sample data and the embedded model, "
        "a few minutes, in a process of its own), or load real data with the commands below."
    )
    if build is None and st.button("Build demo workspace", type="primary", key="build_demo"):
        start_build()
    st.text(LOAD_COMMANDS)  # not st.code: its highlighter is a chunk of its own (pages/evaluate.py)
    st.stop()
if not summary.get("datasets"):
    st.stop()

st.subheader("Datasets")
st.markdown(frame_table(dataset_table(summary, reviews)))
st.subheader("Selections and reviews")
selections = selection_table(summary)
if selections.empty:
    st.caption("No selection yet: set thresholds on the Filter page and save one.")
else:
    st.markdown(frame_table(selections))


RUN_COLUMNS = ("id", "kind", "status", "progress", "done", "total", "failed", "message", "started", "finished")


def _when(value: object) -> str:
    return str(value)[:19]  # to the second


def show_runs() -> None:
    """The runs table; while a run is going it refreshes itself every 3 s (a fragment, not the whole page)."""
    with session() as s:
        runs = list_runs(session=s, limit=20)
    if not runs:
        st.caption("No runs recorded yet.")
        return
    rows = [
        {
            "id": r.id,
            "kind": r.kind,
            "status": r.status,
            "progress": (r.done / r.total) if r.total else (1.0 if r.status == "done" else 0.0),
            "done": r.done,
            "total": r.total,
            "failed": r.failed,
            "message": r.message or "",
            "started": r.started_at,
            "finished": r.finished_at,
        }
        for r in runs
    ]
    st.markdown(markdown_table(rows, RUN_COLUMNS, formats={"progress": percent, "started": _when, "finished": _when}))
    stopped = [str(r.id) for r in runs if r.status == "interrupted"]
    if stopped:
        st.caption(
            f"Interrupted (the process is gone without finishing): run {', '.join(stopped)}. "
            "Run the same command again to resume; finished work is kept."
        )


st.subheader("Pipeline runs")
st.fragment(show_runs, run_every=3 if running else None)()
if running:
    st.caption("A run is in progress: this table refreshes every 3 seconds, the counts above every 30 seconds.")

st.subheader("LLM calls per endpoint")
if not stats:
    st.caption("No LLM calls logged yet.")
else:
    st.markdown(frame_table(pd.DataFrame(stats)))

agreement_section(db_path())
