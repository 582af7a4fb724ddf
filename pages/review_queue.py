"""Review page piece: the review queue (storage/queue.py) — the Samples filter's scenes still pending, in its order,
your assignments first; each pending scene held by one reviewer at a time under a short lease, renewed on every run
of the page. Layout only."""

import streamlit as st

from core.app_support import escape_markdown
from core.settings import load_settings
from pages import drafts
from pages.ui import reviewer, session
from storage.assignments import assigned_count
from storage.browse import SceneFilter, SceneOrder, first_scene_id
from storage.queue import claim_scene, next_scene, other_holder, queue_progress, release_scene

MINE = "mine"  # URL parameter: "1" = the queue is my assignments only
ADVANCE = "queue_advance"  # session key of "Move on after a verdict"
HELD = "queue_held"  # session key: (reviewer, scene) this browser session holds a lease on


def _lease() -> float:
    return float(load_settings().review_lease)


def mine_only() -> bool:
    return st.query_params.get(MINE) == "1"


def _next(s, flt: SceneFilter, order: SceneOrder, *, after: int | None = None) -> int | None:
    """Claim the next free pending scene of this reviewer's queue (storage.queue.next_scene)."""
    me, mine = reviewer(), mine_only()
    return next_scene(session=s, flt=flt, order=order, reviewer=me, mine_only=mine, after=after, lease_seconds=_lease())


def start(flt: SceneFilter, order: SceneOrder) -> int | None:
    """The scene to open without a ?scene= (put in the URL): the first free pending scene of the queue (now held),
    else the first scene of the filter."""
    with session() as s:
        found = _next(s, flt, order)
        found = found if found is not None else first_scene_id(session=s, flt=flt, order=order)
    if found is not None:
        st.query_params["scene"] = str(found)  # a reload stays on it
    return found


def hold(*, scene_id: int, pending: bool, flt: SceneFilter, order: SceneOrder) -> None:
    """Hold (renew) the lease on the pending scene shown; when another reviewer has it open, move to the next free
    scene of the queue (a rerun) saying why, or say no other is free."""
    me = reviewer()
    held = st.session_state.get(HELD)
    with session() as s:
        if held and held[0] != me:  # this browser switched identity: the lease it held under the old name goes
            release_scene(session=s, scene_id=held[1], reviewer=held[0])
            del st.session_state[HELD]
        if not pending:
            return
        if claim_scene(session=s, scene_id=scene_id, reviewer=me, lease_seconds=_lease()):
            st.session_state[HELD] = (me, scene_id)
            return
        holder = other_holder(session=s, scene_id=scene_id, reviewer=me)
        found = _next(s, flt, order, after=scene_id)
    who = escape_markdown(holder[0]) if holder else "another reviewer"
    if found is None:
        st.warning(f"Scene {scene_id} is open by {who}, and no other scene of this queue is free: a verdict here is "
                   "refused until their lease runs out.")  # fmt: skip
        return
    st.session_state["queue_flash"] = f"Scene {scene_id} is open by {who}: here is scene {found}, the next free one."
    st.query_params["scene"] = str(found)
    st.rerun()


def advance(*, scene_id: int, flt: SceneFilter, order: SceneOrder) -> None:
    """After a saved verdict (a callback): give back the scene's lease and, when "Move on after a verdict" is on, go
    to the next scene still needing review."""
    me = reviewer()
    with session() as s:
        release_scene(session=s, scene_id=scene_id, reviewer=me)
        if not st.session_state.get(ADVANCE, True):
            return
        found = _next(s, flt, order, after=scene_id)
    if found is not None:
        drafts.warn_leaving(scene_id)
        st.query_params["scene"] = str(found)


def _skip(scene_id: int, flt: SceneFilter, order: SceneOrder) -> None:
    with session() as s:
        found = _next(s, flt, order, after=scene_id)
    if found is None:
        st.session_state["queue_flash"] = "No other scene of this queue needs review (or all are open by others)."
    else:
        drafts.warn_leaving(scene_id)
        st.query_params["scene"] = str(found)


def _mine() -> None:
    if st.session_state["queue_mine"]:
        st.query_params[MINE] = "1"
    else:
        st.query_params.pop(MINE, None)


def queue_bar(*, scene_id: int, flt: SceneFilter, order: SceneOrder) -> None:
    """Progress (done / total), "my assignments", "move on after a verdict" and "Next to review"."""
    if note := st.session_state.pop("queue_flash", None):
        st.info(note)
    me = reviewer()
    with session() as s:
        done, total = queue_progress(session=s, flt=flt, order=order, reviewer=me, mine_only=mine_only())
        mine = assigned_count(session=s, reviewer=me)
    cols = st.columns([3, 2, 2, 2])
    how = f"sorted by {order.column}{' (descending)' if order.descending else ''}"
    scope = "your assignments" if mine_only() else f"the Samples filter, {mine} assigned to you first"
    cols[0].progress(done / total if total else 1.0)
    cols[0].caption(f"Queue: {done} / {total} reviewed · {scope}, {how}")
    st.session_state["queue_mine"] = mine_only()
    cols[1].toggle("My assignments only", key="queue_mine", on_change=_mine)
    cols[2].toggle("Move on after a verdict", value=True, key=ADVANCE)
    cols[3].button("Next to review", shortcut="N", key="queue_next", on_click=_skip, args=(scene_id, flt, order))
