"""Review page pieces for a double-review scene: the blind verdict (Approve / Reject record yours only, the other
reviewer's stays hidden until both are in), the outcome, and an admin's decision on a disagreement. Layout only."""

import streamlit as st

from core.app_support import escape_markdown
from core.double_review import adjudicate, give_blind_verdict
from core.errors import MirrorError
from pages import drafts
from pages.ui import reviewer, session
from storage.constants import ADMIN, APPROVED, REJECTED
from storage.double_review import blind_verdicts, get_adjudication, is_double
from storage.reviewers import get_reviewer


def blind_action(status: str, scene: int) -> None:
    """Approve / Reject on a double-review scene: this reviewer's blind verdict, with the note."""
    slot = drafts.note_slot(scene)
    note = st.session_state.get(slot.widget) or None
    try:
        with session() as s:
            verdicts = give_blind_verdict(session=s, scene_id=scene, reviewer=reviewer(), status=status, note=note)
        drafts.saved(slot, version=st.session_state[slot.base].version, text=note or "")
        left = 2 - len(verdicts)
        tail = f"{left} more blind verdict to come." if left else "both verdicts are in."
        st.session_state["review_flash"] = ("success", f"Scene {scene}: your blind verdict {status} is saved; {tail}")
    except MirrorError as exc:
        st.session_state["review_flash"] = ("error", str(exc))


def _decide(scene: int, status: str) -> None:
    note = st.session_state.get(f"adjudicate_note_{scene}") or None
    try:
        with session() as s:
            adjudicate(session=s, scene_id=scene, status=status, admin=reviewer(), note=note)
        st.session_state["review_flash"] = ("success", f"Scene {scene}: decided {status}.")
    except MirrorError as exc:
        st.session_state["review_flash"] = ("error", str(exc))


def double_review(scene_id: int) -> bool:
    """Whether the scene is in double review (and so blind while fewer than two verdicts are in)."""
    with session() as s:
        return is_double(session=s, scene_id=scene_id)


def double_section(scene_id: int) -> bool:
    """What a reviewer may see of a double-review scene; True while it is blind (others' verdicts hidden)."""
    me = reviewer()
    with session() as s:
        verdicts = blind_verdicts(session=s, scene_id=scene_id)
        decided = get_adjudication(session=s, scene_id=scene_id)
        found = get_reviewer(session=s, name=me)
        admin = found is not None and found.role == ADMIN
    mine = next((v for v in verdicts if v.reviewer == me), None)
    if len(verdicts) < 2:
        yours = f"your verdict: {mine.status}" if mine else "you have not given yours"
        st.info(
            f"Double review (blind): two reviewers judge this scene without seeing each other's verdict; "
            f"{len(verdicts)} of 2 given, {yours}. Approve / Reject record your blind verdict."
        )
        return True
    said = escape_markdown(" · ".join(f"{v.reviewer}: {v.status}" for v in verdicts))
    if verdicts[0].status == verdicts[1].status:
        st.caption(f"Double review: both agree ({said}).")
    elif decided:
        st.caption(f"Double review: {said}; decided {decided.status} by {escape_markdown(decided.admin)}.")
    else:
        st.warning(f"Double review disagrees ({said}): an admin decides.")
        if admin:
            cols = st.columns([3, 1, 1])
            cols[0].text_input("Decision note", key=f"adjudicate_note_{scene_id}")
            cols[1].button("Decide: approve", key="decide_approve", on_click=_decide, args=(scene_id, APPROVED))
            cols[2].button("Decide: reject", key="decide_reject", on_click=_decide, args=(scene_id, REJECTED))
    return False
