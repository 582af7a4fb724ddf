"""`evaluate` against the loopback OpenAI-compatible server: direct and thought modes, skips, failures, reruns."""

import json
import math

import numpy as np
import pytest
from sqlmodel import Session, delete, select

from core.cli.main import main
from core.evaluation.llm_modes import thought_seed
from core.reference_prompts import DEFAULT_SYSTEM, DIRECT_SYSTEM
from storage.llm import add_endpoint
from storage.models import EvalRow, EvalRun, EvalSkip, LlmCall, Run
from tests.factories import make_dataset, make_scene
from tests.fault_server import FaultServer

THOUGHT = " I am bored tonight ({seed}).\nEvaluation Style: Habitual\n"


@pytest.fixture
def server():
    server = FaultServer().start()
    bodies: list[dict] = []

    def respond(body: dict) -> str:
        bodies.append(body)
        return THOUGHT.format(seed=body["seed"]) if body.get("stop") else "B"

    server.responder = respond
    server.bodies = bodies
    yield server
    server.stop()


def _workspace(session, server, *, kind: str = "openai", profiles=("likes drama", "likes comedy", "likes war")):
    ds = make_dataset(session)
    ids = [
        make_scene(session, dataset=ds, choice_cnt=4, item_pos=k % 4, split="eval", profile=p, timestamp=1000 + k).id
        for k, p in enumerate(profiles)
    ]
    make_scene(session, dataset=ds, choice_cnt=4, item_pos=1, split="train", timestamp=900)  # never evaluated
    add_endpoint(session=session, endpoint=_endpoint(server, kind))
    session.commit()
    return ids


def _endpoint(server, kind):
    from storage.models import Endpoint

    return Endpoint(name="fake", base_url=server.url, model="m", kind=kind, concurrency=4, timeout=10, retries=1)


