"""Bulk verdicts over the whole filtered set, with their undo record; read-only refused; later reviews kept."""

import pytest
from sqlmodel import select

from core.bulk_review import bulk_review, undo_last
from core.errors import BadInput, Forbidden
from core.review import set_review
from storage.audit_models import BulkAction
from storage.browse import SceneFilter
from storage.models import Review
from storage.reviewers import set_role
from tests.factories import make_workspace


def _reviews(session) -> dict[int, tuple]:
    session.expire_all()
    return {r.scene_id: (r.status, r.reviewer, r.note, r.version) for r in session.exec(select(Review))}


def test_bulk_approve_of_the_filtered_set_and_one_undo(session):
    ids = [s.id for s in make_workspace(session)]  # 8 scenes, selection 'sel' holds 4
    set_review(session=session, scene_id=ids[1], status="rejected", reviewer="ann", note="no")
    flt = SceneFilter(selection="sel")
    with pytest.raises(BadInput) as caught:
        bulk_review(session=session, flt=flt, status="approved", reviewer="bo", expected=3)
    assert str(caught.value) == "the filter now matches 4 scenes, not the 3 you confirmed; look again"
    action = bulk_review(session=session, flt=flt, status="approved", reviewer="bo", expected=4)
    assert (action.status, action.reviewer, action.scenes) == ("approved", "bo", 4)
    selected = [ids[k] for k in (1, 2, 5, 6)]
    assert _reviews(session) == {
        ids[1]: ("approved", "bo", "no", 2),
        **{sid: ("approved", "bo", None, 1) for sid in selected if sid != ids[1]},
    }
    set_review(session=session, scene_id=ids[2], status="rejected", reviewer="cy")  # reviewed again since
    assert undo_last(session=session, reviewer="bo") == (
        "undid bulk approved #1: 3 of 4 scenes put back; 1 reviewed again since were left as they are"
    )
    assert _reviews(session) == {ids[1]: ("rejected", "ann", "no", 3), ids[2]: ("rejected", "cy", None, 2)}
    assert session.exec(select(BulkAction.undone_at)).one() is not None
    with pytest.raises(BadInput) as caught:
        undo_last(session=session, reviewer="bo")
    assert str(caught.value) == "bo has no bulk action to undo"


def test_bulk_review_refuses_read_only_and_wrong_verdicts(session):
    make_workspace(session)
    set_role(session=session, name="ada", role="admin", by="ada")
    set_role(session=session, name="viewer", role="read-only", by="ada")
    with pytest.raises(Forbidden):
        bulk_review(session=session, flt=SceneFilter(), status="approved", reviewer="viewer", expected=8)
    with pytest.raises(BadInput) as caught:
        bulk_review(session=session, flt=SceneFilter(), status="pending", reviewer="ada", expected=8)
    assert str(caught.value) == "bulk verdict 'pending': use one of approved, rejected"
    assert _reviews(session) == {} and session.exec(select(BulkAction)).all() == []


def test_bulk_approve_skips_double_review_scenes_and_scenes_open_by_others_and_says_so(session):
    from core.bulk_review import bulk_skipped
    from storage.double_models import DoubleReview
    from storage.queue import claim_scene

    ids = [s.id for s in make_workspace(session)]
    session.add_all(DoubleReview(scene_id=ids[k], marked_by="ada") for k in (0, 3))
    session.commit()
    assert claim_scene(session=session, scene_id=ids[1], reviewer="ann")  # ann has scene 1 open
    assert claim_scene(session=session, scene_id=ids[3], reviewer="cy")  # double and open: counted as double
    assert claim_scene(session=session, scene_id=ids[2], reviewer="bo")  # bo's own lease does not stop bo
    flt = SceneFilter()
    why = "2 in blind double review (their two reviewers decide them); 1 open by another reviewer right now"
    assert bulk_skipped(session=session, flt=flt, reviewer="bo") == (3, why)
    action = bulk_review(session=session, flt=flt, status="approved", reviewer="bo", expected=8)
    assert action.scenes == 5
    assert _reviews(session) == {ids[k]: ("approved", "bo", None, 1) for k in (2, 4, 5, 6, 7)}
    assert undo_last(session=session, reviewer="bo") == "undid bulk approved #1: 5 of 5 scenes put back"
    assert _reviews(session) == {}


def test_a_bulk_verdict_where_every_scene_is_skipped_is_refused(session):
    from storage.double_models import DoubleReview

    ids = [s.id for s in make_workspace(session)]
    session.add_all(DoubleReview(scene_id=sid, marked_by="ada") for sid in ids)
    session.commit()
    with pytest.raises(BadInput) as caught:
        bulk_review(session=session, flt=SceneFilter(), status="rejected", reviewer="bo", expected=8)
    assert str(caught.value) == (
        "all 8 matching scenes are skipped (8 in blind double review (their two reviewers decide them)): nothing to do"
    )
    assert _reviews(session) == {} and session.exec(select(BulkAction)).all() == []
