"""The review queue: pending scenes of a filter in its order, one reviewer per scene under a lease, expired leases
freed, assigned scenes first (or alone), progress done / total."""

import time

from sqlmodel import select

from core.review import set_review
from storage.assignments import bulk_assign, bulk_unassign, undo_assignments
from storage.audit_models import Assignment, ReviewLease
from storage.browse import SceneFilter, SceneOrder, list_scenes, matching_scene_ids
from storage.queue import claim_scene, next_scene, other_holder, queue_progress, release_scene
from tests.factories import make_workspace

BY_SCORE = SceneOrder(column="diff_model", descending=True)


def _order(session, flt: SceneFilter, order: SceneOrder) -> list[int]:
    return list_scenes(session=session, flt=flt, order=order, limit=100).rows["scene_id"].tolist()


def _leases(session) -> dict[int, tuple[int, str]]:
    session.expire_all()
    return {row.scene_id: (row.slot, row.reviewer) for row in session.exec(select(ReviewLease))}


def test_two_reviewers_never_get_the_same_scene_and_next_follows_the_order(session):
    make_workspace(session)
    flt = SceneFilter()
    order = _order(session, flt, BY_SCORE)  # most different first
    ann = next_scene(session=session, flt=flt, order=BY_SCORE, reviewer="ann")
    bo = next_scene(session=session, flt=flt, order=BY_SCORE, reviewer="bo")
    assert (ann, bo) == (order[0], order[1])
    assert _leases(session) == {order[0]: (0, "ann"), order[1]: (0, "bo")}
    # bo asks for ann's scene: refused; the queue gives bo the next free one instead
    assert claim_scene(session=session, scene_id=order[0], reviewer="bo") is False
    assert other_holder(session=session, scene_id=order[0], reviewer="bo")[0] == "ann"
    assert other_holder(session=session, scene_id=order[0], reviewer="ann") is None
    # a verdict, then next: ann's lease on the judged scene goes, the next free scene in the order is hers
    set_review(session=session, scene_id=ann, status="approved", reviewer="ann")
    release_scene(session=session, scene_id=ann, reviewer="ann")
    assert next_scene(session=session, flt=flt, order=BY_SCORE, reviewer="ann", after=ann) == order[2]
    assert _leases(session) == {order[2]: (0, "ann"), order[1]: (0, "bo")}  # one open scene per reviewer
    # skipping (no verdict) moves on in the order; past the end it wraps round to the first free pending scene
    assert next_scene(session=session, flt=flt, order=BY_SCORE, reviewer="ann", after=order[-1]) == order[2]
    assert next_scene(session=session, flt=flt, order=BY_SCORE, reviewer="ann", after=order[2]) == order[3]
    assert queue_progress(session=session, flt=flt, order=BY_SCORE, reviewer="ann") == (1, 8)


def test_an_expired_lease_frees_the_scene_and_a_verdict_on_a_held_scene_is_refused(session):
    from core.errors import SceneHeld
    from storage.models import Review

    ids = [s.id for s in make_workspace(session)]
    flt, order = SceneFilter(selection="sel"), SceneOrder()
    assert next_scene(session=session, flt=flt, order=order, reviewer="ann", lease_seconds=0.2) == ids[1]
    try:
        set_review(session=session, scene_id=ids[1], status="rejected", reviewer="bo")
        raise AssertionError("a verdict on ann's scene was saved")
    except SceneHeld as exc:
        assert str(exc).startswith(f"scene {ids[1]} is open by ann (their lease runs ")
        assert str(exc).endswith("s more): your verdict was not saved; go on to the next scene")
    assert session.exec(select(Review)).all() == []
    time.sleep(0.3)
    assert next_scene(session=session, flt=flt, order=order, reviewer="bo") == ids[1]  # the expired lease is bo's now
    assert _leases(session) == {ids[1]: (0, "bo")}
    assert set_review(session=session, scene_id=ids[1], status="rejected", reviewer="bo").status == "rejected"
    assert queue_progress(session=session, flt=flt, order=order, reviewer="bo") == (1, 4)


def test_double_review_lets_a_second_reviewer_hold_the_scene(session):
    ids = [s.id for s in make_workspace(session)]
    assert claim_scene(session=session, scene_id=ids[0], reviewer="ann", slots=2)
    assert claim_scene(session=session, scene_id=ids[0], reviewer="bo", slots=2)
    assert claim_scene(session=session, scene_id=ids[0], reviewer="cy", slots=2) is False
    assert claim_scene(session=session, scene_id=ids[0], reviewer="ann", slots=2)  # a renewal, not a third slot
    session.expire_all()
    rows = session.exec(select(ReviewLease.slot, ReviewLease.reviewer).order_by(ReviewLease.slot)).all()
    assert [tuple(r) for r in rows] == [(0, "ann"), (1, "bo")]


def test_assigned_scenes_come_first_and_alone_with_my_assignments(session):
    ids = [s.id for s in make_workspace(session)]
    flt, order = SceneFilter(), SceneOrder()
    late = SceneFilter(ranges={"diff_model": (None, None)})
    picked = select(matching_scene_ids(session=session, flt=SceneFilter(selection="sel")).subquery().c.id)
    action = bulk_assign(session=session, scene_ids=picked, assignee="bo", reviewer="ann")
    assert (action.status, action.scenes) == ("assign", 4)
    mine = [ids[k] for k in (1, 2, 5, 6)]
    assert sorted(session.exec(select(Assignment.scene_id).where(Assignment.reviewer == "bo")).all()) == mine
    # bo's queue serves his assignments first; ann's skips them
    assert next_scene(session=session, flt=flt, order=order, reviewer="bo") == ids[1]
    assert next_scene(session=session, flt=flt, order=order, reviewer="ann") == ids[0]
    assert next_scene(session=session, flt=flt, order=order, reviewer="ann", after=ids[0]) == ids[3]
    assert queue_progress(session=session, flt=late, order=order, reviewer="bo", mine_only=True) == (0, 4)
    assert queue_progress(session=session, flt=flt, order=order, reviewer="ann") == (0, 4)
    again = bulk_assign(session=session, scene_ids=picked, assignee="bo", reviewer="ann")
    assert again.scenes == 0  # already his
    gone = bulk_unassign(session=session, scene_ids=picked, assignee=None, reviewer="ann")
    assert gone.scenes == 4 and session.exec(select(Assignment)).all() == []
    assert undo_assignments(session=session, action=gone, reviewer="ann") == 4
    assert len(session.exec(select(Assignment)).all()) == 4
    assert undo_assignments(session=session, action=action, reviewer="ann") == 4
    assert session.exec(select(Assignment)).all() == []


def test_neighbours_in_a_score_order_follow_the_listing_unscored_last(session):
    from storage.browse import neighbours
    from tests.factories import make_dataset, make_scene

    make_workspace(session)
    extra = make_dataset(session, name="more")
    for k in range(3):  # unscored scenes (no predictions): last in both directions
        make_scene(session, dataset=extra, choice_cnt=3, item_pos=0, user_index=k, timestamp=1_700_000_100 + k)
    session.commit()
    for order in (BY_SCORE, SceneOrder(column="strong_E"), SceneOrder(column="diff_model")):
        for flt in (SceneFilter(), SceneFilter(selection="sel")):
            listed = _order(session, flt, order)
            for k, sid in enumerate(listed):
                expected = (listed[k - 1] if k else None, listed[k + 1] if k + 1 < len(listed) else None)
                assert neighbours(session=session, scene_id=sid, flt=flt, order=order) == expected, (order, sid)
