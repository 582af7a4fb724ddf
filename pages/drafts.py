"""Drafts that remember where they began (Review page): a rationale edit and a verdict with its note are checked
against the version the reviewer was shown when the draft began, kept in the session across reruns, never the one
the database holds at the moment of the click. A save refused as stale stays refused until the reviewer reloads
(drops the draft) or merges (takes the newer version as the draft's base, having seen it beside the draft)."""

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Base:
    """The stored version a draft began from and its text (the rationale text, or the review note)."""

    version: int
    text: str


def begin(widget: str, base: str, *, version: int, text: str, keep_untouched: bool = False) -> Base:
    """The draft's base: captured (and the widget seeded with text) when the widget is not in the session yet, i.e.
    on the first showing; kept on every later rerun. keep_untouched: a draft never changed from its base follows a
    newer stored version instead (nothing was typed, so nothing can be lost or overwritten)."""
    known = st.session_state.get(base)
    untouched = known is not None and st.session_state.get(widget) == known.text
    if widget not in st.session_state or known is None or (keep_untouched and untouched and known.version != version):
        st.session_state[base] = known = Base(version, text)
        st.session_state[widget] = text
    return known


def rebase(base: str, *, version: int, text: str) -> None:
    """Take a newer version as the draft's base: after the reviewer's own save, or a merge."""
    st.session_state[base] = Base(version, text)


def forget(widget: str, base: str) -> None:
    """Drop the draft: the next run shows the stored version and begins again from it."""
    st.session_state.pop(widget, None)
    st.session_state.pop(base, None)
