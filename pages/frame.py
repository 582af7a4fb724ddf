"""The frame every page runs in: page config, `st.navigation` over the seven pages, database and reviewer in the
sidebar. app.py serves it (`st.App("pages/frame.py")`); from here page paths are relative to pages/."""

import streamlit as st

from core.urls import redact_url
from pages.ui import db_path, reviewer_picker
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

navigation = st.navigation(PAGES)
with st.sidebar:
    st.caption("Database")
    st.code(redact_url(display_url(db_path())), language=None)  # password and key-like parameters hidden
    reviewer_picker()
navigation.run()
