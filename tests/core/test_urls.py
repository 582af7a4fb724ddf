"""Credentials in URLs: found, hidden wherever a URL is shown (endpoints list, Settings, the app's database line)."""

import pytest
from sqlmodel import Session

from core.cli.main import main
from core.settings import describe
from core.urls import credentials_in_url, redact_url
from storage.models import Endpoint


@pytest.mark.parametrize(
    "url,shown",
    [
        ("https://api.openai.com/v1", "https://api.openai.com/v1"),
        ("http://user:hunter2@127.0.0.1:8000/v1", "http://user:***@127.0.0.1:8000/v1"),
        ("https://sk-live-abc@api.example.com/v1", "https://***@api.example.com/v1"),
        ("https://:hunter2@api.example.com/v1", "https://***@api.example.com/v1"),
        ("postgresql+psycopg://bob:hunter2@db:5432/mirror", "postgresql+psycopg://bob:***@db:5432/mirror"),
        ("https://h/v1?api-version=2024&api_key=sk-1", "https://h/v1?api-version=2024&api_key=***"),
        ("https://h/v1#token=tok-1", "https://h/v1#token=***"),
        ("/home/me/mirror.db", "/home/me/mirror.db"),
        ("sqlite:////tmp/a@b/mirror.db", "sqlite:////tmp/a@b/mirror.db"),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown
    assert credentials_in_url(url) == (shown != url)


def test_endpoints_list_hides_credentials_stored_before_they_were_refused(engine, capsys):
    with Session(engine) as s:
        s.add(Endpoint(name="old", base_url="https://alice:hunter2@api.example.com/v1?key=AIza-9", model="m"))
        s.commit()
    assert main(["endpoints", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].endswith("  https://alice:***@api.example.com/v1?key=***")
    assert "hunter2" not in out and "AIza-9" not in out


def test_settings_show_a_database_url_without_its_password(monkeypatch):
    monkeypatch.setenv("MIRROR_DB", "postgresql://bob:hunter2@db.example.com/mirror")
    assert (
        dict((env, value) for env, value, _ in describe())["MIRROR_DB"] == "postgresql://bob:***@db.example.com/mirror"
    )
