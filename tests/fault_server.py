"""A loopback OpenAI-compatible chat server with scripted faults, for tests and benchmarks.

The behaviour of a request is chosen by a marker in the last user message: FAULT:429 (always 429 + Retry-After),
FAULT:429-once, FAULT:500, FAULT:fail-once (500 on the first attempt of that exact message, then a valid reply),
FAULT:hang (sleeps past any sane timeout), FAULT:close (drops the connection), FAULT:echo-auth (400 quoting the
Authorization header), FAULT:badjson, FAULT:nologprobs, FAULT:letter=X (replies X), FAULT:context (400: the prompt
exceeds the context, as llama-cpp-python says it). Anything else: a valid reply "B" with first-token logprobs (in word
chunks, as server-sent events, when the request says "stream"). It also speaks the raw routes of llama.cpp and vLLM
servers: POST /v1/completions (the marker is read from the prompt; legacy text-completion logprobs), GET /props
(`chat_template` when one is set) and POST /tokenize (one token per whitespace-separated word of `content`, or of the
messages' contents). Every request body is kept in `received` as (path, body) and counted (`body_counts`), so tests
and benches can tell a request asked twice; GET /v1/stats answers {"requests": n, "distinct": n, "duplicates": n};
pause() holds every answer until resume(). Run as a script (`python tests/fault_server.py --port P --latency 0.1`) to
serve from a separate process, as the benchmark does.
"""

import argparse
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

MARKER = re.compile(r"FAULT:([A-Za-z0-9=_-]+)")


def _last_user_text(body: dict) -> str:
    if isinstance(body.get("prompt"), str):
        return body["prompt"]
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def completion(content: str, *, model: str, logprobs: bool = True) -> dict:
    """A chat.completion body replying `content`, with first-token logprobs unless told not to."""
    choice: dict = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    if logprobs:
        first = content[:1] or " "
        tops = [{"token": first, "logprob": -0.1, "bytes": None}]
        tops += [{"token": c, "logprob": -2.0 - i, "bytes": None} for i, c in enumerate("ABCD") if c != first]
        choice["logprobs"] = {"content": [{"token": first, "logprob": -0.1, "bytes": None, "top_logprobs": tops}]}
    else:
        choice["logprobs"] = None
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
        "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12},
    }


def text_completion(content: str, *, model: str, logprobs: bool = True) -> dict:
    """A text_completion body (POST /v1/completions) replying `content`, with legacy first-token logprobs."""
    choice: dict = {"index": 0, "text": content, "finish_reason": "stop", "logprobs": None}
    if logprobs:
        first = content[:1] or " "
        tops = {first: -0.1, **{c: -2.0 - i for i, c in enumerate("ABCD") if c != first}}
        choice["logprobs"] = {"tokens": [first], "token_logprobs": [-0.1], "top_logprobs": [tops], "text_offset": [0]}
    return {
        "id": "cmpl-fault",
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
        "usage": {"prompt_tokens": 11, "completion_tokens": 1, "total_tokens": 12},
    }


