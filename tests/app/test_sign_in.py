"""AppTest: sign-in in the frame. With an [auth] provider (or MIRROR_REQUIRE_LOGIN, or a server beyond loopback) no page
shows before sign-in; a signed-in user (AppTest.user stands in for st.user) is the reviewer, registered with the
MIRROR_NEW_REVIEWER_ROLE setting, and the URL cannot name anyone else; sign-out returns to the sign-in screen."""

import pytest
from sqlmodel import Session, select
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from storage.audit_models import Reviewer
from storage.models import Review
from storage.reviewers import set_role
from tests.app.pages_helpers import APP, texts

pytestmark = pytest.mark.both_backends  # the frame registers users: on SQLite and PostgreSQL

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-not-a-real-one",
    "client_id": "mirror-studio",
    "client_secret": "test-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ANN = {"is_logged_in": True, "email": "ann@example.org", "name": "Ann", "sub": "ann-1"}
SIGN_IN_TEXT = "Sign in to see the audit: your verdicts, edits and exports are recorded under your account."


def app(user: dict | None = None, *, auth: bool = True, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if auth:
        at.secrets["auth"] = AUTH
    at.user = user if user is not None else {"is_logged_in": False}
    for key, value in params.items():
        at.query_params[key] = value
    return at


def sidebar_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def assert_sign_in_screen(at: AppTest) -> None:
    """Only the sign-in screen: its title, text and button; no sidebar, no page."""
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Mirror Studio"]
    assert [m.value for m in at.markdown] == [SIGN_IN_TEXT]
    assert [(b.key, b.label) for b in at.button] == [("sign_in", "Sign in")]
    assert (len(at.sidebar.text), len(at.selectbox), len(at.dataframe)) == (0, 0, 0)


def test_a_provider_in_the_secrets_puts_every_page_behind_sign_in(workspace):
    at = app()
    at.run()
    assert_sign_in_screen(at)
    at.query_params["scene"] = str(workspace[2])
    at.switch_page("review.py").run()  # a deep link waits at the same screen
    assert_sign_in_screen(at)
    assert "Scene" not in texts(at)


def test_the_signed_in_user_is_the_reviewer_with_the_default_role_and_the_url_cannot_switch(workspace, engine):
    at = app(ANN, reviewer="bo", scene=str(workspace[2]))
    at.run()
    at.switch_page("review.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert sidebar_captions(at)[1:] == [
        "Signed in as ann@example\\.org (read-only)",
        "Read-only: you can look; reviews, edits and exports are refused. An admin gives roles on Settings.",
    ]
    assert [b.key for b in at.sidebar.button] == ["sign_out"] and len(at.sidebar.selectbox) == 0
    assert "reviewer" not in at.query_params  # ?reviewer=bo was dropped, not obeyed
    at.button(key="approve").click().run()
    assert [e.value for e in at.error] == [
        "ann@example\\.org is read\\-only\\: reviews, edits and exports need the reviewer or admin role"
    ]
    with Session(engine) as s:
        assert s.exec(select(Review)).all() == []
        assert s.exec(select(Reviewer.name, Reviewer.role)).all() == [("ann@example.org", "read-only")]


def test_a_writer_signed_in_records_verdicts_under_their_account(workspace, engine, monkeypatch):
    monkeypatch.setenv("MIRROR_NEW_REVIEWER_ROLE", "reviewer")
    with Session(engine) as s:
        set_role(session=s, name="ada@example.org", role="admin", by="ada@example.org")
    at = app(ANN, reviewer="ada@example.org", scene=str(workspace[2]))
    at.run()
    at.switch_page("review.py").run()
    at.toggle(key="queue_advance").set_value(False)
    at.button(key="approve").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert sidebar_captions(at)[1:] == ["Signed in as ann@example\\.org (reviewer)"]
    with Session(engine) as s:
        assert s.exec(select(Review.status, Review.reviewer)).all() == [("approved", "ann@example.org")]
        assert s.exec(select(Reviewer.name, Reviewer.role).order_by(Reviewer.name)).all() == [
            ("ada@example.org", "admin"),
            ("ann@example.org", "reviewer"),
        ]
    at.switch_page("settings.py").run()
    at.session_state["set_name_open"] = True
    at.run()
    name = at.text_input(key="reviewer_input")
    assert (name.value, name.disabled) == ("ann@example.org", True)


def test_a_known_user_keeps_their_role_and_sign_out_returns_to_the_sign_in_screen(workspace, engine):
    with Session(engine) as s:
        set_role(session=s, name="ann@example.org", role="admin", by="ann@example.org")
    at = app(ANN)
    at.run()
    assert sidebar_captions(at)[1:] == ["Signed in as ann@example\\.org (admin)"]
    at.sidebar.button(key="sign_out").click().run()
    assert_sign_in_screen(at)


def test_required_sign_in_without_a_provider_shows_only_an_error(workspace, monkeypatch):
    monkeypatch.setenv("MIRROR_REQUIRE_LOGIN", "1")
    at = app(auth=False)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        "This app needs sign\\-in \\(the server listens on 127\\.0\\.0\\.1, or MIRROR\\_REQUIRE\\_LOGIN is set\\), "
        "but no OpenID Connect provider is configured\\: add an \\[auth\\] section to \\.streamlit/secrets\\.toml "
        "\\(README\\: Sign\\-in\\)\\."
    ]
    assert (len(at.button), len(at.sidebar.text), len(at.selectbox)) == (0, 0, 0)


def test_a_server_beyond_loopback_requires_sign_in(workspace):
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = app(auth=False)
        at.run()
    finally:
        st_config.set_option("server.address", before)
    assert [e.value for e in at.error][0].startswith("This app needs sign\\-in \\(the server listens on 0\\.0\\.0\\.0,")
    assert (len(at.button), len(at.sidebar.text), len(at.selectbox)) == (0, 0, 0)


def test_an_unreadable_secrets_file_shows_only_an_error(workspace, tmp_path):
    broken = tmp_path / "secrets.toml"
    broken.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback\n')  # the quote is never closed
    before = st_config.get_option("secrets.files")
    st_config.set_option("secrets.files", [str(broken)])
    try:
        at = app(auth=False)
        at.run()
    finally:
        st_config.set_option("secrets.files", before)
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error][0].startswith(
        "the secrets file cannot be read, so sign\\-in cannot be set up\\: Error parsing secrets file at"
    )
    assert (len(at.button), len(at.sidebar.text), len(at.selectbox)) == (0, 0, 0)
