"""Mirror Studio audit app: `streamlit run app.py` (database from env MIRROR_DB, default mirror.db)."""

import streamlit as st

from pages.ui import db_path, reviewer

st.set_page_config(page_title="Mirror Studio", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/samples.py", title="Samples", icon=":material/table_rows:"),
    st.Page("pages/review.py", title="Review", icon=":material/rate_review:"),
    st.Page("pages/filter.py", title="Filter", icon=":material/filter_alt:"),
    st.Page("pages/export.py", title="Export", icon=":material/download:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
]

navigation = st.navigation(PAGES)
with st.sidebar:
    st.caption("Database")
    st.code(db_path(), language=None)
    st.caption("Reviewer")
    st.text(reviewer())
navigation.run()
