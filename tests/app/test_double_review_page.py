"""AppTest: a double-review scene is blind on Review (Approve records your verdict only; others' verdicts hidden until
both are in), a disagreement is decided by an admin on the page, and Overview shows kappa, alpha, reviewer figures,
the adjudication queue and marks a share of a selection."""

import pytest
from sqlmodel import Session, select

from core.double_review import give_blind_verdict
from core.verdicts import mark_rationale
from pages.overview_agreement import MARK_OPEN
from storage.double_models import Adjudication, BlindVerdict, DoubleReview
from storage.double_review import mark_double
from storage.models import Rationale, Review, Selection
from storage.reviewers import set_role
from tests.app.overview_helpers import agreement_figures, table_rows, table_rows_of
from tests.app.pages_helpers import open_page

MARK = "Mark a share of a selection for blind double review"


def _more(at) -> list:
    """The adjudication queue's "more" expander (the marking one aside)."""
    return [e for e in at.main.expander if e.label != MARK]


pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL


def _mark_all(engine) -> None:
    with Session(engine) as s:
        mark_double(session=s, selection_id=s.exec(select(Selection.id)).one(), percent=100, by="lead")


def test_review_of_a_double_scene_is_blind_until_both_verdicts_are_in(workspace, engine):
    _mark_all(engine)
    scene = workspace[1]
    with Session(engine) as s:
        give_blind_verdict(session=s, scene_id=scene, reviewer="ann", status="rejected")
        rid = s.exec(select(Rationale.id).where(Rationale.scene_id == scene)).first()
        mark_rationale(session=s, rationale_id=rid, verdict="bad", reviewer="ann", reason=None)
    at = open_page("review", scene=str(scene))
    assert "1 of 2 given, you have not given yours" in at.info[0].value
    assert not [c for c in at.caption if "ann: bad" in c.value]  # ann's rationale verdict is hidden too
    at.button(key="approve").click().run()
    assert at.success[0].value == f"Scene {scene}\\: your blind verdict approved is saved; both verdicts are in\\."
    with Session(engine) as s:
        given = s.exec(select(BlindVerdict.reviewer, BlindVerdict.status).where(BlindVerdict.scene_id == scene))
        assert sorted(given.all()) == [("ann", "rejected"), ("reviewer", "approved")]
        assert s.exec(select(Review).where(Review.scene_id == scene)).first() is None
    assert "Double review disagrees (ann: rejected · reviewer: approved)" in at.warning[0].value.replace("\\", "")
    assert not [b for b in at.button if b.key == "decide_approve"]  # not an admin


def test_an_admin_decides_a_disagreement_on_the_review_page(workspace, engine):
    _mark_all(engine)
    scene = workspace[2]
    with Session(engine) as s:
        give_blind_verdict(session=s, scene_id=scene, reviewer="ann", status="rejected")
        give_blind_verdict(session=s, scene_id=scene, reviewer="bob", status="approved")
        set_role(session=s, name="reviewer", role="admin", by="reviewer")
    at = open_page("review", scene=str(scene))
    at.text_input(key=f"adjudicate_note_{scene}").set_value("B is the true pick")
    at.button(key="decide_approve").click().run()
    assert at.success[0].value == f"Scene {scene}\\: decided approved\\."
    with Session(engine) as s:
        decided = s.get(Adjudication, scene)
        review = s.exec(select(Review).where(Review.scene_id == scene)).one()
    assert (decided.status, decided.admin, decided.note) == ("approved", "reviewer", "B is the true pick")
    assert (review.status, review.reviewer) == ("approved", "reviewer")


def test_overview_shows_agreement_and_the_queue_and_marks_a_share(workspace, engine):
    at = open_page()
    assert "No scene has two blind verdicts yet." in [c.value for c in at.caption]
    assert not at.number_input  # the marking controls are built only once their expander is opened
    at.session_state[MARK_OPEN] = True
    at.run()
    at.number_input(key="double_percent").set_value(50)
    at.button(key="mark_double").click().run()
    assert at.success[0].value == "Selection sel\\: 2 scenes in double review\\."
    with Session(engine) as s:
        double = sorted(s.exec(select(DoubleReview.scene_id)).all())
        for scene, (a, b) in zip(double, (("approved", "approved"), ("approved", "rejected")), strict=True):
            give_blind_verdict(session=s, scene_id=scene, reviewer="ann", status=a)
            give_blind_verdict(session=s, scene_id=scene, reviewer="bob", status=b)
    at.run()
    assert not at.metric  # the figures are one markdown row (no Metric chunk for a fresh tab to load)
    metrics = agreement_figures(at)
    assert metrics["Double-reviewed scenes"] == "2" and metrics["Waiting for an admin"] == "1"
    assert metrics["Krippendorff's alpha"] == "0.000"  # observed = expected disagreement: 1 - 0.5 / 0.5
    assert not at.dataframe  # small tables are markdown: no data grid to load (core/markdown_table.py)
    assert table_rows(at, "pair", "scenes", "agree", "Cohen's kappa") == [["ann · bob", "2", "50.0 %", "0.000"]]
    assert table_rows(at, "open", "scene_id", "verdicts") == [
        [f"review (review?scene={double[1]})", str(double[1]), "ann: approved · bob: rejected"]
    ]
    stats = table_rows(at, "reviewer", "verdicts", "approve rate", "verdicts per active hour")
    assert [row[:3] for row in stats] == [["ann", "2", "100.0 %"], ["bob", "2", "50.0 %"]]
    assert not _more(at)  # the whole queue is shown: nothing to open for more


def test_overview_shows_the_queue_head_and_the_rest_only_when_opened(workspace, engine, monkeypatch):
    monkeypatch.setattr("pages.overview_agreement.QUEUE_SHOWN", 1)
    _mark_all(engine)
    with Session(engine) as s:
        double = sorted(s.exec(select(DoubleReview.scene_id)).all())
        for scene in double[:3]:
            give_blind_verdict(session=s, scene_id=scene, reviewer="ann", status="approved")
            give_blind_verdict(session=s, scene_id=scene, reviewer="bob", status="rejected")
    at = open_page()
    assert agreement_figures(at)["Waiting for an admin"] == "3"
    head = [[f"review (review?scene={double[0]})", str(double[0]), "ann: approved · bob: rejected"]]
    assert table_rows(at, "open", "scene_id", "verdicts") == head
    [more] = _more(at)
    assert more.label == "2 more of the 3 waiting (the first 3 by scene id)"
    assert not more.markdown  # closed: its table is not even built
    at.session_state["adjudication_more"] = True  # the admin opens it
    at.run()
    rest = [[f"review (review?scene={sid})", str(sid), "ann: approved · bob: rejected"] for sid in double[1:3]]
    assert [table_rows_of(m.value) for m in _more(at)[0].markdown] == [rest]
