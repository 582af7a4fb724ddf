"""Sign-in rules: which server addresses are loopback, when sign-in is required, which name a signed-in user gets;
and the two sign-in settings read from the environment."""

import pytest

from core.errors import BadInput
from core.settings import load_settings
from core.sign_in import identity, is_loopback, sign_in_required


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("::1", True),
        ("[::1]", True),
        (None, False),  # Streamlit's default: every interface
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("studio.example.org", False),
    ],
)
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) is loopback


def test_sign_in_is_required_by_a_provider_a_setting_or_a_public_address():
    assert sign_in_required(auth_configured=False, address="127.0.0.1", forced=False) is False
    assert sign_in_required(auth_configured=True, address="127.0.0.1", forced=False) is True
    assert sign_in_required(auth_configured=False, address="127.0.0.1", forced=True) is True
    assert sign_in_required(auth_configured=False, address="0.0.0.0", forced=False) is True
    assert sign_in_required(auth_configured=False, address=None, forced=False) is True


def test_identity_is_the_verified_email_else_the_subject():
    assert identity({"email": " ann@example.org ", "sub": "42", "name": "Ann"}) == "ann@example.org"
    assert identity({"email": "ann@example.org", "email_verified": True, "sub": "42"}) == "ann@example.org"
    assert identity({"email": "boss@example.org", "email_verified": False, "sub": "42"}) == "42"
    assert identity({"sub": "auth0|abc", "name": "Ann"}) == "auth0|abc"
    with pytest.raises(BadInput) as err:
        identity({"name": "Ann", "email": "  "})
    assert str(err.value) == (
        "the identity provider sent neither a verified email nor a subject (sub): sign-in cannot name you"
    )
    with pytest.raises(BadInput, match="at most 200 printable characters"):
        identity({"email": "a\x00@example.org"})


def test_sign_in_settings_from_the_environment(monkeypatch):
    monkeypatch.delenv("MIRROR_REQUIRE_LOGIN", raising=False)
    monkeypatch.delenv("MIRROR_NEW_REVIEWER_ROLE", raising=False)
    assert (load_settings().require_login, load_settings().new_reviewer_role) == (False, "read-only")
    monkeypatch.setenv("MIRROR_REQUIRE_LOGIN", "1")
    monkeypatch.setenv("MIRROR_NEW_REVIEWER_ROLE", "reviewer")
    assert (load_settings().require_login, load_settings().new_reviewer_role) == (True, "reviewer")
    monkeypatch.setenv("MIRROR_NEW_REVIEWER_ROLE", "boss")
    with pytest.raises(BadInput) as err:
        load_settings()
    assert str(err.value) == (
        "environment variable MIRROR_NEW_REVIEWER_ROLE must be one of reviewer, admin, read-only (got 'boss')"
    )
