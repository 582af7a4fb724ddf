"""Start-up for the app server (app.py passes `lifespan` to st.App): load every module the pages use, then move what
is alive into the garbage collector's permanent generation (gc.freeze).

Why: Streamlit runs a full collection after every script run (its runner.postScriptGC option). With pandas, plotly,
SQLAlchemy and scikit-learn loaded, a full collection walks some 275,000 long-lived objects — 0.4 s per run on this
2-core machine when idle, about a second while the browser draws beside it — on every click. Frozen objects are
skipped by every later collection (the standard library's answer for start-up state, Python docs `gc.freeze`), so
the collection after a run sees only that run's objects: 0.002 s. Garbage made later is collected as before. The first
visitor also no longer waits for the imports."""

import gc
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.orm import configure_mappers

# Every module of pages/ that is not a page script (frame.py lists the pages), and what the pages import only when a
# button asks for it (generate, evaluate). tests/app/test_preload.py checks this list against pages/.
HELPERS = (
    "pages.bulk_actions",
    "pages.charts",
    "pages.drafts",
    "pages.evaluate_plots",
    "pages.filter_plots",
    "pages.overview_agreement",
    "pages.review_double",
    "pages.review_history",
    "pages.review_parts",
    "pages.review_plots",
    "pages.review_queue",
    "pages.review_verdicts",
    "pages.ui",
)
ON_DEMAND = ("core.evaluation.runs", "core.llm.endpoints", "core.rationale_stream")


def preload() -> int:
    """Import HELPERS and ON_DEMAND, collect, freeze; the number of objects frozen."""
    for name in (*HELPERS, *ON_DEMAND):
        importlib.import_module(name)
    configure_mappers()  # what the first query would build: built now, frozen with the rest
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    preload()  # before the server accepts its first request
    yield None
