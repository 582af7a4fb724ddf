"""Drafts that remember where they began (Review page): a rationale edit and a verdict with its note are checked
against the version the reviewer was shown when the draft began, never the one the database holds at the moment of
the click. A save refused as stale stays refused until the reviewer reloads (drops the draft) or merges (takes the
newer version as the draft's base, having seen it beside the draft).

A draft lives in the session while the page runs and in the database (storage/drafts.py, per reviewer) from its
widget's every change, so a reload, another tab or a walk to other scenes brings it back with its base version; it
is deleted once saved (an edit, a verdict with its note) or discarded. Layout only."""

from dataclasses import dataclass

import streamlit as st

from core.app_support import escape_markdown
from core.errors import MirrorError
from pages.ui import reviewer, session
from storage.constants import RATIONALE_EDIT, REVIEW_NOTE
from storage.drafts import DraftPlace, delete_draft, draft_places, save_draft, scene_drafts

STORED = "drafts_stored"  # session key: (scene id, {(kind, target): ReviewDraft}), this run's reviewer's (load)


@dataclass(frozen=True)
class Base:
    """The stored version a draft began from and its text (the rationale text, or the review note)."""

    version: int
    text: str


@dataclass(frozen=True)
class Slot:
    """One draft's place: its widget and base keys in the session, and its row key in the database."""

    widget: str
    base: str
    kind: str
    target: int
    scene: int


def edit_slot(rationale_id: int, scene_id: int) -> Slot:
    return Slot(f"edit_{rationale_id}", f"edit_base_{rationale_id}", RATIONALE_EDIT, rationale_id, scene_id)


def note_slot(scene_id: int) -> Slot:
    return Slot(f"note_{scene_id}", f"review_base_{scene_id}", REVIEW_NOTE, scene_id, scene_id)


def load(scene_id: int) -> None:
    """Read this reviewer's stored drafts of the scene (one query), for begin() to restore in this run."""
    me = reviewer()
    with session() as s:
        st.session_state[STORED] = (scene_id, scene_drafts(session=s, reviewer=me, scene_id=scene_id))


def _stored(slot: Slot):
    scene, found = st.session_state.get(STORED, (None, {}))
    return found.get((slot.kind, slot.target)) if scene == slot.scene else None


def has_draft(slot: Slot) -> bool:
    """Whether the reviewer keeps an unsaved draft of this slot (as read by load in this run)."""
    return _stored(slot) is not None


def open_drafted(scene_id: int, open_rationale) -> None:
    """Once each time a scene is shown anew (not on its reruns): open the panels of its rationales the reviewer keeps
    a draft of, so the draft is in sight."""
    if st.session_state.get("drafts_opened") == scene_id:
        return
    st.session_state["drafts_opened"] = scene_id
    scene, found = st.session_state.get(STORED, (None, {}))
    for kind, target in found if scene == scene_id else ():
        if kind == RATIONALE_EDIT:
            open_rationale(target)


def begin(slot: Slot, *, version: int, text: str, keep_untouched: bool = False) -> Base:
    """The draft's base. When the widget is not in the session (its first showing in this tab, or again after the
    page showed other scenes): the reviewer's stored draft with its base when there is one, else the stored text
    (version) as a new base. Kept on every later rerun. keep_untouched: a draft never changed from its base follows a
    newer stored version instead (nothing was typed, so nothing can be lost or overwritten)."""
    state = st.session_state
    known = state.get(slot.base)
    if slot.widget not in state and (row := _stored(slot)) is not None:
        state[slot.base] = known = Base(row.base_version, row.base_text)
        state[slot.widget] = row.text
        return known
    untouched = known is not None and state.get(slot.widget) == known.text
    if slot.widget not in state or known is None or (keep_untouched and untouched and known.version != version):
        state[slot.base] = known = Base(version, text)
        state[slot.widget] = text
    return known


def keep(slot: Slot) -> None:
    """The widget's on_change: keep the draft in the database with its base (drop it when it is back to the base
    text: nothing is unsaved). A read-only reviewer is told it is not kept."""
    text, began = st.session_state.get(slot.widget) or "", st.session_state.get(slot.base)
    me = reviewer()
    try:
        with session() as s:
            if began is None or text == began.text:
                delete_draft(session=s, reviewer=me, kind=slot.kind, target_id=slot.target)
            else:
                save_draft(
                    session=s,
                    reviewer=me,
                    kind=slot.kind,
                    target_id=slot.target,
                    scene_id=slot.scene,
                    text=text,
                    base_version=began.version,
                    base_text=began.text,
                )
    except MirrorError as exc:
        st.session_state["review_flash"] = ("error", f"Your draft is not kept: {exc}")


def saved(slot: Slot, *, version: int, text: str) -> None:
    """After the reviewer's own save: the saved version is the new base, and no draft is left unsaved."""
    st.session_state[slot.base] = Base(version, text)
    with session() as s:
        delete_draft(session=s, reviewer=reviewer(), kind=slot.kind, target_id=slot.target)


def merge(slot: Slot, *, version: int, text: str) -> None:
    """Take a newer stored version as the draft's base (the reviewer has seen it beside the draft); the kept draft
    follows."""
    st.session_state[slot.base] = Base(version, text)
    keep(slot)


def forget(slot: Slot) -> None:
    """Drop the draft, here and in the database: the next run shows the stored version and begins again from it."""
    st.session_state.pop(slot.widget, None)
    st.session_state.pop(slot.base, None)
    with session() as s:
        delete_draft(session=s, reviewer=reviewer(), kind=slot.kind, target_id=slot.target)


def _place(place: DraftPlace) -> str:
    if place.kind == REVIEW_NOTE:
        return "review note"
    return f"rationale {place.role} #{place.sample_index}"


def places() -> list[DraftPlace]:
    """Where this reviewer's unsaved drafts are, across scenes."""
    with session() as s:
        return draft_places(session=s, reviewer=reviewer())


def warn_leaving(scene_id: int) -> None:
    """Before leaving a scene (Previous, Next, the queue, Back to the list): when the reviewer has unsaved drafts on
    it, say they are kept and where, on the page shown next."""
    here = [p for p in places() if p.scene_id == scene_id]
    if here:
        what = ", ".join(_place(p) for p in here)
        st.session_state["drafts_flash"] = (
            f"You left unsaved drafts on scene {scene_id} ({what}). They are kept: open scene {scene_id} again "
            "(see “Your unsaved drafts” on Review) to save or discard them."
        )


def show_left_behind() -> None:
    """The warning warn_leaving left for the page shown next (Review, or Samples after Back to the list)."""
    if note := st.session_state.pop("drafts_flash", None):
        st.warning(escape_markdown(note))


def drafts_list(*, scene_id: int, link_params: dict[str, str]) -> None:
    """The warning left by warn_leaving, and the reviewer's unsaved drafts with a link to each other scene."""
    show_left_behind()
    found = places()
    if not found:
        return
    by_scene: dict[int, list[str]] = {}
    for place in found:
        by_scene.setdefault(place.scene_id, []).append(_place(place))
    with st.container(border=True, key="my_drafts"):
        st.caption("Your unsaved drafts (kept for you; save or discard them on their scene)")
        for scene, what in by_scene.items():
            label = f"Scene {scene}: {', '.join(what)}"
            if scene == scene_id:
                st.markdown(escape_markdown(f"{label} (this scene)"))
            else:
                st.page_link("review.py", label=label, query_params={**link_params, "scene": str(scene)})
