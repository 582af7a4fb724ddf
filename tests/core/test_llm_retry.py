"""Pure pieces of the LLM client: reply extraction, Retry-After parsing, backoff bounds, secret scrubbing."""

import time
from email.utils import formatdate

import pytest

import core.llm.retry as retry
from core.llm.client import extract
from core.llm.retry import BadReply, scrub


@pytest.mark.parametrize(
    "body",
    [{"choices": []}, {"choices": [{"message": {"content": ["x"]}}]}, {"error": "x"}, ["not", "a", "dict"]],
)
def test_extract_rejects_replies_that_are_not_completions(body):
    with pytest.raises(BadReply):
        extract(body)


def test_scrub_masks_secrets_bearer_tokens_and_key_shapes():
    text = "nonexistent key s3cr3tvalue, header Bearer abc.def leaked sk-proj-0123456789 end"
    assert scrub(text, ["s3cr3tvalue"]) == "nonexistent key ***, header Bearer *** leaked sk-*** end"
    assert scrub("none of it", []) == "none of it"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after": "3"}, 3.0), ({"retry-after-ms": "250"}, 0.25), ({"retry-after": "soon"}, None), ({}, None)],
)
def test_retry_after_header_forms(headers, expected):
    class Failed(Exception):
        response = type("R", (), {"headers": headers})()

    assert retry.retry_after_seconds(Failed()) == expected


def test_retry_after_http_date_and_backoff_bounds():
    class Failed(Exception):
        response = type("R", (), {"headers": {"retry-after": formatdate(time.time() + 30, usegmt=True)}})()

    assert 28 <= retry.retry_after_seconds(Failed()) <= 30
    assert retry.backoff_delay(0, retry_after=2.0) >= 2.0
    assert retry.backoff_delay(0, retry_after=10_000) == retry.MAX_RETRY_AFTER
    assert all(0 <= retry.backoff_delay(20) <= retry.BACKOFF_CAP for _ in range(50))
