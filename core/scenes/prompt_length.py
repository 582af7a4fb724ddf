"""Prompt length of a scene, for `scenes --max-prompt-tokens` and the paper's eval preset (README "Reproducing the
paper").

A scene's length is the tokens of the prompt it is sent with (system and user turn in the model's chat template, no
generation prompt: what the reference's length_filter counts with apply_chat_template), counted with a real
tokenizer where there is one:
- vllm: the server's own POST /tokenize over the messages;
- llamacpp: the model's chat template (GET /props) rendered here, tokenized by the server's POST /tokenize;
- local (the embedded model): its own tokenizer, read from the GGUF file (vocabulary only, no server started);
- any other endpoint, or none: an estimate, ceil(characters / 3) over the system and user text. Common tokenizers
  average about 4 characters of English per token, so the estimate over-counts and a kept scene fits.
A scene over the limit is skipped and counted, never truncated.
"""

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from core.choices import LOCAL, SCENE_PRESETS
from core.errors import BadInput, EndpointError
from core.llm.chat_template import gguf_template, server_root, server_template

ESTIMATE_CHARS_PER_TOKEN = 3
PARALLEL = 8  # tokenize calls in flight to a server


@dataclass(frozen=True)
class TokenCounter:
    """How a prompt's tokens are counted (`how` names it in reports) and the counting function."""

    how: str
    count: Callable[[list[dict]], int]
    parallel: bool = True  # server calls may overlap; an in-process tokenizer counts one prompt at a time

    def lengths(self, prompts: list[list[dict]]) -> list[int]:
        """The token count of every prompt (several server calls at once)."""
        if len(prompts) < 2 or not self.parallel:
            return [self.count(p) for p in prompts]
        with ThreadPoolExecutor(PARALLEL) as pool:
            return list(pool.map(self.count, prompts))


def estimate(messages: list[dict]) -> int:
    """The documented estimate: ceil(characters / 3) over the messages' text."""
    return math.ceil(sum(len(m["content"]) for m in messages) / ESTIMATE_CHARS_PER_TOKEN)


def resolve_preset(name: str | None, given: dict) -> dict:
    """The build options with a preset's values filled in; an option given with another value is BadInput."""
    if name is None:
        return given
    if name not in SCENE_PRESETS:
        raise BadInput(f"unknown preset {name!r}; use one of: {', '.join(SCENE_PRESETS)}")
    out = dict(given)
    for key, value in SCENE_PRESETS[name].items():
        if given.get(key) is None:
            out[key] = value
        elif given[key] != value and key != "max_prompt_tokens":  # the preset's limit is a default only
            raise BadInput(f"--preset {name} sets --{key.replace('_', '-')} {value} (got {given[key]})")
    return out


def token_counter(*, engine: Engine, endpoint: str | None) -> TokenCounter:
    """The counter for a tokenizer endpoint (None: the estimate), tried once: an endpoint that cannot count is
    BadInput naming it, before anything is built."""
    if endpoint is None:
        return TokenCounter("estimate (characters / 3)", estimate, parallel=False)
    try:
        counter = _endpoint_counter(engine, endpoint)
        counter.count([{"role": "user", "content": "ping"}])
    except EndpointError as exc:
        raise BadInput(f"tokenizer endpoint {endpoint!r} cannot count tokens: {exc}") from None
    return counter


def _endpoint_counter(engine: Engine, name: str) -> TokenCounter:
    from core.llm.endpoints import api_key, find_endpoint
    from core.llm.http import post_json

    if name == LOCAL:
        return _local_counter()
    endpoint = find_endpoint(engine=engine, name=name)
    headers = {"Authorization": f"Bearer {api_key(endpoint)}"} if endpoint.api_key_env else {}
    url = f"{server_root(endpoint.base_url)}/tokenize"
    if endpoint.kind == "vllm":

        def vllm(messages: list[dict]) -> int:
            body = {"model": endpoint.model, "messages": messages, "add_generation_prompt": False}
            return int(post_json(url, body, headers=headers)["count"])

        return TokenCounter(f"{name}'s /tokenize (vLLM)", vllm)
    if endpoint.kind == "llamacpp":
        template = server_template(endpoint.base_url)

        def llamacpp(messages: list[dict]) -> int:
            text = template.render(messages, continue_final=False, generation_prompt=False)
            return len(post_json(url, {"content": text, "add_special": True}, headers=headers)["tokens"])

        return TokenCounter(f"{name}'s /tokenize (llama.cpp)", llamacpp)
    return TokenCounter(f"estimate (characters / 3; {name} has no tokenizer route)", estimate, parallel=False)


def _local_counter() -> TokenCounter:
    import llama_cpp

    from core.llm.local_server import find_gguf

    path = str(find_gguf())
    template = gguf_template(path)
    vocab = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)

    def local(messages: list[dict]) -> int:
        text = template.render(messages, continue_final=False, generation_prompt=False)
        return len(vocab.tokenize(text.encode("utf-8"), add_bos=template.add_bos, special=True))

    return TokenCounter("the embedded model's tokenizer", local, parallel=False)
