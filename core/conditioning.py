"""How a call is conditioned on an assistant prefix, per endpoint kind (DESIGN.md §4): the requests a stage sends.

The reference predicts the letter by continuing the assistant turn "<decision>\\nBehavior: [" for one token
(vLLM's continue_final_message). Here:
- vllm: the same switch (continue_final_message) on the chat endpoint;
- llama.cpp (the embedded `local` model and `llamacpp` servers): the model's own chat template rendered with that
  turn left open (core/llm/chat_template.py) and sent to the raw completion endpoint, the answer restricted to the
  scene's letters by a grammar — the same prompt tokens vLLM would build;
- other endpoints (hosted chat APIs) cannot continue a message: the decision is a finished assistant turn and a
  follow-up user turn asks for the letter (the documented fallback).
Each prediction records which of the three it used (Prediction.conditioning).
"""

from dataclasses import dataclass

from core.llm.chat_template import ChatTemplate, template_for
from core.llm.client import LlmRequest
from storage.constants import CONTINUED, FOLLOW_UP, LETTERS, TEMPLATED
from storage.models import Endpoint

BY_KIND = {"vllm": CONTINUED, "local": TEMPLATED, "llamacpp": TEMPLATED}
GRAMMAR_KINDS = ("local", "llamacpp")  # llama.cpp servers: a GBNF grammar can restrict the answer to the letters
VLLM_CONTINUE = {"continue_final_message": True, "add_generation_prompt": False}


def conditioning_for(endpoint: Endpoint) -> str:
    """The conditioning an endpoint's kind allows."""
    return BY_KIND.get(endpoint.kind, FOLLOW_UP)


def answer_constraint(endpoint: Endpoint, n_options: int) -> dict:
    """Request parameters that make the answer exactly one of the scene's letters, where the server supports it.

    With the grammar the first generated token is the answer itself; llama.cpp reports its top logprobs from the
    model's raw distribution at that position, so the letter probabilities are read there, not from leftover mass
    after some other first token. Endpoints without such support get {} (and the multi-token scan).
    """
    if endpoint.kind not in GRAMMAR_KINDS:
        return {}
    choices = " | ".join(f'"{LETTERS[k]}"' for k in range(n_options))
    return {"extra_body": {"grammar": f"root ::= {choices}"}, "max_tokens": 1}


@dataclass(frozen=True)
class Conditioner:
    """Builds an endpoint's requests for prompts that may end in an assistant prefix to continue."""

    endpoint: Endpoint
    conditioning: str
    template: ChatTemplate | None = None

    @classmethod
    def open(cls, endpoint: Endpoint) -> "Conditioner":
        """The conditioner of a ready endpoint (reads the chat template of a llama.cpp model once)."""
        conditioning = conditioning_for(endpoint)
        template = template_for(endpoint) if conditioning == TEMPLATED else None
        return cls(endpoint, conditioning, template)

    @property
    def continues(self) -> bool:
        """True when the endpoint can continue an assistant prefix (ask for prompts that end in one)."""
        return self.conditioning != FOLLOW_UP

    def request(
        self,
        key: str,
        messages: list[dict],
        params: dict,
        *,
        scene_id: int | None,
        stage: str | None,
        unit: str | None = None,
    ) -> LlmRequest:
        """One request for the messages, continuing the last one when it is an assistant turn; params are chat
        parameters (logprobs=True and top_logprobs=K when logprobs are wanted)."""
        params = dict(params)
        raw = None
        prefix = messages[-1]["role"] == "assistant"
        if prefix and self.conditioning == CONTINUED:
            params["extra_body"] = {**params.get("extra_body", {}), **VLLM_CONTINUE}
        elif self.conditioning == TEMPLATED and self.template is not None:
            raw = self.template.render(messages, continue_final=prefix)
            if params.pop("logprobs", None):  # the completion endpoint takes the number of top logprobs instead
                params["logprobs"] = params.pop("top_logprobs", 1)
        return LlmRequest(key, messages, params, scene_id=scene_id, stage=stage, prompt=raw, unit=unit)
