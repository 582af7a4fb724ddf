"""Mirror Studio audit app: `streamlit run app.py` (database from env MIRROR_DB, default mirror.db).

The app is served as an `st.App` (Streamlit's documented ASGI entry point) whose script is pages/frame.py, the frame
with `st.navigation` over the pages. The script's folder decides whether Streamlit also treats a `pages/` folder
beside it as legacy auto-discovered pages; pages/frame.py has none beside it, so the design's top-level pages/ folder
holds the page files without Streamlit ever listing its helper modules or running a deep-linked page file alone.
At start-up (lifespan) pages/preload.py loads what the pages use and freezes it out of the per-run garbage collection.
"""

import streamlit as st

from pages.preload import lifespan

app = st.App("pages/frame.py", lifespan=lifespan)
