"""Rationales and predictions against the fault-injecting server: every failure recorded, nothing redone twice."""

import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core.cli.main import main
from core.predict import FLOOR, predict
from core.rationales import generate_for_scene, generate_rationales
from storage.llm import add_endpoint, failed_item_keys
from storage.models import Endpoint, LlmCall, Prediction, Rationale, RationaleVersion, Run, Scene
from tests.factories import GOOD_RATIONALE, make_dataset, make_rationale, make_scene
from tests.fault_server import FaultServer

SECRET = "sk-test-Secret-9f8e7d6c5b4a"
DEADLY = ["429", "500", "hang", "close", "badjson"]


@pytest.fixture
def server():
    srv = FaultServer()
    srv.retry_after = "0.1"
    srv.hang_seconds = 1.5
    srv.start()
    yield srv
    srv.stop()


def _endpoint(session: Session, server: FaultServer, monkeypatch, kind: str = "openai"):
    monkeypatch.setenv("MIRROR_TEST_KEY", SECRET)
    row = Endpoint(
        name="fault",
        base_url=server.url,
        model="fault-model",
        api_key_env="MIRROR_TEST_KEY",
        kind=kind,
        concurrency=8,
        timeout=0.5,
        retries=1,
    )
    add_endpoint(session=session, endpoint=row)
    session.commit()


def _scenes(session: Session, profiles: list[str]) -> dict[str, int]:
    dataset = make_dataset(session, n_users=1)
    ids = {}
    for k, profile in enumerate(profiles):
        ids[profile] = make_scene(session, dataset=dataset, profile=profile, timestamp=1_700_000_000 + k).id
    return ids


def _rows(engine, model, *where):
    with Session(engine) as session:
        return session.exec(select(model).where(*where)).all()


def _assert_secret_absent(db_path: str, caplog, capsys) -> None:
    for path in Path(db_path).parent.glob("mirror.db*"):
        assert SECRET.encode() not in path.read_bytes(), path
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err + caplog.text


