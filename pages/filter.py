"""Filter: ranking column, thresholds and target with live plots of what is kept; save as a named selection."""

import pandas as pd
import streamlit as st

from core.app_support import (
    SelectionView,
    is_selection_key,
    selection_from_params,
    selection_to_params,
    slider_range,
    slider_start,
)
from core.markdown_table import figures_row, frame_table, markdown_table
from core.selection import SelectionConfig, candidates, preview_selection, save_selection, train_only
from pages.charts import plotly_chart
from pages.filter_plots import entropy_map, group_table, ranking_histogram
from pages.ui import db_path, engine, session, show_flash, user_errors
from storage.constants import RANK_COLUMNS
from storage.ranges import Ranges, to_limits
from storage.scores import count_scores, data_version


@st.cache_data(show_spinner=False, max_entries=2)
def scored_frame(db: str, version: tuple) -> pd.DataFrame:
    """The selection candidates (one row per scored scene), read again only when a new score run finished."""
    return candidates(engine=engine())


st.title("Filter")
show_flash("filter_flash")
with session() as s:
    scored = count_scores(session=s)
    version = data_version(session=s)
if not scored:
    st.info(
        "No scores yet. Generate rationales and predictions for both roles, then run `python -m core score` "
        "(or build the demo workspace on Overview)."
    )
    st.stop()

scored_scenes = scored_frame(db_path(), version)
frame = train_only(scored_scenes)  # what the sliders and plots show; the preview counts the eval scenes it leaves out
columns = list(RANK_COLUMNS)

url = selection_from_params(st.query_params.to_dict(), columns)
default_target = min(10_000, scored)


def seed(key: str, value) -> None:
    """Start a widget at the URL's value the first time it is drawn (widgets then take no default argument)."""
    if key not in st.session_state:
        st.session_state[key] = value


controls, views = st.columns([1, 3])
with controls:
    seed("rank_column", url.column)
    column = st.selectbox("Rank by", columns, key="rank_column")
    seed("rank_dir", "smaller first" if url.ascending else "larger first")
    ascending = st.radio("Direction", ["larger first", "smaller first"], key="rank_dir") == "smaller first"
    seed("target", url.target or default_target)
    target = st.number_input("Target size", min_value=1, step=100, key="target")
    seed("threshold_columns", url.on)
    limited = st.multiselect("Thresholds on", columns, key="threshold_columns")
    ranges: Ranges = {}
    for name in limited:
        values = frame[name].astype(float)
        low, high = float(values.min()), float(values.max())
        if high <= low:
            st.caption(f"{name}: every scene has {low:g}")
            continue
        seed(f"th_{name}", slider_start(url.ranges.get(name, (None, None)), low, high))
        chosen = st.slider(name, min_value=low, max_value=high, key=f"th_{name}")
        if (found := slider_range(chosen, low, high)) is not None:
            ranges[name] = found

shown = SelectionView(column, ascending, None if target == default_target else int(target), limited, ranges)
for key in [k for k in st.query_params if is_selection_key(k)]:
    del st.query_params[key]
st.query_params.update(selection_to_params(shown))

mins, maxs = to_limits(ranges)
config = SelectionConfig(column=column, ascending=ascending, target=int(target), mins=mins, maxs=maxs)
with user_errors():
    result = preview_selection(engine=engine(), config=config, frame=scored_scenes)
    kept_ids = result.kept["scene_id"].to_numpy()
    with views:
        kept = len(result.kept)
        st.markdown(
            figures_row({"Scored scenes": result.considered, "Kept": kept, "Dropped": result.considered - kept})
        )
        cut = float(result.kept["rank_value"].iloc[-1]) if len(result.kept) else None
        histogram = ranking_histogram(
            frame[column].to_numpy(dtype=float),
            column=column,
            low=mins.get(column),
            high=maxs.get(column),
            cut=cut,
            reasons=result.reasons.reindex(frame.index).to_numpy(),
        )
        plotly_chart(histogram, key="hist")
        # Two charts, not three: the kept counts per dataset and exposure length are a table (a bar chart of the same
        # numbers cost each page visit and threshold move a third plotly redraw).
        left, right = st.columns(2)
        plotly_chart(entropy_map(frame, kept_ids), key="entropy_map", where=left)
        with right:
            st.caption("Dropped, by reason (checked in this order)")
            drops = [{"reason": why, "scenes": n} for why, n in result.drops.items()]
            st.markdown(markdown_table(drops, ["reason", "scenes"]))  # no data-grid chunk for a fresh tab
            st.caption("Kept, by exposure length (options on screen) and dataset")
            st.markdown(frame_table(group_table(result.kept_by_group)))
        for note in result.notes:
            st.caption(note)

    with st.form("save_selection"):
        name = st.text_input("Selection name", key="selection_name")
        replace = st.checkbox("Replace a selection of the same name", key="selection_replace")
        if st.form_submit_button("Save selection", type="primary"):
            if not name.strip():
                st.error("Give the selection a name.")
            else:
                config.name = name.strip()
                saved = save_selection(engine=engine(), config=config, replace=replace)
                st.session_state["filter_flash"] = (
                    "success",
                    f"Saved selection {config.name}: {len(saved.kept)} scenes.",
                )
                st.rerun()
