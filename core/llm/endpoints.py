"""Resolve an endpoint by name (stored, or the built-in embedded `local`) and build its openai client."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import openai
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import BadInput, NotFound
from core.llm.local_server import local_server
from storage.llm import get_endpoint
from storage.models import Endpoint

LOCAL = "local"
# llama.cpp's server decodes one request at a time; a second in flight keeps it busy between replies.
LOCAL_CONCURRENCY = 2
LOCAL_TIMEOUT = 600.0
LOCAL_RETRIES = 1

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_env_name(value: str) -> str:
    """The env var name itself; BadInput (never echoing the value) when it looks like a key."""
    if value.lower().startswith(("sk-", "sk_")) or not _ENV_NAME.match(value) or len(value) > 64:
        raise BadInput(
            "--api-key-env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), "
            "not the key itself; keys are never stored"
        )
    return value


def api_key(endpoint: Endpoint) -> str:
    """The key read from the endpoint's env var ("none" when it has none); BadInput naming a missing var."""
    if not endpoint.api_key_env:
        return "none"
    value = os.environ.get(endpoint.api_key_env)
    if not value:
        raise BadInput(
            f"environment variable {endpoint.api_key_env} (the API key of endpoint {endpoint.name!r}) is not set"
        )
    return value


def endpoint_client(endpoint: Endpoint) -> openai.AsyncOpenAI:
    """An AsyncOpenAI client for the endpoint; retries are ours, so the client makes none."""
    return openai.AsyncOpenAI(
        base_url=endpoint.base_url, api_key=api_key(endpoint), timeout=endpoint.timeout, max_retries=0
    )


def local_endpoint(*, base_url: str, model: str) -> Endpoint:
    """The built-in `local` endpoint pointing at a running embedded server."""
    return Endpoint(
        name=LOCAL,
        base_url=base_url,
        model=model,
        kind="local",
        concurrency=LOCAL_CONCURRENCY,
        timeout=LOCAL_TIMEOUT,
        retries=LOCAL_RETRIES,
    )


def find_endpoint(*, engine: Engine, name: str) -> Endpoint:
    """The stored endpoint of that name; NotFound otherwise (not for `local`, which has no row)."""
    with Session(engine, expire_on_commit=False) as session:
        endpoint = get_endpoint(session=session, name=name)
        if endpoint is None:
            raise NotFound(f"unknown endpoint {name!r}: add it with `python -m core endpoints add {name} ...`")
        session.expunge(endpoint)
    return endpoint


@contextmanager
def open_endpoint(*, engine: Engine, name: str) -> Iterator[Endpoint]:
    """A ready endpoint; for `local` the embedded llama.cpp server is started here and stopped on exit."""
    if name == LOCAL:
        with local_server() as server:
            yield local_endpoint(base_url=server.base_url, model=server.model)
        return
    endpoint = find_endpoint(engine=engine, name=name)
    api_key(endpoint)  # fail now, naming the variable, rather than on the first call
    yield endpoint
