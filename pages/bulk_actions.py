"""Samples page piece: a bulk action on every scene the filters match (all pages): approve, reject, assign to a
reviewer or unassign, after a confirmation that states N; one undo of your last one. Layout only; the rules are
core/bulk_review.py's."""

import streamlit as st

from core.bulk_review import bulk_assign_to, bulk_review, bulk_skipped, bulk_unassign_from, undo_last
from pages.ui import reviewer, session, user_errors
from storage.browse import SceneFilter
from storage.bulk_review import last_bulk_action
from storage.constants import ASSIGN, UNASSIGN, VERDICTS

ACTIONS = [*VERDICTS, ASSIGN, UNASSIGN]


def _apply(kind: str, flt: SceneFilter, total: int, who: str | None) -> None:
    common = {"flt": flt, "reviewer": reviewer(), "expected": total}
    with user_errors():
        with session() as s:
            if kind in VERDICTS:
                skipped, why = bulk_skipped(session=s, flt=flt, reviewer=reviewer())
                done = bulk_review(session=s, status=kind, **common)
                line = f"Bulk {kind} #{done.id}: {done.scenes} scenes."
                line += f" {skipped} of the {total} skipped: {why}." if skipped else ""
            elif kind == ASSIGN:
                done = bulk_assign_to(session=s, assignee=who or "", **common)
                line = f"Bulk assign #{done.id}: {done.scenes} scenes newly assigned to {who}."
            else:
                done = bulk_unassign_from(session=s, assignee=who, **common)
                line = f"Bulk unassign #{done.id}: {done.scenes} assignments removed."
        st.session_state["samples_flash"] = ("success", line)
        st.rerun()


BULK_OPEN = "bulk_open"  # session key: the bulk expander is open


def bulk_section(*, flt: SceneFilter, total: int) -> None:
    """The expander with the action, the N-stating confirmation, apply and undo. Its body is built only while it is
    open: drawn closed on every Samples run, its widgets and two counts over the filter cost sidebar -> Samples about
    0.06-0.15 s (100,000 scenes, Chromium). A changed N is a new expander, closed: the confirmation is asked again."""
    box = st.expander(f"Bulk action on all {total} matching scenes", key=BULK_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        st.caption("Applies to every scene these filters match, on every page, not only the rows shown; one undo.")
        kind = st.radio("Action", ACTIONS, horizontal=True, key="bulk_status")
        who, why = None, ""
        if kind == ASSIGN:
            who = st.text_input("Assign to (reviewer name)", value=reviewer(), key="bulk_assignee").strip()
            what = f"assign {total} scenes to {who}"
        elif kind == UNASSIGN:
            who = st.text_input("Unassign from (empty: everyone)", key="bulk_unassignee").strip() or None
            what = f"unassign {total} scenes from {who or 'everyone'}"
        else:
            with session() as s:
                skipped, why = bulk_skipped(session=s, flt=flt, reviewer=reviewer())
            what = f"set {total - skipped} of the {total}" if skipped else f"set {total}"
            what += f" scenes to {kind}"
            why = f" ({skipped} skipped: {why})" if skipped else ""
        sure = st.checkbox(f"Yes, {what}{why}", key=f"bulk_ok_{total}_{kind}" + (f"_{who}" if who else ""))
        if st.button(what[0].upper() + what[1:], disabled=not sure, key="bulk_apply"):
            _apply(kind, flt, total, who)
        with session() as s:
            last = last_bulk_action(session=s, reviewer=reviewer())
        unit = "scenes" if last is None or last.status in VERDICTS else "assignments"
        if last is not None and st.button(
            f"Undo bulk {last.status} #{last.id} ({last.scenes} {unit})", key="bulk_undo"
        ):
            with user_errors():
                with session() as s:
                    line = undo_last(session=s, reviewer=reviewer())
                st.session_state["samples_flash"] = ("success", line)
                st.rerun()
