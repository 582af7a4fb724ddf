"""Overview's double-review section: agreement (Cohen's kappa per pair, Krippendorff's alpha), reviewer throughput and
approve rate, the adjudication queue, and marking a share of a selection for blind double review. Layout only."""

import pandas as pd
import streamlit as st

from core.agreement import Agreement, agreement
from core.errors import MirrorError
from core.settings import load_settings
from pages.ui import reviewer, session, show_flash
from storage.double_review import adjudication_queue, agreement_token, mark_double
from storage.selections import list_selections


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
    cols = st.columns(4)
    cols[0].metric("Krippendorff's alpha", _number(found.alpha))
    cols[1].metric("Double-reviewed scenes", found.scenes)
    cols[2].metric("Waiting for an admin", found.waiting)
    cols[3].metric("Decided by an admin", found.decided)
    if found.pairs:
        pairs = pd.DataFrame(found.pairs)
        st.dataframe(pairs, hide_index=True, key="agreement_pairs", column_config=_kappa_columns())
    else:
        st.caption("No scene has two blind verdicts yet.")
    if found.reviewers:
        st.dataframe(
            pd.DataFrame(found.reviewers),
            hide_index=True,
            key="reviewer_stats",
            column_config={
                "approve rate": st.column_config.NumberColumn(format="percent"),
                "per active hour": st.column_config.NumberColumn("verdicts per active hour", format="%.1f"),
            },
        )
    if queue:
        st.caption("Adjudication queue: the two verdicts disagree; an admin opens the scene and decides")
        frame = pd.DataFrame(queue)
        frame.insert(0, "open", [f"review?scene={sid}" for sid in frame["scene_id"]])
        st.dataframe(
            frame,
            hide_index=True,
            key="adjudication_queue",
            column_config={"open": st.column_config.LinkColumn("open", display_text="review")},
        )
    if selections:
        cols = st.columns([2, 1, 1])
        cols[0].selectbox("Selection", list(selections), key="double_selection")
        cols[1].number_input(
            "Percent blind to two reviewers",
            min_value=0,
            max_value=100,
            value=load_settings().double_review_percent,
            key="double_percent",
        )
        cols[2].button("Mark for double review", key="mark_double", on_click=_mark, args=(selections,))


def _kappa_columns() -> dict:
    return {
        "agree": st.column_config.NumberColumn("agree", format="percent"),
        "kappa": st.column_config.NumberColumn("Cohen's kappa", format="%.3f"),
    }
