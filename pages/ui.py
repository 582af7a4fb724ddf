"""Shared page wiring: the cached engine, sessions, the reviewer name and error display. Layout only."""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.app_support import escape_markdown
from core.errors import MirrorError
from core.settings import load_settings
from storage.db import busy_is_an_error, open_engine, session_scope


def db_path() -> str:
    """The database the app works on: the MIRROR_DB setting (core/settings.py)."""
    return load_settings().db


@st.cache_resource(show_spinner=False)
def _engine(db: str) -> Engine:
    return open_engine(db)


def engine() -> Engine:
    """The one engine for this database (cached across reruns and sessions); a database that cannot be opened is
    one error line (password masked) and the page stops."""
    try:
        return _engine(db_path())
    except MirrorError as exc:
        st.error(escape_markdown(str(exc)))
        st.stop()


def session() -> AbstractContextManager[Session]:
    """A session on the app's engine that commits on success (storage.db.session_scope)."""
    return session_scope(engine())


def reviewer() -> str:
    """The reviewer name recorded on reviews and edits (set on Settings)."""
    if "reviewer" not in st.session_state:
        st.session_state["reviewer"] = load_settings().reviewer
    return st.session_state["reviewer"]


@contextmanager
def user_errors() -> Iterator[None]:
    """Show expected failures as one st.error line instead of a traceback.

    SQLite's "database is locked" (a long pipeline write held the lock past the busy timeout) is expected too: it is
    DatabaseBusy, the same error the CLI prints.
    """
    try:
        with busy_is_an_error():
            yield
    except MirrorError as exc:
        st.error(escape_markdown(str(exc)))


def show_flash(key: str) -> None:
    """Show (and clear) a message a callback left in session state as (kind, text); text is escaped."""
    if flash := st.session_state.pop(key, None):
        kind, text = flash
        (st.success if kind == "success" else st.error)(escape_markdown(text))
