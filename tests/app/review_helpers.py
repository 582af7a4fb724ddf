"""AppTest helpers for the Review page, whose rationale panels draw their widgets only while open."""

import os

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from storage.db import get_engine
from storage.models import Rationale
from tests.app.pages_helpers import open_page

OPEN = "review_open"  # pages/review_parts.py: the ids of the open rationale panels
ROLE_TAB = "review_role"  # pages/review_parts.py: the open role tab (only its panels run)


def show_role(at: AppTest, role: str) -> AppTest:
    """Open a role's tab (as a reviewer's click does) and run the page."""
    at.session_state[ROLE_TAB] = role
    return at.run()


def open_rationales(at: AppTest, *rationale_ids: int) -> AppTest:
    """Open these rationale panels (as a reviewer's clicks do) and run the page."""
    opened = set(at.session_state[OPEN]) if OPEN in at.session_state else set()
    at.session_state[OPEN] = opened | set(rationale_ids)
    return at.run()


def open_review(scene_id: int, *rationale_ids: int, tab: str | None = None, **params: str) -> AppTest:
    """Review on a scene with the panels of the given rationales open, or of all its rationales when none is given;
    tab: the role tab to show (the first, strong, by default)."""
    at = open_page("review", scene=str(scene_id), **params)
    if tab:
        at.session_state[ROLE_TAB] = tab
    if not rationale_ids:
        with Session(get_engine(os.environ["MIRROR_DB"])) as s:
            rationale_ids = tuple(s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id)).all())
    open_rationales(at, *rationale_ids)
    assert not at.exception, [e.value for e in at.exception]
    return at
