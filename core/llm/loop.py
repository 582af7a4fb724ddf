"""One event loop and one HTTP client per endpoint for a whole stage run, shared by its chunks.

A stage runs its work in claimed chunks (core/workers.py), one run_requests call each. Without this every chunk
started a thread, an event loop and an openai client (its TLS context and connection pool) and connected afresh;
that start-up cost CPU per chunk and left the endpoint idle between chunks. A stage opens one LlmLoop for its run and
hands it to run_requests, which then runs on it; the client and its kept-alive connections stay warm.
"""

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import TYPE_CHECKING

import httpcore2  # noqa: F401  (loaded with this module, not by the run's first client: a third of a second)

from core.llm.endpoints import endpoint_client
from storage.models import Endpoint

if TYPE_CHECKING:
    import openai

CLOSE_SECONDS = 10.0


def client_identity(endpoint: Endpoint, base_url: str | None = None) -> tuple:
    """What a client is built from: two endpoints (or replicas) alike in these share one client."""
    return (base_url or endpoint.base_url, endpoint.api_key_env, endpoint.timeout)


class LlmLoop:
    """An asyncio loop in a daemon thread with the clients it made, closed together on exit."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._clients: dict[tuple, openai.AsyncOpenAI] = {}
        self._thread = threading.Thread(target=self.loop.run_forever, name="llm-loop", daemon=True)

    def __enter__(self) -> "LlmLoop":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        async def close() -> None:
            for client in self._clients.values():
                await client.close()

        with contextlib.suppress(Exception):  # closing connections is best effort; the loop stops regardless
            self.submit(close()).result(timeout=CLOSE_SECONDS)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=CLOSE_SECONDS)
        if not self._thread.is_alive():
            self.loop.close()

    def client(self, endpoint: Endpoint, *, base_url: str | None = None) -> "openai.AsyncOpenAI":
        """The loop's client for endpoint (or its replica at base_url), made on first use (in the loop's thread)."""
        identity = client_identity(endpoint, base_url)
        if identity not in self._clients:
            self._clients[identity] = endpoint_client(endpoint, base_url=base_url)
        return self._clients[identity]

    def submit(self, coroutine: Coroutine) -> Future:
        """Run coroutine on the loop; its concurrent Future (cancel() cancels the task)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)
