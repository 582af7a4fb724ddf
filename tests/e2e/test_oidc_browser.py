"""In Chromium against a real OpenID Connect provider (oidc-provider-mock, started here on loopback): with [auth] in the
secrets no page shows before sign-in; the provider's form signs a user in, who is then the reviewer (the URL cannot name
anyone else) and whose verdict is stored under their account; a user registered read-only is refused a write; sign-out
returns to the sign-in screen."""

import json
import re
import secrets
import urllib.request
from urllib.parse import quote

import pytest
from sqlmodel import Session, select

from storage.audit_models import Reviewer
from storage.db import dispose_engines, get_engine
from storage.models import Review
from storage.reviewers import set_role
from tests.e2e.app_server import app_server
from tests.e2e.conftest import screenshot_on_failure, wait_idle

pytestmark = pytest.mark.slow

ANN, VIEWER = "ann@example.org", "viewer@example.org"


@pytest.fixture
def provider() -> str:
    """The provider's base URL; any client id and secret are accepted, a user is whoever the form names."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def auth_server(prepared_db, provider, tmp_path):
    """`streamlit run app.py` with a secrets file whose [auth] points at the provider; Ann is registered as a
    reviewer beforehand (as an admin would), the viewer is not (a newcomer gets MIRROR_NEW_REVIEWER_ROLE)."""
    path, ids = prepared_db
    with Session(get_engine(path)) as s:
        set_role(session=s, name=ANN, role="reviewer", by=ANN)
    dispose_engines()
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'  # Streamlit puts in its own port
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "mirror-studio-e2e"\n'
        'client_secret = "e2e-client-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = {"MIRROR_DB": path, "STREAMLIT_SECRETS_FILES": str(secrets_file)}
    with app_server(log_path=tmp_path / "streamlit.log", env=env) as base:
        yield base, path


def set_claims(provider: str, sub: str, claims: dict) -> None:
    """Tell the provider which claims its ID token carries for this subject."""
    request = urllib.request.Request(f"{provider}/users/{quote(sub)}", data=json.dumps(claims).encode(), method="PUT")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 204


def on_sign_in_screen(page, base: str, db: str) -> None:
    """The sign-in screen and nothing of the audit: no sidebar, no page, no database."""
    page.locator(".st-key-sign_in button").wait_for()
    wait_idle(page)
    assert page.url.startswith(base)
    assert page.get_by_text("Sign in to see the audit").count() == 1
    assert page.get_by_test_id("stSidebar").count() == 0
    assert page.get_by_role("button", name="Approve").count() == 0
    assert db not in page.content()


def sign_in(page, provider: str, sub: str) -> None:
    """Sign in through the provider's own authorization form."""
    page.locator(".st-key-sign_in button").click()
    page.wait_for_url(re.compile(re.escape(provider) + "/oauth2/authorize"))
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.get_by_test_id("stSidebar").get_by_text("Signed in as").wait_for()
    wait_idle(page)


def sidebar_identity(page) -> str:
    return page.get_by_test_id("stSidebar").get_by_text("Signed in as").inner_text()


def test_sign_in_with_a_real_provider_decides_who_writes(auth_server, provider, page):
    base, db = auth_server
    set_claims(provider, ANN, {"email": ANN, "email_verified": True, "name": "Ann"})
    with screenshot_on_failure(page, "oidc_sign_in"):
        page.goto(f"{base}/review?reviewer=bo")
        on_sign_in_screen(page, base, db)

        sign_in(page, provider, ANN)
        assert sidebar_identity(page) == f"Signed in as {ANN} (reviewer)"
        page.goto(f"{base}/review?reviewer=bo")  # the URL names someone else: ignored, and dropped
        page.get_by_role("button", name="Approve").wait_for()
        wait_idle(page)
        assert sidebar_identity(page) == f"Signed in as {ANN} (reviewer)"
        assert "reviewer=" not in page.url
        page.get_by_role("button", name="Approve").click()
        page.get_by_text(re.compile(r"Scene \d+ approved")).wait_for()
        wait_idle(page)
        with Session(get_engine(db)) as s:
            assert s.exec(select(Review.reviewer, Review.status)).all() == [(ANN, "approved")]

        page.locator(".st-key-sign_out button").click()  # the provider's end-session page, then back
        page.get_by_role("button", name="End session").click()
        on_sign_in_screen(page, base, db)
        page.reload()  # the identity cookie is gone too
        on_sign_in_screen(page, base, db)

        sign_in(page, provider, VIEWER)  # unknown to the provider: its email claim is the subject
        assert sidebar_identity(page) == f"Signed in as {VIEWER} (read-only)"
        page.goto(f"{base}/review")
        page.get_by_role("button", name="Approve").wait_for()
        wait_idle(page)
        page.get_by_role("button", name="Approve").click()
        refusal = f"{VIEWER} is read-only: reviews, edits and exports need the reviewer or admin role"
        page.get_by_text(refusal).wait_for()
    with Session(get_engine(db)) as s:
        assert s.exec(select(Review.reviewer, Review.status)).all() == [(ANN, "approved")]
        assert s.exec(select(Reviewer.name, Reviewer.role).order_by(Reviewer.name)).all() == [
            (ANN, "reviewer"),
            (VIEWER, "read-only"),
        ]
    dispose_engines()
