"""Rationales and predictions on the real embedded model (llama.cpp server on SmolLM2-135M)."""

import numpy as np
import pytest
from sqlmodel import Session, select

from core.llm.endpoints import open_endpoint
from core.predict import predict
from core.rationales import generate_rationales
from storage.models import LlmCall, Prediction, Rationale, Scene
from tests.factories import make_dataset, make_scene

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]  # storage on both: the fault-server tests
# free decoding here (short answers); tests/core/test_format_grammar.py has the embedded model under the grammar


def test_embedded_model_rationales_and_predictions(engine, session):
    dataset = make_dataset(session)
    make_scene(session, dataset=dataset, choice_cnt=4, profile="A 25-34 year old programmer who loves comedies.")
    make_scene(session, dataset=dataset, choice_cnt=3, item_pos=2, user_index=1, timestamp=1_700_000_100)

    with open_endpoint(engine=engine, name="local") as endpoint:
        made = generate_rationales(engine=engine, role="weak", endpoint=endpoint, n=2, max_tokens=24, constrain="none")
        predicted = predict(engine=engine, role="weak", endpoint=endpoint)
        rerun = generate_rationales(engine=engine, role="weak", endpoint=endpoint, n=2, max_tokens=24, constrain="none")

    assert (made.total, made.done, made.failed) == (4, 4, 0)
    assert (predicted.total, predicted.done, predicted.failed) == (4, 4, 0)
    assert rerun.total == 0
    with Session(engine) as s:
        scenes = {scene.id: scene for scene in s.exec(select(Scene)).all()}
        rationales = s.exec(select(Rationale)).all()
        predictions = s.exec(select(Prediction)).all()
        calls = s.exec(select(LlmCall)).all()
    assert sorted((r.scene_id, r.sample_index) for r in rationales) == [
        (sid, i) for sid in sorted(scenes) for i in (0, 1)
    ]
    for rationale in rationales:
        assert rationale.text.strip() and rationale.model == endpoint.model and rationale.endpoint == "local"
        assert isinstance(rationale.problems, list)
    assert {p.rationale_id for p in predictions} == {r.id for r in rationales}
    for prediction in predictions:
        probs = np.frombuffer(prediction.probs, dtype=np.float64)
        assert len(probs) == scenes[prediction.scene_id].choice_cnt  # exactly the scene's letters
        assert abs(probs.sum() - 1.0) < 1e-12 and (probs >= 0).all()
        assert prediction.estimated is False  # llama.cpp gives logprobs
        # the letter continues "<decision>\nBehavior: [" in the model's own chat template, on the raw completion route
        assert prediction.conditioning == "chat_template_completion"
        assert 0 <= prediction.behavior_index < len(probs)
    assert len(calls) == 8 and all(c.status == "ok" and c.prompt_tokens for c in calls)
    # the embedded llama.cpp server restricts the answer to exactly the scene's letters with a grammar
    for call in (c for c in calls if c.stage == "predict"):
        letters = " | ".join(f'"{chr(65 + k)}"' for k in range(scenes[call.scene_id].choice_cnt))
        assert call.params["extra_body"] == {"grammar": f"root ::= {letters}"} and call.params["max_tokens"] == 1
        assert call.params["logprobs"] == 20 and "top_logprobs" not in call.params  # the completion route's form
