"""Predict one edited rationale again and re-score its scene (Review's one-button re-predict after an edit).

The prediction made for the earlier version is not lost: storage keeps it in PredictionHistory when the new one
replaces it. The scene's Score row (scores and behaviour pair) is recomputed from its predictions alone, and the
re-score is recorded as a finished `score` run so every cache keyed on the last score run reads again.
"""

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import BadInput, EndpointError, NotFound
from core.predict import predict
from core.scoring import score_frame
from storage.constants import ANY
from storage.models import Endpoint, utcnow
from storage.rationales import prediction_history
from storage.reviews import get_rationale
from storage.runs import finish_run, start_run
from storage.scores import prediction_arrays, replace_scores, scene_arrays


@dataclass
class Repredicted:
    """What the re-prediction did: the rationale and version predicted, whether its scene has a score now."""

    rationale_id: int
    version: int
    scene_id: int
    scored: bool
    replaced: int  # earlier predictions of this rationale now in the history

    @property
    def message(self) -> str:
        scored = "its scene re-scored" if self.scored else "its scene has no score (it needs both roles)"
        return (
            f"Rationale {self.rationale_id} version {self.version} predicted again; {scored}; "
            f"{self.replaced} earlier prediction(s) in its history."
        )


def rescore_scenes(*, engine: Engine, scene_ids: list[int]) -> int:
    """Recompute the Score rows of these scenes from their predictions (a scene lacking a role loses its row);
    recorded as a `score` run. Returns how many of them are scored."""
    with Session(engine, expire_on_commit=False) as session:
        run = start_run(session=session, kind="score", params={"scenes": scene_ids}, total=1)
        arrays = prediction_arrays(session=session, scene_ids=scene_ids)
        scenes = scene_arrays(session=session, scene_ids=scene_ids)
        frame, _ = score_frame(arrays, scenes)
        scored = replace_scores(session=session, frame=frame, computed_at=utcnow(), scene_ids=scene_ids)
        session.commit()
        finish_run(session=session, run_id=run.id, message=f"re-scored {scored} of {len(scene_ids)} scene(s)")
    return scored


def repredict(*, engine: Engine, rationale_id: int, endpoint: Endpoint | str) -> Repredicted:
    """Predict the rationale's current version with `endpoint` and re-score its scene; BadInput when that version
    is predicted already, EndpointError when the endpoint gave no usable answer."""
    with Session(engine) as session:
        rationale = get_rationale(session=session, rationale_id=rationale_id)
        if rationale is None:
            raise NotFound(f"rationale {rationale_id} does not exist")
        scene_id, version = rationale.scene_id, rationale.version
    report = predict(engine=engine, role=None, endpoint=endpoint, rationale_ids=[rationale_id], split=ANY)
    if report.done == 0:
        if report.total == 0:
            raise BadInput(f"rationale {rationale_id} version {version} is predicted already")
        raise EndpointError(f"no prediction for rationale {rationale_id} version {version}; see the call log")
    scored = rescore_scenes(engine=engine, scene_ids=[scene_id])
    with Session(engine) as session:
        replaced = len(prediction_history(session=session, rationale_id=rationale_id))
    return Repredicted(rationale_id, version, scene_id, scored == 1, replaced)
