"""A model's own chat template, rendered here so a raw completion endpoint can continue an assistant message.

vLLM continues the last assistant message itself (continue_final_message). llama.cpp's servers have no such switch,
but they serve a raw completion endpoint: the prompt is the chat template rendered over the messages with the final
assistant message left open — rendered, then cut right after that message's text, exactly as Hugging Face's
apply_chat_template(continue_final_message=True) (and so vLLM) does. The same prompt, tokenized by the server,
counts a prompt's tokens.

Where the template comes from: for the embedded model, the GGUF file's own metadata (`tokenizer.chat_template`,
read here without loading the model); for a llama.cpp server, its GET /props.
"""

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.errors import EndpointError

_GGUF_MAGIC = b"GGUF"
# GGUF value types: fixed-size ones by struct format; 8 = string, 9 = array.
_FIXED = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9
_WANTED = (
    "tokenizer.chat_template",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.add_bos_token",
)


@dataclass(frozen=True)
class ChatTemplate:
    """A Jinja chat template with the special tokens it may name; add_bos = the server prepends BOS itself."""

    source: str
    bos_token: str = ""
    eos_token: str = ""
    add_bos: bool = False

    def render(self, messages: list[dict], *, continue_final: bool, generation_prompt: bool | None = None) -> str:
        """The prompt text: with a generation prompt, or (continue_final) open after the last message's content;
        generation_prompt=False renders the finished turns alone (what a prompt's length is counted on)."""
        text = _compiled(self.source).render(
            messages=messages,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
            add_generation_prompt=(not continue_final) if generation_prompt is None else generation_prompt,
            raise_exception=_raise,
        )
        if continue_final:
            final = messages[-1]["content"]
            cut = text.rfind(final) if final else -1
            if cut < 0 and final.strip():  # a template that strips message text
                final = final.strip()
                cut = text.rfind(final)
            if cut < 0:
                raise EndpointError("the chat template does not show the last message's text; it cannot be continued")
            text = text[: cut + len(final)]
        if self.add_bos and self.bos_token and text.startswith(self.bos_token):
            text = text[len(self.bos_token) :]  # the server adds BOS when it tokenizes
        return text


def _raise(message: str):
    raise EndpointError(f"the chat template refused the messages: {message}")


@lru_cache(maxsize=8)
def _compiled(source: str):
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # the settings transformers and llama-cpp-python render chat templates with
    return ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(source)


def template_for(endpoint) -> ChatTemplate:
    """The chat template of a llama.cpp endpoint: the embedded model's GGUF metadata, or a server's GET /props."""
    if endpoint.kind == "local":
        from core.llm.local_server import find_gguf

        return gguf_template(str(find_gguf()))
    return server_template(endpoint.base_url)


def server_root(base_url: str) -> str:
    """A server's root URL: the OpenAI base URL without its trailing /v1."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


@lru_cache(maxsize=8)
def server_template(base_url: str) -> ChatTemplate:
    """The chat template a llama.cpp server (llama-server) reports at GET /props; the server adds BOS itself."""
    from core.llm.http import get_json

    props = get_json(f"{server_root(base_url)}/props")
    source = props.get("chat_template") if isinstance(props, dict) else None
    if not isinstance(source, str) or not source:
        raise EndpointError(f"{server_root(base_url)}/props reports no chat_template: is it a llama.cpp server?")
    return ChatTemplate(
        source=source,
        bos_token=str(props.get("bos_token") or ""),
        eos_token=str(props.get("eos_token") or ""),
        add_bos=True,
    )


# ---- GGUF metadata --------------------------------------------------------------------------------------------------


class _Reader:
    """Sequential reads of little-endian GGUF values from a binary file."""

    def __init__(self, handle) -> None:
        self.handle = handle

    def take(self, fmt: str):
        size = struct.calcsize("<" + fmt)
        raw = self.handle.read(size)
        if len(raw) != size:
            raise EndpointError("the GGUF file ends inside its metadata")
        return struct.unpack("<" + fmt, raw)[0]

    def string(self) -> str:
        return self.handle.read(self.take("Q")).decode("utf-8", errors="replace")

    def skip(self, size: int) -> None:
        self.handle.seek(size, 1)

    def value(self, kind: int):
        if kind in _FIXED:
            return self.take(_FIXED[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            inner, count = self.take("I"), self.take("Q")
            if inner == _STRING:  # kept as file offsets: only a few token texts are ever read
                offsets = []
                for _ in range(count):
                    offsets.append(self.handle.tell())
                    self.skip(self.take("Q"))
                return offsets
            if inner in _FIXED:
                self.skip(struct.calcsize("<" + _FIXED[inner]) * count)
                return None
            return [self.value(inner) for _ in range(count)]
        raise EndpointError(f"GGUF value type {kind} is unknown")


@lru_cache(maxsize=4)
def gguf_template(path: str) -> ChatTemplate:
    """The chat template and BOS/EOS tokens in a GGUF file's metadata; EndpointError when it has no template."""
    file = Path(path)
    with file.open("rb") as handle:
        found = _metadata(_Reader(handle), file.name)
    if not found.get("tokenizer.chat_template"):
        raise EndpointError(f"{file.name} has no chat template in its metadata")
    return ChatTemplate(
        source=found["tokenizer.chat_template"],
        bos_token=found.get("bos", ""),
        eos_token=found.get("eos", ""),
        add_bos=bool(found.get("tokenizer.ggml.add_bos_token", False)),
    )


def _metadata(reader: _Reader, name: str) -> dict:
    if reader.handle.read(4) != _GGUF_MAGIC:
        raise EndpointError(f"{name} is not a GGUF file")
    reader.take("I")  # version
    reader.take("Q")  # tensor count
    found: dict = {}
    tokens: list[int] | None = None
    for _ in range(reader.take("Q")):
        key = reader.string()
        value = reader.value(reader.take("I"))
        if key in _WANTED:
            found[key] = value
        elif key == "tokenizer.ggml.tokens":
            tokens = value
    for field, key in (("bos", "tokenizer.ggml.bos_token_id"), ("eos", "tokenizer.ggml.eos_token_id")):
        index = found.get(key)
        if tokens is not None and isinstance(index, int) and 0 <= index < len(tokens):
            reader.handle.seek(tokens[index])
            found[field] = reader.string()
    return found
