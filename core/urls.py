"""Credentials in URLs: find them (an endpoint's base URL must carry none) and hide them wherever a URL is shown.

A URL carries credentials when it has user info (`user:password@`, or a key as the user name) or a query or
fragment parameter named like a key (`api_key=`, `key=`, `token=`, `sig=` ...). Keys belong in an environment
variable named with `--api-key-env`; they are never stored, logged, exported or printed.
"""

import re
from urllib.parse import SplitResult, parse_qsl, urlsplit

HIDDEN = "***"
_SECRET_NAME = re.compile(r"(?i)^(api[-_]?key|key|token|access[-_]?token|auth|authorization|secret|password|pass|"
                          r"pwd|sig|signature|x-api-key|client[-_]?secret|bearer)$")  # fmt: skip


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url.strip())
    except ValueError:  # an unbalanced IPv6 bracket and the like
        return None


def _secret_params(text: str) -> list[str]:
    return [value for name, value in parse_qsl(text, keep_blank_values=True) if _SECRET_NAME.match(name.strip())]


def credentials_in_url(url: str) -> bool:
    """Whether the URL carries a user name, a password, or a key-like query or fragment parameter."""
    parts = _split(url)
    if parts is None:
        return "@" in url
    return "@" in parts.netloc or bool(_secret_params(parts.query) or _secret_params(parts.fragment))


def redact_url(url: str) -> str:
    """The URL with its password (or a user name standing alone, which may be a key) and key-like parameters hidden:
    `postgresql://bob:***@host/db`, `https://***@api.example.com/v1`, `https://host/v1?api_key=***`."""
    parts = _split(url)
    if parts is None:
        return HIDDEN if "@" in url else url
    if not credentials_in_url(url):
        return url  # as given: rebuilding would normalise it (sqlite://// paths lose a slash)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{HIDDEN}@{host}" if sep and user else f"{HIDDEN}@{host}"
    query, fragment = (_hide_params(text) for text in (parts.query, parts.fragment))
    return parts._replace(netloc=netloc, query=query, fragment=fragment).geturl()


def _hide_params(text: str) -> str:
    if not _secret_params(text):
        return text
    hidden = [f"{name}={HIDDEN if _SECRET_NAME.match(name.strip()) else value}" for name, value in parse_qsl(text)]
    return "&".join(hidden)
