"""Hostile URLs (issue 11 item 5): credentials in an endpoint's base URL (user info, key-like query parameters) are
refused with exit 2 pointing to --api-key-env, never stored, and never echoed back in the message."""

import pytest

from tests.hostile.harness import Attack, params, run_attack

ADD = ["endpoints", "add", "leak", "--model", "m", "--base-url"]
REFUSED = "carries credentials"


def _url(name: str, url: str, secret: str, fragment: str = REFUSED) -> Attack:
    return Attack(name, None, [*ADD, url], 2, fragment, secret=secret)


ATTACKS = [
    _url("user-and-password", "http://user:hunter2@127.0.0.1:8000/v1", "hunter2"),
    _url("password-only", "https://:hunter2@api.example.com/v1", "hunter2"),
    _url("key-as-user-name", "https://sk-live-abc123@api.example.com/v1", "sk-live-abc123"),
    _url("user-with-empty-password", "https://sk-live-abc123:@api.example.com/v1", "sk-live-abc123"),
    _url("percent-encoded-password", "http://us%65r:p%40ssw0rd@127.0.0.1/v1", "p%40ssw0rd"),
    _url("uppercase-scheme", "HTTPS://user:hunter2@api.example.com/v1", "hunter2"),
    _url("ipv6-host", "http://user:hunter2@[::1]:8000/v1", "hunter2"),
    _url("padded-with-spaces", "  http://user:hunter2@127.0.0.1/v1  ", "hunter2"),
    _url("api-key-query", "https://api.example.com/v1?api_key=sk-live-abc123", "sk-live-abc123"),
    _url("key-query", "https://generativelanguage.example.com/v1?key=AIzaSyA-secret", "AIzaSyA-secret"),
    _url("access-token-query", "https://api.example.com/v1?x=1&access_token=tok-9876", "tok-9876"),
    _url("signature-query", "https://x.blob.example.net/v1?sv=2020&sig=abcSIGdef", "abcSIGdef"),
    _url("uppercase-key-query", "https://api.example.com/v1?API-KEY=sk-live-abc123", "sk-live-abc123"),
    _url("token-in-fragment", "https://api.example.com/v1#token=tok-9876", "tok-9876"),
    _url("ftp-with-password", "ftp://user:hunter2@files.example.com/v1", "hunter2"),
    _url("no-scheme-with-password", "user:hunter2@api.example.com/v1", "hunter2", "must start with http"),
    _url("backslash-before-at", "http://api.example.com\\@evil.example.com/v1", "evil", "not a valid URL"),
    Attack(
        "key-given-as-env-name",
        None,
        [
            "endpoints",
            "add",
            "k",
            "--model",
            "m",
            "--base-url",
            "https://api.example.com/v1",
            "--api-key-env",
            "sk-live-abc123",
        ],
        2,
        "--api-key-env takes the NAME",
        secret="sk-live-abc123",
    ),  # fmt: skip
    Attack(
        "bearer-header-given-as-env-name",
        None,
        [
            "endpoints",
            "add",
            "k",
            "--model",
            "m",
            "--base-url",
            "https://api.example.com/v1",
            "--api-key-env",
            "Bearer tok-9876",
        ],
        2,
        "--api-key-env takes the NAME",
        secret="tok-9876",
    ),  # fmt: skip
]


@pytest.mark.parametrize("attack", params(ATTACKS))
def test_credentials(attack, template, tmp_path, monkeypatch):
    run_attack(attack, template=template, tmp=tmp_path, monkeypatch=monkeypatch)
