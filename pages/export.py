"""Export: a selection (or the scenes) as DPO / SFT / eval / scores, JSONL or Parquet; preview, file, history."""

import json
import re
from pathlib import Path

import streamlit as st

from core.choices import DEFAULT_EXPORT_STATUS, EDIT_PAIRS, EXPORT_FORMATS, EXPORT_STATUSES, SELECTION_PAIRS
from core.export import default_export_dir, export, preview_rows
from core.markdown_table import markdown_table, timestamp
from pages.ui import db_path, engine, reviewer, session, show_flash, user_errors
from storage.browse import filter_choices
from storage.evaluations import list_eval_runs
from storage.exports import list_exports


def manifest_text(manifest: dict) -> str:
    """A manifest as indented JSON text, as written beside the file. Not st.json: its viewer is a chunk of its own
    that a fresh tab loads and runs even for a collapsed expander (~140 KB of JavaScript here); st.text is drawn by
    what the previews already use, and shows data as written (no markdown)."""
    return json.dumps(manifest, indent=2, ensure_ascii=False, default=str)


st.title("Export")
show_flash("export_flash")
with session() as s:
    choices = filter_choices(session=s)
    history = list_exports(session=s, limit=20)
if not choices["datasets"]:
    st.info(
        "Nothing to export yet. Build the demo workspace on Overview, or load data and save a selection on "
        "Filter first."
    )
    st.stop()

cols = st.columns(4)
fmt = cols[0].radio("Format", list(EXPORT_FORMATS), horizontal=True, key="x_format")
parquet = cols[0].toggle("Parquet instead of JSONL", key="x_parquet")
selection = status = dataset = split = run = None
pairs = SELECTION_PAIRS
if fmt == "dpo":
    pair_labels = {SELECTION_PAIRS: "the selection's pairs", EDIT_PAIRS: "edits (human edit vs model original)"}
    pairs = cols[0].radio("Pairs", list(pair_labels), format_func=pair_labels.__getitem__, key="x_pairs")
if pairs == EDIT_PAIRS:
    every = "(every train scene)"
    selection = cols[1].selectbox("Selection", [every, *choices["selections"]], key="x_edit_selection")
    selection = None if selection == every else selection
    status = cols[2].selectbox("Review status", list(EXPORT_STATUSES), key="x_status")
elif fmt == "evalresults":
    with session() as s:
        runs = [r.name for r in list_eval_runs(session=s)]
    if not runs:
        st.info(
            "No evaluation run yet: run one on the Evaluate page (or `python -m core evaluate`), then export it here."
        )
        st.stop()
    run = cols[1].selectbox("Evaluation run", runs, key="x_run")
    status = DEFAULT_EXPORT_STATUS
elif fmt in ("dpo", "sft"):
    if not choices["selections"]:
        st.info("No selection yet: set thresholds on the Filter page and save one, then export it here.")
        st.stop()
    selection = cols[1].selectbox("Selection", choices["selections"], key="x_selection")
    status = cols[2].selectbox("Review status", list(EXPORT_STATUSES), key="x_status")
else:
    dataset = cols[1].selectbox("Dataset", ["(all)", *choices["datasets"]], key="x_dataset")
    dataset = None if dataset == "(all)" else dataset
    if fmt == "eval":
        labels = {"eval": "eval", "train": "train", "any": "any (train and eval)"}
        split = cols[2].selectbox("Split", list(labels), format_func=labels.__getitem__, key="x_split")
    status = DEFAULT_EXPORT_STATUS

suffix = "parquet" if parquet else "jsonl"
default_dir = default_export_dir(db_path())
edits = "-edits" if pairs == EDIT_PAIRS else ""
name = f"{selection or run or dataset or 'all'}-{fmt}{edits}{'-' + split if split else ''}"
stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
default_name = f"{stem}.{suffix}"
out = cols[3].text_input("Write to path", value=str(default_dir / default_name), key=f"x_out_{default_name}")

args = {"fmt": fmt, "selection": selection, "status": status, "dataset": dataset, "split": split, "run": run}
args["pairs"] = pairs
st.subheader("Preview (first rows exactly as written)")
with user_errors():
    rows = preview_rows(engine=engine(), limit=3, **args)
    for row in rows:
        st.text(json.dumps(row, ensure_ascii=False))  # exactly the bytes written, escaped
    if parquet:
        st.caption("The Parquet file holds the same rows and fields.")

force = st.toggle("Overwrite an existing file at this path", key="x_force")
if st.button("Write export file", type="primary", key="x_write"):
    with user_errors():
        target = Path(out).expanduser()
        if target.parent == default_dir:
            default_dir.mkdir(exist_ok=True)
        result = export(engine=engine(), out=target, parquet=parquet, reviewer=reviewer(), force=force, **args)
        st.session_state["last_export"] = {
            "path": str(result.path),
            "rows": result.rows,
            "sha256": result.sha256,
            "manifest": result.manifest,
        }
        st.session_state["export_flash"] = ("success", f"Wrote {result.rows} rows to {result.path}")
        st.rerun()

if last := st.session_state.get("last_export"):
    path = Path(last["path"])
    if path.is_file():
        st.download_button(
            "Download the file",
            data=path.read_bytes(),
            file_name=path.name,
            key="x_download",
            mime="application/octet-stream",
        )
    with st.expander("Manifest of the last export", expanded=True):
        st.text(manifest_text(last["manifest"]))

st.subheader("Export history")
if not history:
    st.caption("No export written yet.")
else:
    table = [
        {
            "when": r.created_at,
            "selection": r.selection_name or "",
            "format": r.format,
            "rows": r.rows,
            "by": r.reviewer or "",
            "path": r.path,
            "sha256": r.sha256[:16],
        }
        for r in history
    ]
    st.markdown(markdown_table(table, list(table[0]), formats={"when": timestamp}))  # paths and names are data
    labels = [f"#{r.id} · {r.created_at:%Y-%m-%d %H:%M} · {Path(r.path).name}" for r in history]
    picked = st.selectbox("Show the manifest of", range(len(history)), format_func=labels.__getitem__, key="x_pick")
    with st.expander("Manifest"):
        st.text(manifest_text(history[picked].manifest))
