"""Shared AppTest helpers: open a page of the real app, read what a user sees, a fake endpoint."""

from pathlib import Path

from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from storage.llm import add_endpoint
from storage.models import Endpoint
from tests.app.overview_helpers import table_rows
from tests.factories import GOOD_RATIONALE

# The app's script: app.py serves it as an st.App; page paths are relative to its folder (pages/).
APP = str(Path(__file__).resolve().parents[2] / "pages" / "frame.py")

GOOD = GOOD_RATIONALE.format(letter="B")


def open_page(page: str | None = None, **params: str) -> AppTest:
    """The app run once on Overview, then (optionally) switched to a page with query params."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if page:
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(f"{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_bulk(at: AppTest) -> AppTest:
    """Samples with its bulk-action expander opened, as a reviewer does (closed, its body is not built)."""
    assert not [b for b in at.button if b.key == "bulk_apply"] and not at.checkbox  # closed: nothing built
    at.session_state["bulk_open"] = True
    return at.run()


SETTINGS_FORMS = ("set_name_open", "add_endpoint_open", "try_endpoint_open", "set_role_open")  # pages/settings.py


def open_settings(**params: str) -> AppTest:
    """Settings with each form's expander opened, as a user does (closed, their bodies are not built)."""
    at = open_page("settings", **params)
    assert not at.main.text_input and not at.main.selectbox and not at.main.button  # closed: nothing built
    for key in SETTINGS_FORMS:
        at.session_state[key] = True
    return at.run()


def texts(at: AppTest) -> str:
    """All visible text of the main area, for checks on what a user reads."""
    parts = [
        el.value
        for kind in ("markdown", "info", "caption", "text", "code", "error", "success")
        for el in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def add_fake_endpoint(engine, server) -> None:
    with Session(engine) as s:
        add_endpoint(
            session=s,
            endpoint=Endpoint(name="fake", base_url=server.url, model="fake-model", timeout=5.0, retries=0),
        )
        s.commit()


def figures(at: AppTest, *names: str) -> dict[str, str]:
    """Counts a page shows as one markdown row (core/markdown_table.py; no st.metric): name -> the text shown."""
    [row] = table_rows(at, *names)
    assert not at.metric  # no Metric chunk for a fresh tab to load
    return dict(zip(names, row, strict=True))


def matching(at: AppTest) -> str:
    """Samples' "Matching scenes" count."""
    return figures(at, "Matching scenes")["Matching scenes"]
