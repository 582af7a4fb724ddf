"""Resolve an endpoint by name (stored, or the built-in embedded `local`) and build its openai client."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.choices import ENDPOINT_KINDS, LOCAL, LOCAL_CONCURRENCY
from core.errors import BadInput, NotFound
from core.limits import CONCURRENCY, RETRIES, TIMEOUT
from core.llm.local_server import LocalPool, local_pool
from core.text_checks import check_name
from core.urls import credentials_in_url
from storage.llm import add_endpoint, get_endpoint
from storage.models import Endpoint

if TYPE_CHECKING:
    import openai

LOCAL_TIMEOUT = 600.0
LOCAL_RETRIES = 1
# Servers answering for one base URL (the embedded model's slots, registered while they run): the client gives each
# its own worker, and keeps one scene's requests on one server, whose prompt cache then holds the scene's prompt.
_REPLICAS: dict[str, list[str]] = {}

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


def endpoint_client(endpoint: Endpoint, *, base_url: str | None = None) -> "openai.AsyncOpenAI":
    """An AsyncOpenAI client for the endpoint (or one of its replicas); retries are ours, so the client makes none.

    It sends through the SDK's aiohttp transport (`openai[aiohttp]`): the same requests, errors and timeouts as its
    default httpx2 one for about two thirds of the CPU per call, which is what a worker spends most of its time on.
    """
    import openai  # the client library is heavy (0.4 s): load it only when a call is made

    try:
        http_client = openai.DefaultAioHttpClient(timeout=endpoint.timeout)
    except RuntimeError:  # aiohttp is not installed: the SDK's default transport
        http_client = None
    return openai.AsyncOpenAI(
        base_url=base_url or endpoint.base_url,
        api_key=api_key(endpoint),
        timeout=endpoint.timeout,
        max_retries=0,
        http_client=http_client,
    )


def endpoint_sync_client(endpoint: Endpoint) -> "openai.OpenAI":
    """A blocking OpenAI client for the endpoint (one streamed request at a time, as the app's Generate makes)."""
    import openai

    return openai.OpenAI(base_url=endpoint.base_url, api_key=api_key(endpoint), timeout=endpoint.timeout, max_retries=0)


def replica_urls(endpoint: Endpoint) -> list[str]:
    """The base URLs of the servers answering for this endpoint (just its own, unless it is a pool)."""
    return _REPLICAS.get(endpoint.base_url, [endpoint.base_url])


def local_endpoint(*, base_url: str, model: str, slots: int = 1) -> Endpoint:
    """The built-in `local` endpoint pointing at a running embedded server (the first of `slots`)."""
    return Endpoint(
        name=LOCAL,
        base_url=base_url,
        model=model,
        kind="local",
        concurrency=slots if slots > 1 else LOCAL_CONCURRENCY,
        timeout=LOCAL_TIMEOUT,
        retries=LOCAL_RETRIES,
    )


@contextmanager
def pool_endpoint(pool: LocalPool) -> Iterator[Endpoint]:
    """The `local` endpoint of a running pool, its servers registered as replicas for the block."""
    _REPLICAS[pool.base_url] = pool.urls
    try:
        yield local_endpoint(base_url=pool.base_url, model=pool.model, slots=len(pool.servers))
    finally:
        _REPLICAS.pop(pool.base_url, None)


def find_endpoint(*, engine: Engine, name: str) -> Endpoint:
    """The stored endpoint of that name; NotFound otherwise (not for `local`, which has no row)."""
    with Session(engine, expire_on_commit=False) as session:
        endpoint = get_endpoint(session=session, name=name)
        if endpoint is None:
            raise NotFound(f"unknown endpoint {name!r}: add it with `python -m core endpoints add {name} ...`")
        session.expunge(endpoint)
    return endpoint


def describe_endpoint(*, engine: Engine, endpoint: Endpoint | str) -> Endpoint:
    """The endpoint's settings without starting anything: an Endpoint as is, `local` unstarted, else the stored row."""
    if isinstance(endpoint, Endpoint):
        return endpoint
    return local_endpoint(base_url="", model="") if endpoint == LOCAL else find_endpoint(engine=engine, name=endpoint)


@contextmanager
def open_endpoint(*, engine: Engine, name: str) -> Iterator[Endpoint]:
    """A ready endpoint; for `local` the embedded llama.cpp server is started here and stopped on exit."""
    if name == LOCAL:
        with local_pool() as pool, pool_endpoint(pool) as endpoint:
            yield endpoint
        return
    endpoint = find_endpoint(engine=engine, name=name)
    api_key(endpoint)  # fail now, naming the variable, rather than on the first call
    yield endpoint


def check_base_url(url: str) -> None:
    """BadInput when the URL carries credentials, holds spaces, backslashes or control characters, or is not
    http(s); the message never repeats the URL (it may hold a secret)."""
    if any(c.isspace() or c == "\\" or ord(c) < 32 or ord(c) == 127 for c in url):
        raise BadInput("the base URL is not a valid URL: it holds spaces, backslashes or control characters")
    if credentials_in_url(url):
        raise BadInput(
            "the base URL carries credentials (a user name, password or key); they would be stored and shown. "
            "Put the key in an environment variable and name it with --api-key-env"
        )
    if not url.lower().startswith(("http://", "https://")):
        raise BadInput("the base URL must start with http:// or https://")


def add_checked_endpoint(
    *,
    engine: Engine,
    name: str,
    base_url: str,
    model: str,
    api_key_env: str | None = None,
    kind: str = "openai",
    concurrency: int = 8,
    timeout: float = 60.0,
    retries: int = 4,
) -> Endpoint:
    """Validate and store one endpoint (the CLI's `endpoints add` and the Settings page); BadInput names the flaw."""
    name, base_url, model = name.strip(), base_url.strip(), model.strip()
    api_key_env = (api_key_env or "").strip() or None
    if not name or not model:
        raise BadInput("an endpoint needs a name and a model")
    check_name(name, "endpoint name"), check_name(model, "model")
    check_name(name, "endpoint name"), check_name(model, "model")
    if name == LOCAL:
        raise BadInput(f"endpoint name {LOCAL!r} is reserved for the embedded model")
    if kind not in ENDPOINT_KINDS:
        raise BadInput(f"unknown endpoint kind {kind!r}; use one of: {', '.join(ENDPOINT_KINDS)}")
    if api_key_env:
        check_env_name(api_key_env)
    check_base_url(base_url)
    CONCURRENCY.check(concurrency, label="concurrency"), TIMEOUT.check(timeout, label="timeout")
    RETRIES.check(retries, label="retries")
    with Session(engine, expire_on_commit=False) as session:
        if get_endpoint(session=session, name=name) is not None:
            raise BadInput(f"endpoint {name!r} already exists; remove it first")
        row = Endpoint(
            name=name,
            base_url=base_url,
            model=model,
            api_key_env=api_key_env,
            kind=kind,
            concurrency=concurrency,
            timeout=timeout,
            retries=retries,
        )
        add_endpoint(session=session, endpoint=row)
        session.commit()
    return row
