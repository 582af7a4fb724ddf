"""Double review on both backends: the spread pick of a selection, blind verdicts settling into a review or the
adjudication queue, refusals (third reviewer, read-only, non-admin), and the agreement figures from SQL aggregates
equal to scikit-learn / krippendorff on the raw verdicts."""

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from sqlmodel import Session, select

from core.agreement import agreement
from core.double_review import adjudicate, disagreement, give_blind_verdict
from core.errors import BadInput, Forbidden
from storage.datasets import delete_dataset
from storage.double_models import Adjudication, BlindVerdict, DoubleReview
from storage.double_review import adjudication_queue, mark_double
from storage.models import PredictionHistory, Rationale, Review, Scene, Selection, utcnow
from storage.reviewers import set_role
from tests.factories import make_workspace


@pytest.fixture
def scenes(engine) -> list[int]:
    with Session(engine, expire_on_commit=False) as s:
        ids = [scene.id for scene in make_workspace(s)]
        sel = s.exec(select(Selection)).one()
        assert mark_double(session=s, selection_id=sel.id, percent=100, by="lead") == 4
        set_role(session=s, name="boss", role="admin", by="boss")
    return ids


def _review(session, scene_id: int) -> tuple | None:
    session.expire_all()
    r = session.exec(select(Review).where(Review.scene_id == scene_id)).first()
    return (r.status, r.reviewer, r.note) if r else None


def test_mark_double_picks_a_stable_share_of_the_selection(engine):
    with Session(engine, expire_on_commit=False) as s:
        make_workspace(s)
        sel = s.exec(select(Selection)).one()
        assert mark_double(session=s, selection_id=sel.id, percent=10, by="lead") == 1  # ceil(4 * 10 %)
        first = s.exec(select(DoubleReview.scene_id)).all()
        assert mark_double(session=s, selection_id=sel.id, percent=50, by="lead") == 2
        assert set(first) <= set(s.exec(select(DoubleReview.scene_id)).all())  # marked scenes stay


def test_two_equal_verdicts_become_the_review(scenes, session):
    scene = scenes[1]
    give_blind_verdict(session=session, scene_id=scene, reviewer="ann", status="approved", note="fine")
    assert _review(session, scene) is None  # one verdict: still pending, nothing shown to others
    give_blind_verdict(session=session, scene_id=scene, reviewer="ann", status="rejected")  # may change until both in
    give_blind_verdict(session=session, scene_id=scene, reviewer="bob", status="rejected")
    assert _review(session, scene) == ("rejected", "bob", "double review: ann and bob agree")
    with pytest.raises(BadInput) as third:
        give_blind_verdict(session=session, scene_id=scene, reviewer="cy", status="approved")
    said = "ann: rejected; bob: rejected"
    assert str(third.value) == f"scene {scene} has its two blind verdicts ({said}); they are final"


def test_a_disagreement_waits_for_an_admin_whose_decision_is_recorded(scenes, session):
    scene = scenes[2]
    give_blind_verdict(session=session, scene_id=scene, reviewer="ann", status="approved")
    give_blind_verdict(session=session, scene_id=scene, reviewer="bob", status="rejected")
    assert _review(session, scene) is None
    assert adjudication_queue(session=session) == [{"scene_id": scene, "verdicts": "ann: approved · bob: rejected"}]
    with pytest.raises(Forbidden):
        adjudicate(session=session, scene_id=scene, status="approved", admin="ann")
    adjudicate(session=session, scene_id=scene, status="approved", admin="boss", note="A is right")
    assert _review(session, scene) == ("approved", "boss", "adjudicated by boss: A is right")
    decided = session.get(Adjudication, scene)
    assert (decided.status, decided.admin, decided.note) == ("approved", "boss", "A is right")
    assert adjudication_queue(session=session) == [] and disagreement(session=session, scene_id=scene) is None
    with pytest.raises(BadInput):
        adjudicate(session=session, scene_id=scene, status="rejected", admin="boss")


def test_read_only_and_single_review_scenes_are_refused(scenes, session):
    set_role(session=session, name="viewer", role="read-only", by="boss")
    with pytest.raises(Forbidden):
        give_blind_verdict(session=session, scene_id=scenes[1], reviewer="viewer", status="approved")
    with pytest.raises(BadInput) as single:
        give_blind_verdict(session=session, scene_id=scenes[0], reviewer="ann", status="approved")
    assert str(single.value) == f"scene {scenes[0]} is not in double review"


def test_agreement_figures_equal_the_libraries_on_the_raw_verdicts(engine, session):
    for k in range(5):  # five datasets of 8 scenes, 4 selected each
        make_workspace(session, name=f"toy{k}", selection=f"sel{k}")
    for sel in session.exec(select(Selection)).all():
        mark_double(session=session, selection_id=sel.id, percent=100, by="lead")
    double = sorted(session.exec(select(DoubleReview.scene_id)).all())
    rng = np.random.default_rng(3)
    ann = rng.choice(["approved", "rejected"], size=len(double))
    bob = np.where(rng.random(len(double)) < 0.7, ann, rng.choice(["approved", "rejected"], size=len(double)))
    for scene, a, b in zip(double, ann, bob, strict=True):
        give_blind_verdict(session=session, scene_id=scene, reviewer="ann", status=str(a))
        give_blind_verdict(session=session, scene_id=scene, reviewer="bob", status=str(b))
    found = agreement(session=session)
    assert found.scenes == len(double) == 20
    (pair,) = found.pairs
    assert pair["pair"] == "ann · bob" and pair["scenes"] == 20
    assert pair["agree"] == pytest.approx(float(np.mean(ann == bob)))
    assert pair["kappa"] == pytest.approx(cohen_kappa_score(ann, bob))
    data = np.array([[0 if v == "approved" else 1 for v in ann], [0 if v == "approved" else 1 for v in bob]])
    assert found.alpha == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    rates = {r["reviewer"]: (r["verdicts"], r["approve rate"]) for r in found.reviewers}
    assert rates["ann"] == (20, pytest.approx(float(np.mean(ann == "approved"))))
    assert found.waiting == int((ann != bob).sum()) and found.decided == 0


def test_deleting_the_dataset_takes_its_double_review_and_prediction_history(scenes, engine):
    with Session(engine) as s:
        give_blind_verdict(session=s, scene_id=scenes[1], reviewer="ann", status="approved")
        give_blind_verdict(session=s, scene_id=scenes[1], reviewer="bob", status="rejected")
        adjudicate(session=s, scene_id=scenes[1], status="approved", admin="boss")
        give_blind_verdict(session=s, scene_id=scenes[2], reviewer="ann", status="approved")
        rationale = s.exec(select(Rationale).where(Rationale.scene_id == scenes[1])).first()
        s.add(
            PredictionHistory(
                rationale_id=rationale.id, scene_id=scenes[1], role=rationale.role, rationale_version=1,
                probs=b"\0" * 8, behavior_index=0, created_at=utcnow(),
            )
        )  # fmt: skip
        s.commit()
        counts = [len(s.exec(select(t)).all()) for t in (DoubleReview, BlindVerdict, Adjudication, PredictionHistory)]
        assert counts == [4, 3, 1, 1]
        dataset_id = s.get(Scene, scenes[1]).dataset_id
    with engine.begin() as conn:
        deleted = delete_dataset(conn=conn, dataset_id=dataset_id)
    assert deleted["scenes"] == 8
    with Session(engine) as s:
        left = [len(s.exec(select(t)).all()) for t in (DoubleReview, BlindVerdict, Adjudication, PredictionHistory)]
        assert left == [0, 0, 0, 0]
        assert s.exec(select(Scene)).all() == []
