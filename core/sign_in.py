"""Sign-in rules the app's frame applies (no Streamlit here): when the app requires sign-in, and which reviewer name a
signed-in user's identity claims give.

Sign-in is required when an OpenID Connect provider is configured (`[auth]` in .streamlit/secrets.toml), when the
MIRROR_REQUIRE_LOGIN setting asks for it (an app on loopback behind a reverse proxy is reachable beyond it), or when
the server listens beyond loopback: there, a picker anyone could use to say who they are is no identity.
"""

import ipaddress
from collections.abc import Mapping

from core.errors import BadInput
from storage.reviewers import clean_name


def is_loopback(address: str | None) -> bool:
    """Whether a server address listens on this machine only: `localhost` or a loopback IP. No address (Streamlit's
    default) and 0.0.0.0 / :: listen on every interface, so they are not loopback."""
    host = (address or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost may resolve anywhere
        return False


def sign_in_required(*, auth_configured: bool, address: str | None, forced: bool) -> bool:
    """Whether the app must sign users in before any page (see the module docstring)."""
    return auth_configured or forced or not is_loopback(address)


def identity(claims: Mapping[str, object]) -> str:
    """The reviewer name of a signed-in user: the `email` claim, unless the provider says it is not verified, else the
    provider's subject (`sub`). A provider's unverified email could name someone else, so it is never the identity."""
    email = claims.get("email")
    if isinstance(email, str) and email.strip() and claims.get("email_verified") is not False:
        return clean_name(email)
    sub = claims.get("sub")
    if isinstance(sub, str) and sub.strip():
        return clean_name(sub)
    raise BadInput("the identity provider sent neither a verified email nor a subject (sub): sign-in cannot name you")
