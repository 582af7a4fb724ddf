"""Shared page wiring: the cached engine, sessions, who is reviewing (the signed-in user, or the sidebar's choice kept
in the URL), error display. Layout only."""

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.app_support import escape_markdown
from core.errors import BadInput, MirrorError
from core.llm.warm import WarmModel
from core.settings import load_settings
from core.sign_in import identity, sign_in_required
from storage.constants import READ_ONLY
from storage.db import busy_is_an_error, open_engine, session_scope
from storage.reviewers import clean_name, ensure_reviewer, list_reviewers

# The URL query parameter that keeps the chosen identity across reloads and shared links.
REVIEWER_PARAM = "reviewer"


def db_path() -> str:
    """The database the app works on: the MIRROR_DB setting (core/settings.py)."""
    return load_settings().db


@st.cache_resource(show_spinner=False)
def _engine(db: str) -> Engine:
    return open_engine(db)


@st.cache_resource(show_spinner=False)
def warm_model() -> WarmModel:
    """The embedded model shared by every session of this app process (started on demand, kept until the app stops)."""
    return WarmModel()


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


def auth_configured() -> bool:
    """Whether an OpenID Connect provider is configured: an [auth] section in the secrets (.streamlit/secrets.toml).
    No secrets file is no provider; a secrets file that cannot be read is BadInput, never a silent open app."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError as exc:  # Streamlit's "no secrets" error is one, also for a file it cannot parse
        if any(os.path.exists(path) for path in st.get_option("secrets.files")):
            raise BadInput(f"the secrets file cannot be read, so sign-in cannot be set up: {exc}") from None
        return False


def sign_in_needed() -> bool:
    """Whether every page waits for sign-in (core.sign_in.sign_in_required over this server's configuration)."""
    return sign_in_required(
        auth_configured=auth_configured(),
        address=st.get_option("server.address"),
        forced=load_settings().require_login,
    )


def signed_in() -> str | None:
    """The signed-in user's reviewer name (core.sign_in.identity of st.user's claims), or None when nobody is."""
    claims = st.user.to_dict()
    return identity(claims) if claims.get("is_logged_in") else None


def reviewer() -> str:
    """Who is reviewing, recorded on every verdict, edit and export: the signed-in user; without sign-in the
    ?reviewer= URL parameter (so a reload keeps it), else this session's choice, else the MIRROR_REVIEWER setting. An
    unusable name in the URL is ignored."""
    if (me := signed_in()) is not None:
        return me
    state = st.session_state
    from_url = st.query_params.get(REVIEWER_PARAM)
    if from_url and from_url != state.get("reviewer"):
        with suppress(BadInput):
            state["reviewer"] = clean_name(from_url)
    if "reviewer" not in state:
        state["reviewer"] = load_settings().reviewer
    return state["reviewer"]


def set_reviewer(name: str) -> None:
    """Switch this session's identity and put it in the URL; BadInput for an unusable name or a signed-in user."""
    if (me := signed_in()) is not None:
        raise BadInput(f"you are signed in as {me}: sign out to work under another name")
    st.session_state["reviewer"] = clean_name(name)
    st.query_params[REVIEWER_PARAM] = st.session_state["reviewer"]


def _pick_reviewer() -> None:
    set_reviewer(st.session_state["reviewer_pick"])


REVIEWER_MENU = "reviewer_menu"  # session key: the sidebar's identity expander is open


def reviewer_picker() -> None:
    """The sidebar's identity: an expander labelled with the name and role, whose body (the registered reviewers to
    switch to; a new name is added on Settings) is built only while it is open. A selectbox drawn on every page cost
    each fresh tab about 0.1 s in Chromium (the Overview over the bare page: 1.22-1.28x with it, 1.07-1.17x without,
    bench/bench_agreement.py). The name is written to the URL on every page, and a read-only user is told writes will
    be refused."""
    name = reviewer()
    try:
        with session_scope(_engine(db_path())) as s:
            roles = {r.name: r.role for r in list_reviewers(session=s)}
    except MirrorError:  # the page itself shows why the database cannot be opened
        roles = {}
    role = roles.get(name)
    menu = st.expander(f"Reviewer: {escape_markdown(name)} · {role or 'new'}", key=REVIEWER_MENU, on_change="rerun")
    if menu.open:
        with menu:
            if st.session_state.get("reviewer_pick") != name:
                st.session_state["reviewer_pick"] = name
            # Options are shown as they are: a label that changes between runs (say "ann (new)" -> "ann (reviewer)"
            # after the first verdict) made the browser send the old label back as the value, recorded as the
            # reviewer's name.
            names = sorted({*roles, name})
            st.selectbox("Reviewer", names, key="reviewer_pick", on_change=_pick_reviewer)
            st.caption(f"Role: {role or 'new (registered on the first write)'}")
    if st.query_params.get(REVIEWER_PARAM) != name:
        st.query_params[REVIEWER_PARAM] = name
    if role == READ_ONLY:
        st.caption("Read-only: you can look; reviews, edits and exports are refused.")


def sign_in_screen() -> None:
    """What a visitor sees instead of any page until they sign in (st.login with the [auth] provider); stops the run.
    Without a provider configured the app says so and shows nothing else."""
    st.title("Mirror Studio")
    if not auth_configured():
        address = st.get_option("server.address") or "every interface"
        st.error(
            escape_markdown(
                f"This app needs sign-in (the server listens on {address}, or MIRROR_REQUIRE_LOGIN is set), but no "
                "OpenID Connect provider is configured: add an [auth] section to .streamlit/secrets.toml (README: "
                "Sign-in)."
            )
        )
        st.stop()
    st.markdown("Sign in to see the audit: your verdicts, edits and exports are recorded under your account.")
    st.button("Sign in", key="sign_in", type="primary", on_click=st.login)
    st.stop()


def signed_in_box(me: str) -> None:
    """The sidebar's identity for a signed-in user: registered on arrival with the MIRROR_NEW_REVIEWER_ROLE setting
    (a known name keeps its role), shown with that role, and a sign-out button. The URL cannot name anyone else."""
    try:
        with session_scope(_engine(db_path())) as s:
            role = ensure_reviewer(session=s, name=me, role=load_settings().new_reviewer_role).role
    except MirrorError:  # the page itself shows why the database cannot be opened
        role = "role unknown"
    st.caption(f"Signed in as {escape_markdown(me)} ({role})")
    st.button("Sign out", key="sign_out", on_click=st.logout)
    if REVIEWER_PARAM in st.query_params:
        del st.query_params[REVIEWER_PARAM]
    if role == READ_ONLY:
        st.caption("Read-only: you can look; reviews, edits and exports are refused. An admin gives roles on Settings.")


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
