"""Overview's double-review section: agreement (Cohen's kappa per pair, Krippendorff's alpha), reviewer throughput and
approve rate, the adjudication queue, and marking a share of a selection for blind double review. Layout only."""

import streamlit as st

from core.agreement import Agreement, agreement
from core.errors import MirrorError
from core.markdown_table import decimals, figures_row, markdown_table, percent
from core.settings import load_settings
from pages.ui import reviewer, session, show_flash
from storage.double_review import adjudication_queue, agreement_token, mark_double
from storage.selections import list_selections

PAIR_COLUMNS = ("pair", "scenes", "agree", "kappa")
PAIR_FORMATS = {"agree": percent, "kappa": decimals(3)}
REVIEWER_COLUMNS = ("reviewer", "verdicts", "approve rate", "per active hour")
MARK_OPEN = "double_mark_open"  # session key: the expander that marks a selection for double review is open
QUEUE_SHOWN = 10  # the adjudication queue's rows shown at a glance


@st.cache_data(show_spinner=False, max_entries=4)
def _agreement(db: str, token: tuple) -> tuple[Agreement, list[dict]]:
    """The figures and the queue's first rows, recomputed only when a verdict, review or decision changed."""
    with session() as s:
        return agreement(session=s), adjudication_queue(session=s)


def _mark(selections: dict[str, int]) -> None:
    name, percent = st.session_state["double_selection"], int(st.session_state["double_percent"])
    try:
        with session() as s:
            marked = mark_double(session=s, selection_id=selections[name], percent=percent, by=reviewer())
        st.session_state["agreement_flash"] = ("success", f"Selection {name}: {marked} scenes in double review.")
    except MirrorError as exc:
        st.session_state["agreement_flash"] = ("error", str(exc))


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def agreement_section(db: str) -> None:
    """The section, under its own subheader."""
    st.subheader("Double review and agreement")
    show_flash("agreement_flash")
    with session() as s:
        token = agreement_token(session=s)
        selections = {sel.name: sel.id for sel in list_selections(session=s)}
    found, queue = _agreement(db, token)
    figures = {
        "Krippendorff's alpha": _number(found.alpha),
        "Double-reviewed scenes": found.scenes,
        "Waiting for an admin": found.waiting,
        "Decided by an admin": found.decided,
    }
    st.markdown(figures_row(figures))  # one row, not four st.metric (core/markdown_table.py says why)
    if found.pairs:
        st.markdown(markdown_table(found.pairs, PAIR_COLUMNS, formats=PAIR_FORMATS, headers={"kappa": "Cohen's kappa"}))
    else:
        st.caption("No scene has two blind verdicts yet.")
    if found.reviewers:
        st.markdown(
            markdown_table(
                found.reviewers,
                REVIEWER_COLUMNS,
                formats={"approve rate": percent, "per active hour": decimals(1)},
                headers={"per active hour": "verdicts per active hour"},
            )
        )
    if queue:
        _queue(queue, found.waiting)
    if not selections:
        return
    # Built only when opened: its selectbox, number input and button cost each fresh Overview tab ~0.15-0.25 x of a
    # bare page's (paired in Chromium, 100,000 scenes: 1.26-1.40 x with them drawn, 1.06-1.14 x without).
    mark = st.expander("Mark a share of a selection for blind double review", key=MARK_OPEN, on_change="rerun")
    if mark.open:
        cols = mark.columns([2, 1, 1])
        cols[0].selectbox("Selection", list(selections), key="double_selection")
        cols[1].number_input(
            "Percent blind to two reviewers",
            min_value=0,
            max_value=100,
            value=load_settings().double_review_percent,
            key="double_percent",
        )
        cols[2].button("Mark for double review", key="mark_double", on_click=_mark, args=(selections,))


def _queue(queue: list[dict], waiting: int) -> None:
    """The queue's first QUEUE_SHOWN scenes; the rest (up to adjudication_queue's limit) in an expander whose body is
    built only when it is opened (on_change="rerun"): a long table would push the controls below it off the page."""
    st.caption("Adjudication queue: the two verdicts disagree; an admin opens the scene and decides")
    st.markdown(_queue_table(queue[:QUEUE_SHOWN]))
    if len(queue) > QUEUE_SHOWN:
        label = f"{len(queue) - QUEUE_SHOWN} more of the {waiting} waiting (the first {len(queue)} by scene id)"
        more = st.expander(label, key="adjudication_more", on_change="rerun")
        if more.open:
            more.markdown(_queue_table(queue[QUEUE_SHOWN:]))


def _queue_table(rows: list[dict]) -> str:
    return markdown_table(rows, ("open", "scene_id", "verdicts"), links={"open": _review_link})


def _review_link(row: dict) -> tuple[str, str]:
    return "review", f"review?scene={int(row['scene_id'])}"
