"""Prediction conditioned like the reference on every endpoint kind: vLLM's continue_final_message, llama.cpp's raw
completion of the model's own chat template, the follow-up fallback; each prediction records which; the cache
never mixes servers."""

import pytest
from sqlmodel import select

from core.cli.main import main
from core.errors import EndpointError
from core.llm.chat_template import ChatTemplate, gguf_template
from core.llm.client import LlmRequest, run_requests
from core.llm.local_server import find_gguf
from core.predict import predict
from core.reference_prompts import DEFAULT_SYSTEM
from storage.models import Endpoint, LlmCall, Prediction
from tests.factories import make_dataset, make_rationale, make_scene
from tests.fault_server import fault_server  # noqa: F401  (fixture)

RATIONALE = "Thought:\nStimulus: bored\nStimulus Factors: Boredom\nEvaluation Style: Habitual\nBehavior: [B]"
DECISION = "Thought:\nStimulus: bored\nStimulus Factors: Boredom\nEvaluation Style: Habitual"
USER = "# User Profile\nA user.\n\n## History\nWatched Item 9\n\n# Exposure List\n[A] Item 0\n[B] Item 1\n[C] Item 2\n"
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
    "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def test_the_embedded_models_own_template_is_read_from_its_gguf_and_left_open_after_the_rationale():
    template = gguf_template(str(find_gguf()))
    assert (template.bos_token, template.eos_token, template.add_bos) == ("<|im_start|>", "<|im_end|>", False)
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "U"},
        {"role": "assistant", "content": "I pick.\nBehavior: ["},
    ]
    assert template.render(messages, continue_final=True) == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nI pick.\nBehavior: ["
    )
    assert template.render(messages[:2], continue_final=False) == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    )


def test_a_template_that_strips_text_or_hides_the_turn():
    strips = ChatTemplate(
        "{{ bos_token }}{% for m in messages %}[{{ m['role'] }}]{{ m['content'] | trim }}{{ eos_token }}{% endfor %}",
        bos_token="<s>",
        eos_token="</s>",
        add_bos=True,  # the server adds BOS itself: the rendered one is dropped
    )
    turns = [{"role": "user", "content": "U"}, {"role": "assistant", "content": "Behavior: [ "}]
    assert strips.render(turns, continue_final=True) == "[user]U</s>[assistant]Behavior: ["
    hides = ChatTemplate("{% for m in messages if m['role'] == 'user' %}{{ m['content'] }}{% endfor %}")
    with pytest.raises(EndpointError, match="does not show the last message's text"):
        hides.render(turns, continue_final=True)


def _scene_with_rationale(session):
    ds = make_dataset(session)
    scene = make_scene(session, dataset=ds, choice_cnt=3, item_pos=1)
    make_rationale(session, scene=scene, role="strong", sample_index=0, text=RATIONALE)
    return scene


def _endpoint(session, server, kind: str, base_url: str | None = None) -> Endpoint:
    row = Endpoint(name=kind, base_url=base_url or server.url, model="m", kind=kind, retries=0)
    session.add(row)
    session.commit()
    session.refresh(row)
    session.expunge(row)
    return row


@pytest.mark.parametrize(
    ("kind", "conditioning"),
    [("vllm", "continue_final_message"), ("llamacpp", "chat_template_completion"), ("openai", "follow_up_question")],
)
def test_each_kind_conditions_the_letter_and_records_how(session, engine, fault_server, kind, conditioning):  # noqa: F811
    _scene_with_rationale(session)
    fault_server.chat_template = CHATML
    endpoint = _endpoint(session, fault_server, kind)
    report = predict(engine=engine, role="strong", endpoint=endpoint)
    assert (report.done, report.failed, report.estimated) == (1, 0, 0)
    (prediction,) = session.exec(select(Prediction)).all()
    assert prediction.conditioning == conditioning
    sent = [(path, body) for path, body in fault_server.received if not path.endswith("/props")]
    assert len(sent) == 1
    path, body = sent[0]
    if kind == "vllm":
        assert path == "/v1/chat/completions" and body["continue_final_message"] is True
        assert body["messages"][-1] == {"role": "assistant", "content": DECISION + "\nBehavior: ["}
        assert (body["max_tokens"], body["top_logprobs"], body["logprobs"]) == (1, 20, True)
    elif kind == "llamacpp":  # the template from GET /props, left open after the decision, on the raw route
        assert path == "/v1/completions" and "messages" not in body
        assert body["prompt"] == (
            f"<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\n{USER}<|im_end|>\n"
            f"<|im_start|>assistant\n{DECISION}\nBehavior: ["
        )
        assert (body["max_tokens"], body["logprobs"], body["grammar"]) == (1, 20, 'root ::= "A" | "B" | "C"')
    else:  # a hosted chat API cannot continue a message: the decision is a finished turn, then a question
        assert path == "/v1/chat/completions" and "continue_final_message" not in body
        assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
        assert body["messages"][2]["content"] == DECISION


def test_a_llamacpp_server_without_a_template_is_an_endpoint_error(session, engine, fault_server):  # noqa: F811
    _scene_with_rationale(session)
    endpoint = _endpoint(session, fault_server, "llamacpp")
    with pytest.raises(EndpointError, match="answered HTTP 404"):
        predict(engine=engine, role="strong", endpoint=endpoint)


def test_two_servers_with_the_same_model_name_never_share_cached_answers(session, engine, fault_server):  # noqa: F811
    first = _endpoint(session, fault_server, "openai")
    other = Endpoint(name="other", base_url=fault_server.url.replace("127.0.0.1", "localhost"), model="m")
    request = LlmRequest("k", [{"role": "user", "content": "hello"}], {"max_tokens": 1})
    for endpoint in (first, other, first):
        run_requests(engine=engine, endpoint=endpoint, requests=[request])
    assert len(fault_server.received) == 2  # the third run is answered from the first server's cache entry
    keys = {call.cache_key for call in session.exec(select(LlmCall)).all()}
    assert len(keys) == 2


def test_evaluate_thought_mode_on_llamacpp_continues_the_reference_prefix_in_the_template(
    session,
    engine,
    fault_server,  # noqa: F811
):
    ds = make_dataset(session)
    make_scene(session, dataset=ds, choice_cnt=3, item_pos=1, split="eval")
    _endpoint(session, fault_server, "llamacpp")
    fault_server.chat_template = CHATML
    fault_server.responder = lambda body: " bored.\nEvaluation Style: Habitual\n" if body.get("stop") else "B"
    assert main(["evaluate", "--endpoint", "llamacpp", "--mode", "thought", "--repeat", "1", "--json"]) == 0
    sent = [(path, body) for path, body in fault_server.received if not path.endswith("/props")]
    assert [path for path, _ in sent] == ["/v1/completions", "/v1/completions"]
    (_, thought), (_, letter) = sent
    opened = (
        f"<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\n{USER}<|im_end|>\n<|im_start|>assistant\n"
    )
    assert thought["prompt"] == opened + "Thought:\nStimulus:"
    assert (thought["stop"], "grammar" in thought) == (["Behavior: ["], False)
    assert letter["prompt"] == opened + "Thought:\nStimulus: bored.\nEvaluation Style: Habitual\nBehavior: ["
    assert (letter["max_tokens"], letter["logprobs"], letter["grammar"]) == (1, 20, 'root ::= "A" | "B" | "C"')
