"""Samples: a filtered, sorted, paginated scene table (all in SQL); selecting a row opens it in Review."""

import math

import streamlit as st

from core.app_support import (
    PAGE_SIZE,
    filter_from_params,
    filter_to_params,
    is_filter_key,
    slider_range,
    slider_start,
)
from core.markdown_table import figures_row
from pages.bulk_actions import bulk_section
from pages.drafts import show_left_behind
from pages.ui import db_path, session, show_flash, user_errors
from storage.browse import (
    PRESETS,
    SORT_COLUMNS,
    SceneFilter,
    SceneOrder,
    filter_choices,
    list_scenes,
    score_ranges,
)
from storage.constants import DEFAULT_RANK, RANK_COLUMNS, STATUSES
from storage.ranges import Ranges
from storage.scores import data_version

ALL = "(all)"
TABLE_COLUMNS = [
    "scene_id",
    "dataset",
    "split",
    "choice_cnt",
    "status",
    DEFAULT_RANK,
    "strong_hit",
    "weak_hit",
    "strong_E",
    "weak_E",
    "problems",
]


def pick(label: str, options: list, current, key: str):
    """A selectbox with an (all) entry; returns None for (all)."""
    choices = [ALL, *options]
    index = choices.index(current) if current in choices else 0
    value = st.selectbox(label, choices, index=index, key=key)
    return None if value == ALL else value


@st.cache_data(show_spinner=False, max_entries=4)
def cached_bounds(db: str, version: tuple) -> dict[str, tuple[float, float]]:
    """The score sliders' bounds (min and max of 20 columns over every score): read again after a score run."""
    with session() as s:
        return score_ranges(session=s)


st.title("Samples")
show_flash("samples_flash")
show_left_behind()  # unsaved drafts left on Review (pages/drafts.py)
url_filter, url_order, url_page = filter_from_params(st.query_params.to_dict())
with session() as s:
    choices = filter_choices(session=s)
    bounds = cached_bounds(db_path(), data_version(session=s))

if not choices["datasets"]:
    st.info(
        "No scenes yet. Build the demo workspace on the Overview page, or run `python -m core ingest` and "
        "`python -m core scenes` to load real data."
    )
    st.stop()

row1 = st.columns(6)
with row1[0]:
    dataset = pick("Dataset", choices["datasets"], url_filter.dataset, "f_ds")
with row1[1]:
    split = pick("Split", choices["splits"], url_filter.split, "f_split")
with row1[2]:
    status = pick("Review status", list(STATUSES), url_filter.status, "f_status")
with row1[3]:
    length = pick("Exposure length", choices["lengths"], url_filter.choice_cnt, "f_len")
with row1[4]:
    selection = pick("Selection", choices["selections"], url_filter.selection, "f_sel")
with row1[5]:
    preset = pick("Preset", list(PRESETS), url_filter.preset, "f_preset")
row2 = st.columns([3, 2, 1])
with row2[0]:
    search = st.text_input("Search profile, history and options", value=url_filter.search or "", key="f_q")
with row2[1]:
    sort_names = list(SORT_COLUMNS)
    sort = st.selectbox("Sort by", sort_names, index=sort_names.index(url_order.column), key="f_sort")
with row2[2]:
    descending = st.toggle("Descending", value=url_order.descending, key="f_desc")

ranges: Ranges = {}
if bounds:
    # Twenty sliders cost every run and the browser: drawn only while the panel is open. Closed, the URL's ranges
    # apply exactly as the sliders would read them (the URL is rewritten from them on every run).
    panel = st.expander("Score ranges", expanded=bool(url_filter.ranges), key="f_ranges", on_change="rerun")
    range_cols = panel.columns(4) if panel.open else []
    for k, name in enumerate(RANK_COLUMNS):
        low, high = bounds[name]
        if high <= low:
            continue
        start = slider_start(url_filter.ranges.get(name, (None, None)), low, high)
        if range_cols:
            chosen = range_cols[k % 4].slider(name, min_value=low, max_value=high, value=start, key=f"f_r_{name}")
        else:
            chosen = start
        if (found := slider_range(chosen, low, high)) is not None:
            ranges[name] = found

flt = SceneFilter(
    dataset=dataset,
    split=split,
    status=status,
    choice_cnt=length,
    selection=selection,
    preset=preset,
    search=search or None,
    ranges=ranges,
)
order = SceneOrder(column=sort, descending=descending)
page = url_page if filter_to_params(flt, order) == filter_to_params(url_filter, url_order) else 0

with user_errors(), session() as s:  # a failed commit (locked database) is shown as one error too
    listing = list_scenes(session=s, flt=flt, order=order, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, math.ceil(listing.total / PAGE_SIZE))
    if page >= pages:
        page = pages - 1
        listing = list_scenes(session=s, flt=flt, order=order, offset=page * PAGE_SIZE, limit=PAGE_SIZE)

    params = filter_to_params(flt, order, page)
    for key in [k for k in st.query_params if is_filter_key(k) and k not in params]:
        del st.query_params[key]
    st.query_params.update(params)

    st.markdown(figures_row({"Matching scenes": listing.total}))
    if listing.total == 0:
        st.info("No scene matches these filters. Clear a filter or choose another preset.")
        st.stop()
    nav = st.columns([1, 2, 1])
    if nav[0].button("Previous page", disabled=page == 0, key="page_prev"):
        st.query_params["page"] = str(page - 1)
        st.rerun()
    nav[1].caption(f"Page {page + 1} of {pages} · rows {page * PAGE_SIZE + 1}–{page * PAGE_SIZE + len(listing.rows)}")
    if nav[2].button("Next page", disabled=page + 1 >= pages, key="page_next"):
        st.query_params["page"] = str(page + 1)
        st.rerun()

    table = listing.rows[TABLE_COLUMNS]
    event = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="samples_table",
        column_config={"choice_cnt": "exposure", "problems": "format problems"},
    )
    picked = event.selection.rows if event is not None else []
    if picked:
        scene_id = int(table.iloc[picked[0]]["scene_id"])
        st.switch_page("review.py", query_params={**params, "scene": str(scene_id)})
    st.caption("Select a row to open the scene in Review.")

bulk_section(flt=flt, total=listing.total)
