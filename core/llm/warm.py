"""The embedded model kept warm for a long-lived process (the app): started once in the background, shared by every
caller, stopped when the process ends.

One thread owns the model's servers for their whole life: they are started with "die with the parent thread"
(core/llm/local_server.py), so the thread that starts them must be the one that lives as long as they should.
"""

import atexit
import threading
from concurrent.futures import ThreadPoolExecutor

from core.errors import EndpointError
from core.llm.endpoints import endpoint_sync_client, pool_endpoint, replica_urls
from core.llm.local_server import local_pool
from core.reference_prompts import DEFAULT_SYSTEM
from storage.models import Endpoint


class WarmModel:
    """The embedded model's `local` endpoint, started on the first start() and kept until stop() or process exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._endpoint: Endpoint | None = None
        self._error: str | None = None
        self.pids: list[int] = []  # the model's server processes while it runs

    @property
    def state(self) -> str:
        """ "off" (never started or stopped), "starting", "ready" or "failed"."""
        if self._thread is None:
            return "off"
        if not self._ready.is_set():
            return "starting"
        return "failed" if self._error else "ready"

    def start(self) -> None:
        """Start the model in the background (once; a failed or stopped model starts again)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and not self._error:
                return
            self._ready.clear()
            self._stop.clear()
            self._endpoint, self._error = None, None
            self._thread = threading.Thread(target=self._own, name="mirror-warm-model", daemon=True)
            self._thread.start()
        atexit.register(self.stop)

    def _own(self) -> None:
        try:
            with local_pool() as pool, pool_endpoint(pool) as endpoint:
                _warm_up(endpoint)
                self._endpoint, self.pids = endpoint, [server.process.pid for server in pool.servers]
                self._ready.set()
                self._stop.wait()
        except Exception as exc:  # reported to every caller of endpoint(), in words
            self._error = str(exc) or "the embedded model did not start"
        finally:
            self._endpoint, self.pids = None, []
            self._ready.set()

    def endpoint(self, *, timeout: float = 300.0) -> Endpoint:
        """The running model's endpoint, starting it if needed and waiting up to `timeout` seconds for it."""
        self.start()
        if not self._ready.wait(timeout):
            raise EndpointError(f"the embedded model has not started after {timeout:.0f} s")
        if self._error or self._endpoint is None:
            raise EndpointError(f"the embedded model could not start: {self._error or 'it stopped'}")
        return self._endpoint

    def stop(self) -> None:
        """Stop the model's servers (and wait for them); a later start() starts them again."""
        thread = self._thread
        self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        with self._lock:
            self._thread = None


def _warm_up(endpoint: Endpoint) -> None:
    """One token from each server on the reference system prompt: a fresh server's first request pays for paging
    in the model (8 s measured on 2 cores against 0.6 s after); the system prompt then also sits in its prompt cache."""
    messages = [{"role": "system", "content": DEFAULT_SYSTEM}, {"role": "user", "content": "Ready?"}]

    def one(url: str) -> None:
        client = endpoint_sync_client(endpoint).with_options(base_url=url)
        client.chat.completions.create(model=endpoint.model, messages=messages, max_tokens=1, temperature=0.0)

    with ThreadPoolExecutor() as pool:  # side by side: each server pages in its own copy
        list(pool.map(one, replica_urls(endpoint)))
