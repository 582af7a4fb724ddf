"""LLM infrastructure: endpoints, the embedded server, and the cached, retried, logged request runner."""

from core.llm.client import LlmRequest, LlmResult, run_requests
from core.llm.endpoints import open_endpoint

__all__ = ["LlmRequest", "LlmResult", "open_endpoint", "run_requests"]