def tokenized(body: dict) -> dict:
    """A /tokenize answer: llama.cpp's {"tokens"} for `content`, vLLM's {"count", "tokens"} for `messages`."""
    if "messages" in body:
        words = " ".join(str(m.get("content", "")) for m in body["messages"]).split()
        return {"count": len(words), "max_model_len": 8192, "tokens": list(range(len(words)))}
    return {"tokens": list(range(len(str(body.get("content", "")).split())))}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "FaultServer"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without NODELAY, delayed ACKs add ~40 ms per reply
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *_args) -> None:  # keep test output clean
        pass

    def _send(self, status: int, payload: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/stats"):
            self._send(200, json.dumps(self.server.stats()).encode())
        elif self.path.rstrip("/").endswith("/props") and self.server.chat_template is not None:
            props = {"chat_template": self.server.chat_template, "bos_token": "<s>", "eos_token": "</s>"}
            self._send(200, json.dumps(props).encode())
        elif self.path.rstrip("/").endswith("/models"):
            data = {"object": "list", "data": [{"id": "fault-model", "object": "model", "owned_by": "tests"}]}
            self._send(200, json.dumps(data).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.record(self.headers.get("Authorization"), body)
        self.server.received.append((self.path, body))
        if self.path.rstrip("/").endswith("/tokenize"):
            self._send(200, json.dumps(tokenized(body)).encode())
            return
        text = _last_user_text(body)
        found = MARKER.search(text)
        marker = found.group(1) if found else "default"
        attempt = self.server.count(marker, text)
        self.server.open.wait(timeout=120)
        if self.server.latency:
            time.sleep(self.server.latency)
        model = body.get("model") or "fault-model"
        if marker == "429" or (marker == "429-once" and attempt == 1):
            error = b'{"error": {"message": "slow down", "type": "rate_limit"}}'
            self._send(429, error, {"Retry-After": self.server.retry_after})
        elif marker == "500" or (marker == "fail-once" and attempt == 1):
            self._send(500, b'{"error": {"message": "boom", "type": "server_error"}}')
        elif marker == "hang":
            time.sleep(self.server.hang_seconds)
            self.close_connection = True
        elif marker == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif marker == "echo-auth":  # a careless server quoting the credentials back in its error
            detail = json.dumps({"error": {"message": f"bad key {self.headers.get('Authorization')}"}})
            self._send(400, detail.encode())
        elif marker == "context":
            detail = {
                "message": "This model's maximum context length is 2048 tokens. However, you requested 4100 tokens "
                "(4096 in the messages, 4 in the completion). Please reduce the length of the messages or completion.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
            self._send(400, json.dumps({"error": detail}).encode())
        elif marker == "badjson":
            self._send(200, b'{"id": "x", "choices": [ this is not json')
        else:
            if marker.startswith("letter="):
                content = marker.split("=", 1)[1]
            else:
                content = self.server.responder(body) if self.server.responder else "B"
            if body.get("stream"):
                self._stream(content, model=model)
                return
            reply = text_completion if "prompt" in body else completion
            self._send(200, json.dumps(reply(content, model=model, logprobs=marker != "nologprobs")).encode())

    def _stream(self, content: str, *, model: str) -> None:
        """A streamed chat completion (server-sent events): the reply in word-sized chunks, then [DONE]."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = re.findall(r"\S*\s*", content)[:-1] or [content]
        for k, piece in enumerate(pieces):
            delta = {"role": "assistant", "content": piece} if k == 0 else {"content": piece}
            chunk = {
                "id": "chatcmpl-fault",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
            time.sleep(self.server.stream_delay)
        end = {
            "id": "chatcmpl-fault",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
        self.wfile.flush()
        self.close_connection = True


class FaultServer(ThreadingHTTPServer):
    """The server; `counts` per marker, `content_counts` per user message, `body_counts` per request body (canonical
    JSON), `auth` = Authorization values seen."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, *, port: int = 0, latency: float = 0.0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.latency = latency
        self.retry_after = "1"
        self.hang_seconds = 5.0
        self.responder: Callable[[dict], str] | None = None
        self.counts: Counter = Counter()
        self.content_counts: Counter = Counter()
        self.body_counts: Counter = Counter()
        self.auth: set[str] = set()
        self.received: list[tuple[str, dict]] = []
        self.chat_template: str | None = None  # served at GET /props when set (a llama.cpp server)
        self.stream_delay = 0.0  # seconds between the chunks of a streamed reply
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.open = threading.Event()
        self.open.set()

    def pause(self) -> None:
        """Hold every answer (requests still arrive and are counted) until resume()."""
        self.open.clear()

    def resume(self) -> None:
        self.open.set()

    @property
    def url(self) -> str:
        """The base URL to give the openai client."""
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def count(self, marker: str, text: str) -> int:
        with self._lock:
            self.counts[marker] += 1
            self.content_counts[text] += 1
            return self.content_counts[text]

    def record(self, authorization: str | None, body: dict) -> None:
        with self._lock:
            self.body_counts[json.dumps(body, sort_keys=True)] += 1
            if authorization:
                self.auth.add(authorization)

    def duplicates(self) -> dict[str, int]:
        """Request bodies received more than once, with their counts."""
        with self._lock:
            return {body: n for body, n in self.body_counts.items() if n > 1}

    def stats(self) -> dict[str, int]:
        """Requests received, distinct bodies, and requests beyond the first of each body."""
        with self._lock:
            total = sum(self.body_counts.values())
            return {"requests": total, "distinct": len(self.body_counts), "duplicates": total - len(self.body_counts)}

    def handle_error(self, request, client_address) -> None:  # clients hanging up mid-reply are expected
        pass

    def start(self) -> "FaultServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.resume()
        self.shutdown()
        self.server_close()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A running FaultServer on a free loopback port (import this fixture into a test module to use it)."""
    server = FaultServer().start()
    yield server
    server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fault-injecting chat server until killed.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before every reply")
    args = parser.parse_args()
    server = FaultServer(port=args.port, latency=args.latency)
    print(server.url, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