def test_rationale_faults_are_recorded_and_only_failures_are_retried(
    engine, db_path, session, server, monkeypatch, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    profiles = ["ok", "FAULT:429-once", "FAULT:fail-once", "FAULT:nologprobs", "wrong-letter"]
    profiles += [f"FAULT:{marker}" for marker in DEADLY]
    scenes = _scenes(session, profiles)
    server.responder = lambda body: GOOD_RATIONALE.format(letter="Z" if "wrong-letter" in json.dumps(body) else "B")
    _endpoint(session, server, monkeypatch)

    first = generate_rationales(engine=engine, role="strong", endpoint="fault", n=2)
    assert (first.total, first.done, first.failed, first.cached) == (20, 10, 10, 0)
    stored = _rows(engine, Rationale)
    assert sorted((r.scene_id, r.sample_index) for r in stored) == [
        (scenes[p], i) for p in profiles[:5] for i in range(2)
    ]
    good = next(r for r in stored if r.scene_id == scenes["ok"])
    assert (good.text, good.behavior, good.problems, good.style) == (
        GOOD_RATIONALE.format(letter="B"),
        "B",
        [],
        "habitual",
    )
    assert (good.stimulus_factors, good.knowledge_factors) == (
        ["boredom", "time of day"],
        ["personal relevance", "past experience"],
    )
    wrong = [r for r in stored if r.scene_id == scenes["wrong-letter"]]
    assert [(r.behavior, r.problems) for r in wrong] == [(None, ["invalid letter: [Z] (options A-D)"])] * 2
    assert _rows(engine, RationaleVersion) == []  # version rows are stored once a rationale is edited
    failed = {f"rationale:{scenes['FAULT:' + m]}:strong:{i}" for m in DEADLY for i in range(2)}
    with Session(engine) as s:
        assert failed_item_keys(session=s, stage="rationale") == failed
    errors = {c.item_key: c.error for c in _rows(engine, LlmCall, LlmCall.status == "error")}
    assert errors[f"rationale:{scenes['FAULT:500']}:strong:0"].startswith("http_500")
    assert errors[f"rationale:{scenes['FAULT:429']}:strong:0"].startswith("http_429")
    assert errors[f"rationale:{scenes['FAULT:hang']}:strong:0"].startswith("timeout")
    assert errors[f"rationale:{scenes['FAULT:badjson']}:strong:1"].startswith("bad_reply")

    # Second run: only the failed items are attempted; finished rationales are untouched.
    second = generate_rationales(engine=engine, role="strong", endpoint="fault", n=2)
    assert (second.total, second.done, second.failed) == (10, 0, 10)
    run2_keys = {c.item_key for c in _rows(engine, LlmCall, LlmCall.run_id == second.run_id)}
    assert run2_keys == failed
    assert [(r.id, r.text, r.created_at) for r in _rows(engine, Rationale)] == [
        (r.id, r.text, r.created_at) for r in stored
    ]

    # The server heals (markers gone): a third run completes exactly the missing ones.
    with Session(engine) as s:
        s.execute(
            text("UPDATE scene SET profile = 'healed' WHERE profile LIKE 'FAULT:%' AND profile != :keep"),
            {"keep": "FAULT:nologprobs"},
        )
        s.commit()
    third = generate_rationales(engine=engine, role="strong", endpoint="fault", n=2)
    assert (third.total, third.done, third.failed) == (10, 10, 0)
    assert len(_rows(engine, Rationale)) == 20
    assert server.auth == {f"Bearer {SECRET}"}
    _assert_secret_absent(db_path, caplog, capsys)


def _prediction_scenes(session: Session, markers: list[str]) -> dict[str, int]:
    """Scenes whose option texts carry the marker (the prediction's last user turn lists the options)."""
    scenes = _scenes(session, markers)
    for marker, scene_id in scenes.items():
        scene = session.get(Scene, scene_id)
        scene.options = [f"Item {k} {marker}" for k in range(4)]
        session.add(scene)
        session.commit()
        make_rationale(session, scene=scene, role="weak", sample_index=0, text=GOOD_RATIONALE.format(letter="B"))
    return scenes


def test_prediction_faults_fallback_and_retry_of_failures_only(
    engine, db_path, session, server, monkeypatch, caplog, capsys
):
    caplog.set_level(logging.DEBUG)
    markers = ["ok", "FAULT:nologprobs", "FAULT:letter=Z", "FAULT:nologprobs wrong-letter"]
    markers += [f"FAULT:{m}" for m in DEADLY]
    scenes = _prediction_scenes(session, markers)
    server.responder = lambda body: "Z" if "wrong-letter" in json.dumps(body) else "C"
    _endpoint(session, server, monkeypatch)
    rid = {m: session.exec(select(Rationale.id).where(Rationale.scene_id == scenes[m])).one() for m in markers}

    first = predict(engine=engine, role="weak", endpoint="fault")
    assert (first.total, first.done, first.failed, first.estimated) == (9, 3, 6, 1)
    preds = {p.rationale_id: p for p in _rows(engine, Prediction)}
    assert set(preds) == {rid["ok"], rid["FAULT:nologprobs"], rid["FAULT:letter=Z"]}
    # "C" with logprobs C -0.1, A -2, B -3, D -5 (the fault server's shape); "Z" leaves A -2, B -3, C -4, D -5.
    expected_ok = np.exp([-2.0, -3.0, -0.1, -5.0])
    np.testing.assert_allclose(np.frombuffer(preds[rid["ok"]].probs), expected_ok / expected_ok.sum(), rtol=1e-12)
    expected_z = np.exp([-2.0, -3.0, -4.0, -5.0])
    np.testing.assert_allclose(
        np.frombuffer(preds[rid["FAULT:letter=Z"]].probs), expected_z / expected_z.sum(), rtol=1e-12
    )
    sampled = preds[rid["FAULT:nologprobs"]]
    assert sampled.estimated is True
    np.testing.assert_allclose(
        np.frombuffer(sampled.probs), np.array([FLOOR, FLOOR, 1.0, FLOOR]) / (1 + 3 * FLOOR), rtol=1e-12
    )
    assert sampled.behavior_index == 2
    for p in preds.values():
        assert (p.rationale_version, p.role, p.endpoint, p.model) == (1, "weak", "fault", "fault-model")
        assert math.isclose(np.frombuffer(p.probs).sum(), 1.0, abs_tol=1e-12)
    wrong = f"predict:{rid['FAULT:nologprobs wrong-letter']}:v1"
    invalid = {c.item_key: c.error for c in _rows(engine, LlmCall, LlmCall.error.like("invalid answer:%"))}
    assert invalid == {
        f"{wrong}:sample{j}": "invalid answer: no option letter (A-D) in the answer 'Z'" for j in range(8)
    }
    failed_http = {f"predict:{rid['FAULT:' + m]}:v1" for m in DEADLY}
    with Session(engine) as s:
        assert failed_item_keys(session=s, stage="predict") == failed_http

    second = predict(engine=engine, role="weak", endpoint="fault")
    assert (second.total, second.done, second.failed) == (6, 0, 6)
    run2_keys = {c.item_key for c in _rows(engine, LlmCall, LlmCall.run_id == second.run_id)}
    assert run2_keys == failed_http | set(invalid)  # the stale bad samples are asked again live, nothing else
    assert {p.rationale_id: (p.id, p.probs) for p in _rows(engine, Prediction)} == {
        k: (p.id, p.probs) for k, p in preds.items()
    }
    _assert_secret_absent(db_path, caplog, capsys)


def test_vllm_endpoints_prefill_the_behavior_line(engine, session, server, monkeypatch):
    scenes = _prediction_scenes(session, ["ok"])
    bodies = []
    server.responder = lambda body: bodies.append(body) or "A"
    _endpoint(session, server, monkeypatch, kind="vllm")
    report = predict(engine=engine, role="weak", endpoint="fault")
    assert (report.done, report.failed) == (1, 0)
    (body,) = bodies
    assert body["messages"][-1] == {
        "role": "assistant",
        "content": GOOD_RATIONALE.format(letter="B").rsplit("\n", 1)[0] + "\nBehavior: [",
    }
    assert (body["continue_final_message"], body["add_generation_prompt"]) == (True, False)
    assert (body["logprobs"], body["top_logprobs"], body["max_tokens"], body["temperature"]) == (True, 20, 1, 0.0)
    (pred,) = _rows(engine, Prediction)
    assert pred.scene_id == scenes["ok"] and np.argmax(np.frombuffer(pred.probs)) == 0


def test_an_edited_rationale_is_predicted_again_and_generate_for_scene_adds_samples(
    engine, session, server, monkeypatch
):
    scenes = _prediction_scenes(session, ["ok"])
    server.responder = lambda body: GOOD_RATIONALE.format(letter="B")
    _endpoint(session, server, monkeypatch)
    assert predict(engine=engine, role="weak", endpoint="fault").done == 1
    rat = session.exec(select(Rationale)).one()
    rat.version, rat.text = 2, "Evaluation: edited by a reviewer.\nBehavior: [A]"
    session.add(rat)
    session.commit()
    again = predict(engine=engine, role="weak", endpoint="fault")
    assert (again.total, again.done) == (1, 1)
    (pred,) = _rows(engine, Prediction)
    assert pred.rationale_version == 2
    assert generate_rationales(engine=engine, role="weak", endpoint="fault", n=1).total == 0  # never overwritten
    assert _rows(engine, Rationale)[0].text.startswith("Evaluation: edited")

    ids = generate_for_scene(engine=engine, scene_id=scenes["ok"], role="weak", endpoint="fault", n=2)
    new = _rows(engine, Rationale, Rationale.id.in_(ids))
    assert sorted(r.sample_index for r in new) == [1, 2]
    assert {p.rationale_id for p in _rows(engine, Prediction)} == {rat.id, *ids}


def test_cli_rationales_and_predict_print_their_summary(engine, session, server, monkeypatch, capsys):
    _scenes(session, ["ok"])
    server.responder = lambda body: GOOD_RATIONALE.format(letter="B")
    _endpoint(session, server, monkeypatch)
    args = ["rationales", "--role", "strong", "--endpoint", "fault", "--n", "2", "--max-tokens", "64"]
    assert main(args) == 0
    assert capsys.readouterr().out == "strong rationales: 2 done, 0 failed, 0 cached, of 2\n"
    assert main(["predict", "--role", "strong", "--endpoint", "fault"]) == 0
    assert capsys.readouterr().out == "strong predictions: 2 done, 0 failed, 0 cached, of 2\n"
    assert main(args) == 0
    assert capsys.readouterr().out == "strong rationales: 0 done, 0 failed, 0 cached, of 0\n"
    runs = _rows(engine, Run)
    assert [(r.kind, r.status, r.total, r.done, r.failed) for r in runs] == [
        ("rationales", "done", 2, 2, 0),
        ("predict", "done", 2, 2, 0),
        ("rationales", "done", 0, 0, 0),
    ]
    assert runs[0].params == {
        "role": "strong",
        "n": 2,
        "dataset": None,
        "limit": None,
        "max_tokens": 64,
        "temperature": 1.0,
        "split": "train",
        "constrain": "none",
        "endpoint": "fault",
    }
    # the two samples run concurrently, so their log order varies: compare by item
    rationale_calls = sorted((c for c in _rows(engine, LlmCall) if c.stage == "rationale"), key=lambda c: c.item_key)
    assert [c.params for c in rationale_calls] == [
        {"temperature": 1.0, "top_p": 0.9, "max_tokens": 64, "seed": 0},
        {"temperature": 1.0, "top_p": 0.9, "max_tokens": 64, "seed": 1},
    ]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--endpoint", "nope"], "error: unknown endpoint 'nope': add it with `python -m core endpoints add nope ...`"),
        (["--endpoint", "fault", "--n", "0"], "error: argument --n: must be a whole number from 1 to 1,000 (got '0')"),
        (["--endpoint", "fault", "--dataset", "zzz"], "error: unknown dataset 'zzz'"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(engine, session, server, monkeypatch, capsys, args, message):
    _endpoint(session, server, monkeypatch)
    assert main(["rationales", "--role", "weak", *args]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == message
    assert _rows(engine, Run) == []
