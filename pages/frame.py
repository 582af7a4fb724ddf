"""The frame every page runs in: page config, sign-in when it is required, `st.navigation` over the seven pages,
database and reviewer in the sidebar. app.py serves it (`st.App("pages/frame.py")`); from here page paths are relative
to pages/."""

import streamlit as st

from core.app_support import escape_markdown
from core.errors import MirrorError
from core.urls import redact_url
from pages.ui import db_path, reviewer_picker, sign_in_needed, sign_in_screen, signed_in, signed_in_box
from storage.db import display_url

st.set_page_config(page_title="Mirror Studio", layout="wide")

PAGES = [
    st.Page("overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("samples.py", title="Samples", icon=":material/table_rows:"),
    st.Page("review.py", title="Review", icon=":material/rate_review:"),
    st.Page("filter.py", title="Filter", icon=":material/filter_alt:"),
    st.Page("export.py", title="Export", icon=":material/download:"),
    st.Page("evaluate.py", title="Evaluate", icon=":material/leaderboard:"),
    st.Page("settings.py", title="Settings", icon=":material/settings:"),
]

try:
    me = signed_in()
    needed = sign_in_needed()
except MirrorError as exc:  # an unreadable secrets file, a bad setting, claims that name nobody: no page is shown
    st.navigation(PAGES, position="hidden")
    st.error(escape_markdown(str(exc)))
    if st.user.to_dict().get("is_logged_in"):
        st.button("Sign out", key="sign_out", on_click=st.logout)
    st.stop()
if needed and me is None:
    st.navigation(PAGES, position="hidden")  # a deep link keeps its address while the sign-in screen shows
    sign_in_screen()

navigation = st.navigation(PAGES)
with st.sidebar:
    st.caption("Database")  # as text: st.code would load a component, about a second on a fresh tab
    st.text(redact_url(display_url(db_path())))  # password and key-like parameters hidden
    if me is None:
        reviewer_picker()
    else:
        signed_in_box(me)
navigation.run()
