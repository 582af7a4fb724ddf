"""Dataset text holding HTML, <script> and markdown is shown as text on every page, never rendered or executed."""

import re
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from core.app_support import escape_markdown
from storage.models import Rationale, Review, Selection
from tests.app.review_helpers import open_review
from tests.factories import make_workspace

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "pages" / "frame.py")
EVIL = '<script>alert("x")</script> **bold** [link](javascript:alert(1)) :red[red] $x^2$ <img src=x onerror=alert(1)>'
# What must never reach a markdown renderer unescaped (a backslash before it makes it literal text).
MARKERS = re.compile(r"(?<!\\)(<|\*\*bold|\]\(javascript|:red|\$x)")
MARKDOWN_TYPES = {"markdown", "caption", "info", "warning", "error", "success", "exception", "badge"}


@pytest.fixture
def evil_workspace(engine) -> int:
    with Session(engine, expire_on_commit=False) as s:
        scenes = make_workspace(s, name="ds<b>" + EVIL, profile=EVIL)
        scene = scenes[1]
        scene.history = [EVIL, "plain"]
        scene.options = [EVIL, *scene.options[1:]]
        s.add(scene)
        for rat in s.exec(select(Rationale).where(Rationale.scene_id == scene.id)).all():
            rat.text = EVIL + "\nBehavior: [A]"
            rat.stimulus = EVIL
            rat.stimulus_factors = [EVIL]
            rat.style = EVIL
            rat.behavior = "<b>A"
            rat.problems = [EVIL]
            s.add(rat)
        s.add(Review(scene_id=scene.id, status="approved", reviewer=EVIL, note=EVIL))
        sel = s.exec(select(Selection)).one()
        sel.name = "sel" + EVIL
        s.add(sel)
        s.commit()
        return scene.id


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def check_page(at: AppTest) -> list[str]:
    """Every markdown-rendered string is escaped and no element allows HTML; returns the plain-text values shown."""
    assert not at.exception, [e.value for e in at.exception]
    shown = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        assert kind != "html"
        if proto is not None and getattr(proto, "allow_html", False):
            raise AssertionError(f"{kind} allows HTML")
        if kind in MARKDOWN_TYPES:
            body = proto.body if hasattr(proto, "body") else str(node.value)
            assert not MARKERS.search(body), (kind, body)
        label = getattr(node, "label", None)
        if isinstance(label, str):
            assert not MARKERS.search(label), (kind, label)
        if kind in ("text", "code"):
            shown.append(node.value)
    return shown


def open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(f"{page}.py").run()
    return at


def test_escape_markdown_neutralises_every_marker():
    escaped = escape_markdown(EVIL)
    assert not MARKERS.search(escaped)
    assert escape_markdown("a_b") == "a\\_b"


@pytest.mark.parametrize("page", ["overview", "samples", "filter", "export", "settings"])
def test_pages_show_data_as_text(evil_workspace, page):
    check_page(open_page(page))


def test_review_shows_every_field_as_plain_text(evil_workspace):
    at = open_review(evil_workspace)
    at.toggle[0].set_value(True).run()
    shown = check_page(at)
    assert EVIL in shown  # profile and stage texts appear verbatim as text
    assert f"1. {EVIL}\n2. plain" in shown
    assert EVIL + "\nBehavior: [A]" in [t.value for t in at.text_area]
    assert EVIL + "\nBehavior: [A]" in shown  # history (version text) and the chosen/rejected pair


def test_no_page_source_allows_html():
    sources = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert "unsafe_allow_html" not in text, path
        assert "st.html" not in text, path