def _json(capsys, *args) -> dict:
    assert main(["evaluate", "--endpoint", "fake", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _logged(engine) -> list[tuple[str, str]]:
    """The call log: (stage, status) per call, in order."""
    with Session(engine) as s:
        return [(c.stage, c.status) for c in s.exec(select(LlmCall).order_by(LlmCall.id))]


def _rows(engine) -> list[EvalRow]:
    with Session(engine) as s:
        return list(s.exec(select(EvalRow).order_by(EvalRow.scene_id, EvalRow.repeat)))


# The fault server's first-token logprobs for 4 options: B -0.1, A -2, C -4, D -5.
EXPECTED = np.exp([-2.0, -0.1, -4.0, -5.0]) / np.exp([-2.0, -0.1, -4.0, -5.0]).sum()


def test_direct_mode_reads_one_distribution_per_scene_and_draws_each_repeat(engine, server, capsys):
    ids = _workspace(Session(engine, expire_on_commit=False), server)
    got = _json(capsys, "--mode", "direct", "--repeat", "3", "--seed", "4")
    assert sum(server.counts.values()) == 3  # one call per scene: repeats only draw
    assert [b["messages"][0]["content"] for b in server.bodies] == [DIRECT_SYSTEM] * 3
    rows = _rows(engine)
    assert [(r.scene_id, r.repeat) for r in rows] == [(s, k) for s in ids for k in range(3)]
    for row in rows:
        probs = np.frombuffer(row.probs, dtype=np.float64)
        np.testing.assert_allclose(probs, EXPECTED, rtol=1e-12)
        assert row.behavior == np.random.default_rng([4, row.scene_id, row.repeat]).choice(4, p=probs)
    assert (got["run"], got["endpoint"], got["mode"], got["scenes"], got["skipped"]) == (
        "fake-direct",
        "fake",
        "direct",
        3,
        0,
    )
    assert got["argmax_accuracy"] == pytest.approx(1 / 3)  # the argmax is B; scene 2 has its truth at B
    assert got["log_loss"] == pytest.approx(-np.mean(np.log(EXPECTED[[0, 1, 2]])), rel=1e-12)
    hits = [row.behavior == row.scene_id - ids[0] for row in rows]
    assert got["accuracy"] == pytest.approx(np.mean(hits), abs=1e-15)

    calls = sum(server.counts.values())
    assert _logged(engine) == [("evaluate", "ok")] * 3  # every call logged by the client
    assert main(["evaluate", "--endpoint", "fake", "--mode", "direct", "--repeat", "3", "--seed", "4"]) == 0
    assert capsys.readouterr().out.startswith("evaluation 'fake-direct': 0 rows scored, 0 scenes skipped")
    assert sum(server.counts.values()) == calls  # a rerun makes no call
    assert _logged(engine) == [("evaluate", "ok")] * 3  # and logs none
    with Session(engine) as s:
        run = s.exec(select(EvalRun)).one()
        assert run.summary == got and run.model == "m" and run.finished_at is not None
        assert [r.kind for r in s.exec(select(Run))] == ["evaluate", "evaluate"]


def test_a_scene_that_does_not_fit_the_context_is_skipped_and_counted(engine, server, capsys):
    ids = _workspace(Session(engine, expire_on_commit=False), server, profiles=("ok", "FAULT:context", "fine"))
    got = _json(capsys, "--mode", "direct")
    assert (got["scenes"], got["skipped"]) == (2, 1)
    assert got["by_choice_cnt"]["4"]["skipped"] == 1
    assert {r.scene_id for r in _rows(engine)} == {ids[0], ids[2]}
    with Session(engine) as s:
        skip = s.exec(select(EvalSkip)).one()
        calls = s.exec(select(LlmCall).where(LlmCall.status == "error")).all()
    assert skip.scene_id == ids[1] and "maximum context length" in skip.reason
    assert len(calls) == 1  # a 400 is not retried
    before = sum(server.counts.values())
    assert _json(capsys, "--mode", "direct") == got  # the skip is remembered: no new call
    assert sum(server.counts.values()) == before


def test_a_failed_scene_is_not_scored_and_the_rerun_asks_it_again(engine, server, capsys):
    _workspace(Session(engine, expire_on_commit=False), server, profiles=("ok", "FAULT:500"))
    assert main(["evaluate", "--endpoint", "fake", "--mode", "direct", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "evaluation 'fake-direct': 2 rows scored, 0 scenes skipped (prompt too long), 2 failed, 0 cached answers, "
        "of 4 rows to do"
    )
    assert "1 scenes scored, 0 skipped" in out
    assert server.counts["500"] == 2  # the first attempt and one retry
    assert main(["evaluate", "--endpoint", "fake", "--mode", "direct", "--repeat", "2"]) == 0
    assert capsys.readouterr().out.startswith(
        "evaluation 'fake-direct': 0 rows scored, 0 scenes skipped (prompt too long), 2 failed"
    )
    assert server.counts["500"] == 4


def test_thought_mode_continues_the_reference_prefix_then_reads_the_letter(engine, server, capsys):
    ids = _workspace(Session(engine, expire_on_commit=False), server, kind="vllm", profiles=("likes drama",))
    got = _json(capsys, "--mode", "thought", "--repeat", "2", "--seed", "3", "--max-tokens", "64")
    thoughts = [b for b in server.bodies if b.get("stop")]
    letters = [b for b in server.bodies if not b.get("stop")]
    assert len(thoughts) == 2 and len(letters) == 2
    for body in thoughts:
        assert body["messages"][0]["content"] == DEFAULT_SYSTEM
        assert body["messages"][-1] == {"role": "assistant", "content": "Thought:\nStimulus:"}
        assert (body["temperature"], body["top_p"], body["max_tokens"], body["stop"]) == (1.0, 0.8, 64, ["Behavior: ["])
        assert body["continue_final_message"] is True and body["add_generation_prompt"] is False
    assert sorted(b["seed"] for b in thoughts) == sorted(thought_seed(3, r) for r in range(2))
    written = ["Thought:\nStimulus:" + THOUGHT.format(seed=thought_seed(3, r)) for r in range(2)]
    assert sorted(b["messages"][-1]["content"] for b in letters) == sorted(w + "Behavior: [" for w in written)
    for body in letters:
        assert body["messages"][-1]["role"] == "assistant"
        assert (body["max_tokens"], body["logprobs"], body["temperature"]) == (1, True, 0.0)
    rows = _rows(engine)
    assert [(r.scene_id, r.repeat, r.thought) for r in rows] == [(ids[0], 0, written[0]), (ids[0], 1, written[1])]
    assert got["mode"] == "thought" and got["scenes"] == 1
    assert got["log_loss"] == pytest.approx(-math.log(EXPECTED[0]), rel=1e-12)
    assert _logged(engine) == [("evaluate", "ok")] * 4  # two thoughts, two letters
    calls = sum(server.counts.values())
    assert _json(capsys, "--mode", "thought", "--repeat", "2", "--seed", "3", "--max-tokens", "64") == got
    assert sum(server.counts.values()) == calls and len(_logged(engine)) == 4  # a rerun makes no call
    with Session(engine) as s:
        s.exec(delete(EvalRow))  # the rows lost (say, a kill before they were stored): every answer is cached
        s.commit()
    assert _json(capsys, "--mode", "thought", "--repeat", "2", "--seed", "3", "--max-tokens", "64") == got
    assert sum(server.counts.values()) == calls and len(_logged(engine)) == 4
    assert [(r.scene_id, r.repeat, r.thought) for r in _rows(engine)] == [
        (ids[0], 0, written[0]),
        (ids[0], 1, written[1]),
    ]


def test_thought_mode_without_continuation_asks_for_the_letter_in_a_user_turn(engine, server, capsys):
    _workspace(Session(engine, expire_on_commit=False), server, profiles=("likes drama",))
    _json(capsys, "--mode", "thought", "--repeat", "1")
    thought, letter = server.bodies
    assert [m["role"] for m in thought["messages"]] == ["system", "user"]
    assert [m["role"] for m in letter["messages"]] == ["system", "user", "assistant", "user"]
    assert letter["messages"][2]["content"] == THOUGHT.format(seed=thought["seed"]).strip()
    assert (letter["max_tokens"], letter["top_logprobs"]) == (8, 20)
