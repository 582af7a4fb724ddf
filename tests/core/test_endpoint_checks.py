"""Endpoint checks (core.llm.endpoints.add_checked_endpoint) and probes (core.llm.probe): one implementation each."""

import pytest
from sqlmodel import Session

from core.errors import BadInput, NotFound
from core.llm.endpoints import add_checked_endpoint
from core.llm.probe import probe_endpoint
from storage.llm import get_endpoint, list_endpoints

GOOD = {"name": "gpt", "base_url": "https://api.example.com/v1", "model": "gpt-x"}


@pytest.mark.parametrize(
    "change,message",
    [
        ({"name": "  "}, "an endpoint needs a name and a model"),
        ({"model": ""}, "an endpoint needs a name and a model"),
        ({"name": "local"}, "endpoint name 'local' is reserved for the embedded model"),
        ({"base_url": "ftp://x"}, "the base URL must start with http:// or https://"),
        ({"concurrency": 0}, "concurrency must be a whole number from 1 to 1,024 (got 0)"),
        ({"timeout": -1.0}, "timeout must be a number more than 0 up to 86,400 (got -1.0)"),
        ({"timeout": float("nan")}, "timeout must be a number more than 0 up to 86,400 (got nan)"),
        ({"retries": -1}, "retries must be a whole number from 0 to 100 (got -1)"),
        (
            {"api_key_env": "sk-abc"},
            "--api-key-env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), "
            "not the key itself; keys are never stored",
        ),
    ],
)
def test_bad_endpoint_is_refused_with_one_message_and_nothing_stored(engine, change, message):
    with pytest.raises(BadInput) as caught:
        add_checked_endpoint(engine=engine, **{**GOOD, **change})
    assert str(caught.value) == message
    with Session(engine) as session:
        assert list_endpoints(session=session) == []


def test_stored_values_are_stripped_and_a_second_add_is_refused(engine):
    row = add_checked_endpoint(
        engine=engine, name=" gpt ", base_url=" https://api.example.com/v1", model="gpt-x ", api_key_env=" MY_KEY "
    )
    assert (row.name, row.base_url, row.model, row.api_key_env, row.kind, row.retries) == (
        "gpt",
        "https://api.example.com/v1",
        "gpt-x",
        "MY_KEY",
        "openai",
        4,
    )
    with pytest.raises(BadInput, match="^endpoint 'gpt' already exists; remove it first$"):
        add_checked_endpoint(engine=engine, **GOOD)
    with Session(engine) as session:
        assert get_endpoint(session=session, name="gpt").api_key_env == "MY_KEY"


def test_probe_of_an_unknown_endpoint_is_not_found(engine):
    with pytest.raises(NotFound, match="unknown endpoint 'nope'"):
        probe_endpoint(engine=engine, name="nope")


@pytest.mark.parametrize(
    "change,message",
    [
        ({"name": "e\udcff"}, "endpoint name: a lone surrogate"),
        ({"model": "m\x1b[2J"}, "model: a control character"),
        ({"base_url": "http://u:hunter2@127.0.0.1:9/v1"}, "the base URL carries credentials"),
    ],
)
def test_the_app_path_refuses_hostile_text_too(engine, change, message):
    with pytest.raises(BadInput, match=message.replace("[", r"\[")):
        add_checked_endpoint(engine=engine, **{**GOOD, **change})
    with Session(engine) as session:
        assert list_endpoints(session=session) == []
