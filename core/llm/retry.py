"""Which failures are worth another attempt, how long to wait, and scrubbing secrets from error text."""

import json
import random
import re
import time
from email.utils import parsedate_to_datetime

import openai

# Full-jitter exponential backoff: sleep uniform(0, min(CAP, BASE * 2**attempt)) seconds.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
# A Retry-After longer than this is clipped, so a misbehaving server cannot park the run for hours.
MAX_RETRY_AFTER = 120.0

# How servers say a prompt does not fit: OpenAI and llama-cpp-python (context_length_exceeded), vLLM ("maximum context
# length"), llama.cpp's own server ("exceeds the available context size"), llama.cpp's library ("context window").
_CONTEXT_OVERFLOW = re.compile(
    r"context_length_exceeded|maximum context length|exceeds? (?:the )?(?:available )?context|context window",
    re.IGNORECASE,
)
_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,})")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number `attempt` (0-based); at least Retry-After when the server sent one."""
    delay = random.uniform(0.0, min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt)))
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def retry_after_seconds(exc: BaseException) -> float | None:
    """The Retry-After (seconds or HTTP date) or retry-after-ms header of a failed response, in seconds."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000.0)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):  # unparseable: fall back to our own backoff
        return None


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def transport_error(exc: BaseException) -> BaseException:
    """exc as the SDK's default transport reports it. Its aiohttp transport (core/llm/endpoints.py) reports every
    lost connection (a server that hung up, a refused connect) as a connect timeout; such an error whose causes hold
    no timeout is the connection error it is."""
    if isinstance(exc, openai.APITimeoutError):
        chain = _causes(exc)
        from_aiohttp = any(type(e).__module__.startswith("aiohttp") for e in chain)
        if from_aiohttp and not any(isinstance(e, TimeoutError) for e in chain):
            error = openai.APIConnectionError(request=exc.request)
            error.__cause__ = exc.__cause__
            return error
    return exc


def classify(exc: BaseException) -> tuple[str, bool]:
    """(short status, retryable) for an exception raised by one attempt."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout", True
    if isinstance(exc, openai.APIConnectionError):
        return "connection", True
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        return f"http_{code}", code in (408, 409, 429) or code >= 500
    if isinstance(exc, json.JSONDecodeError | openai.APIResponseValidationError | BadReply):
        return "bad_reply", True
    return "error", False


def context_overflow(error: str | None) -> bool:
    """Whether a failed call's error says the prompt does not fit the model's context (not worth another try)."""
    return bool(error) and bool(_CONTEXT_OVERFLOW.search(error))


class BadReply(Exception):
    """The endpoint answered 200 with something that is not a chat completion."""


def scrub(text: str, secrets: list[str]) -> str:
    """Error text with every secret value, bearer token and key-looking string masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1***", text)
    return _KEYLIKE.sub("sk-***", text)
