"""Storage: a prediction replaced by one of a newer rationale version goes to PredictionHistory (an equal or older one
replaces nothing); re-scoring a few scenes replaces their Score rows only. Both backends."""

import numpy as np
import pytest
from sqlmodel import Session, select

from core.repredict import rescore_scenes
from storage.models import Prediction, PredictionHistory, Run, Score
from storage.rationales import prediction_history, upsert_predictions
from tests.factories import make_workspace


@pytest.fixture
def scenes(engine) -> list[int]:
    with Session(engine, expire_on_commit=False) as s:
        return [scene.id for scene in make_workspace(s)]


def _row(prediction: Prediction, version: int, probs: list[float], behaviour: int) -> dict:
    return {
        "rationale_id": prediction.rationale_id,
        "scene_id": prediction.scene_id,
        "role": prediction.role,
        "rationale_version": version,
        "probs": np.array(probs).tobytes(),
        "estimated": False,
        "behavior_index": behaviour,
        "endpoint": "e2",
        "model": "m2",
    }


def test_a_newer_versions_prediction_keeps_the_old_one_in_history(scenes, session):
    old = session.exec(select(Prediction).where(Prediction.scene_id == scenes[0]).order_by(Prediction.id)).first()
    old_probs, old_behaviour, old_made = old.probs, old.behavior_index, old.created_at
    same = _row(old, 1, [0.1, 0.1, 0.8], 2)
    assert upsert_predictions(session=session, rows=[same]) == set()  # same version: kept, nothing archived
    assert session.exec(select(PredictionHistory)).all() == []
    newer = _row(old, 2, [0.1, 0.8, 0.1], 1)
    assert upsert_predictions(session=session, rows=[newer]) == {old.rationale_id}
    session.commit()
    history = prediction_history(session=session, rationale_id=old.rationale_id)
    assert [(h.rationale_version, h.probs, h.behavior_index) for h in history] == [(1, old_probs, old_behaviour)]
    assert history[0].created_at.replace(tzinfo=None) == old_made.replace(tzinfo=None)
    assert history[0].replaced_at >= history[0].created_at
    session.expire_all()
    now = session.exec(select(Prediction).where(Prediction.rationale_id == old.rationale_id)).one()
    assert (now.rationale_version, now.behavior_index, now.endpoint) == (2, 1, "e2")
    third = _row(old, 3, [0.8, 0.1, 0.1], 0)
    upsert_predictions(session=session, rows=[third])
    session.commit()
    assert [h.rationale_version for h in prediction_history(session=session, rationale_id=old.rationale_id)] == [1, 2]


def test_rescoring_a_scene_replaces_its_score_only(scenes, engine, session):
    before = {s.scene_id: s.strong_E for s in session.exec(select(Score)).all()}
    first = session.exec(select(Prediction).where(Prediction.scene_id == scenes[0], Prediction.role == "strong")).all()
    for prediction in first:  # both strong predictions now certain of option A
        upsert_predictions(session=session, rows=[_row(prediction, 2, [1.0, 0.0, 0.0], 0)])
    session.commit()
    assert rescore_scenes(engine=engine, scene_ids=[scenes[0]]) == 1
    session.expire_all()
    after = {s.scene_id: s.strong_E for s in session.exec(select(Score)).all()}
    assert after[scenes[0]] == pytest.approx(0.0, abs=1e-6) and before[scenes[0]] > 0.5
    assert {k: v for k, v in after.items() if k != scenes[0]} == {k: v for k, v in before.items() if k != scenes[0]}
    run = session.exec(select(Run).where(Run.kind == "score").order_by(Run.id.desc())).first()
    assert (run.status, run.params, run.message) == ("done", {"scenes": [scenes[0]]}, "re-scored 1 of 1 scene(s)")
