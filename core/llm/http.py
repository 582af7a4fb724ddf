"""Small synchronous JSON calls to an LLM server's own (non-OpenAI) routes: llama.cpp's /props and /tokenize,
vLLM's /tokenize. The chat and completion calls go through the openai client (core/llm/client.py)."""

import json
import urllib.error
import urllib.request

from core.errors import EndpointError

TIMEOUT = 30.0


def _call(request: urllib.request.Request, timeout: float):
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise EndpointError(f"{request.full_url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EndpointError(f"{request.full_url} is not reachable ({reason})") from None
    except ValueError:
        raise EndpointError(f"{request.full_url} did not answer JSON") from None


def get_json(url: str, *, headers: dict | None = None, timeout: float = TIMEOUT):
    """GET url; the decoded JSON body, EndpointError naming the URL otherwise."""
    return _call(urllib.request.Request(url, headers=headers or {}), timeout)


def post_json(url: str, body: dict, *, headers: dict | None = None, timeout: float = TIMEOUT):
    """POST a JSON body to url; the decoded JSON answer, EndpointError naming the URL otherwise."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    return _call(request, timeout)
