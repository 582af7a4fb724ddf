"""Settings: who you are (kept in the URL), LLM endpoints (add, test with one call, remove; keys only by env-var NAME),
the environment, and the reviewers' roles (set by an admin).

The page opens on what is read most, its tables; each form is in an expander built only when opened
(on_change="rerun"). Every kind of widget a page draws costs a fresh tab its own JavaScript: in Chromium a bare page
with one selectbox takes 1.19-1.23 x a bare page's time, with six kinds of widget 1.24-1.35 x (bench/bench_browser.py
prints these beside the pages); Settings with its forms drawn took 1.39-1.47 x."""

import streamlit as st

from core.app_support import escape_markdown
from core.choices import ENDPOINT_KINDS, LOCAL, LOCAL_CONCURRENCY, LOCAL_MODEL
from core.llm.endpoints import add_checked_endpoint
from core.llm.probe import probe_endpoint
from core.markdown_table import markdown_table, timestamp
from core.settings import describe
from core.urls import redact_url
from pages.ui import engine, reviewer, session, set_reviewer, show_flash, signed_in, user_errors
from storage.constants import ACCESS_ROLES
from storage.llm import list_endpoints, remove_endpoint
from storage.reviewers import list_reviewers, set_role

NAME_OPEN, ADD_OPEN, TRY_OPEN, ROLE_OPEN = "set_name_open", "add_endpoint_open", "try_endpoint_open", "set_role_open"


def rename_form() -> None:
    name = st.text_input(
        "Reviewer name (recorded on every verdict, edit and export; kept in the page address)",
        value=reviewer(),
        key="reviewer_input",
        disabled=signed_in() is not None,  # a signed-in user is who they signed in as
    )
    if name.strip() and name.strip() != reviewer():
        with user_errors():
            set_reviewer(name)
            st.rerun()


def add_endpoint_form() -> None:
    with st.form("add_endpoint", clear_on_submit=False):
        cols = st.columns(2)
        new_name = cols[0].text_input("Name", key="ep_name")
        model = cols[1].text_input("Model", key="ep_model")
        base_url = cols[0].text_input("Base URL", placeholder="https://api.openai.com/v1", key="ep_url")
        key_env = cols[1].text_input(
            "API key environment variable NAME",
            placeholder="OPENAI_API_KEY",
            key="ep_key_env",
            help="The name of the variable holding the key, never the key itself: keys are not stored.",
        )
        concurrency = cols[0].number_input("Concurrency", min_value=1, max_value=256, value=8, key="ep_conc")
        kind = cols[1].selectbox(
            "Server",
            ENDPOINT_KINDS,
            key="ep_kind",
            help="openai: any OpenAI-compatible chat API (prediction asks for the letter in a follow-up turn); "
            "vllm and llamacpp (llama-server) continue the rationale exactly like the reference.",
        )
        if st.form_submit_button("Add endpoint"):
            with user_errors():
                add_checked_endpoint(
                    engine=engine(),
                    name=new_name,
                    base_url=base_url,
                    model=model,
                    api_key_env=key_env or None,
                    concurrency=int(concurrency),
                    kind=kind,
                )
                st.session_state["settings_flash"] = ("success", f"Added endpoint {new_name.strip()}.")
                st.rerun()


def try_or_remove(names: list[str]) -> None:
    cols = st.columns([2, 1, 1], vertical_alignment="bottom")
    target = cols[0].selectbox("Endpoint", names, key="ep_target")
    if cols[1].button("Test with one call", key="ep_test"):
        with user_errors(), st.spinner(f"Calling {target}…"):
            ok, line = probe_endpoint(engine=engine(), name=target)
            (st.success if ok else st.error)(escape_markdown(line))
    if cols[2].button("Remove", key="ep_remove", disabled=target == LOCAL):
        with session() as s:
            removed = remove_endpoint(session=s, name=target)
        st.session_state["settings_flash"] = (
            ("success", f"Removed endpoint {target}.") if removed else ("error", f"Endpoint {target} was already gone.")
        )
        st.rerun()


def role_form() -> None:
    with st.form("set_role", clear_on_submit=False):
        cols = st.columns(2)
        who = cols[0].text_input("Name", key="role_name")
        role = cols[1].selectbox("Role", list(ACCESS_ROLES), key="role_role")
        if st.form_submit_button("Set role"):
            with user_errors():
                with session() as s:
                    done = set_role(session=s, name=who, role=role, by=reviewer())
                st.session_state["settings_flash"] = ("success", f"{done.name} is now {done.role}.")
                st.rerun()


st.title("Settings")
show_flash("settings_flash")

st.subheader("Reviewer")
st.markdown(
    f"You work as **{escape_markdown(reviewer())}**: the name recorded on every verdict, edit and export, kept in "
    "the page address."
)
if (box := st.expander("Work under another name", key=NAME_OPEN, on_change="rerun")).open:
    with box:
        rename_form()

st.subheader("Endpoints")
with session() as s:
    endpoints = list_endpoints(session=s)
rows = [
    {
        "name": LOCAL,
        "kind": "local",
        "model": f"embedded {LOCAL_MODEL}",
        "key env var": "-",
        "concurrency": LOCAL_CONCURRENCY,
        "base URL": "started on demand",
    }
]
rows += [
    {
        "name": e.name,
        "kind": e.kind,
        "model": e.model,
        "key env var": e.api_key_env or "-",
        "concurrency": e.concurrency,
        "base URL": redact_url(e.base_url),
    }
    for e in endpoints
]
st.markdown(markdown_table(rows, list(rows[0])))  # escaped: names, models and URLs are data
if (box := st.expander("Add an OpenAI-compatible endpoint", key=ADD_OPEN, on_change="rerun")).open:
    with box:
        add_endpoint_form()
if (box := st.expander("Test or remove an endpoint", key=TRY_OPEN, on_change="rerun")).open:
    with box:
        try_or_remove([LOCAL, *(e.name for e in endpoints)])

st.subheader("Environment")
st.caption("Read from environment variables when the app starts; set them before `streamlit run app.py`.")
environment = ["variable", "value", "what it sets"]
st.markdown(markdown_table([dict(zip(environment, row, strict=True)) for row in describe()], environment))

st.subheader("Reviewers")
st.caption(
    "A name is registered by its first review, edit or export, as a reviewer. An admin sets roles; while there is no "
    "admin, anyone may make the first one. Read-only users can look but every write is refused."
)
with session() as s:
    people = list_reviewers(session=s)
if people:
    table = [{"name": r.name, "role": r.role, "since": r.created_at} for r in people]
    st.markdown(markdown_table(table, ["name", "role", "since"], formats={"since": timestamp}))
if (box := st.expander("Set a reviewer's role", key=ROLE_OPEN, on_change="rerun")).open:
    with box:
        role_form()
