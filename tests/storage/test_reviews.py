"""Review queries: compare-and-set writes, listings and per-status counts (no Review row = pending)."""

from datetime import UTC, datetime

from sqlmodel import select

from storage.models import Rationale, Review, Selection, SelectionItem
from storage.review_counts import selection_review_counts
from storage.reviews import (
    get_review,
    insert_review,
    list_reviews,
    review_counts,
    update_rationale,
    update_review,
)
from tests.factories import make_dataset, make_rationale, make_scene


def test_review_writes_only_land_on_the_version_they_expect(session):
    scene = make_scene(session, dataset=make_dataset(session))
    verdict = {"status": "approved", "reviewer": "a", "note": None}
    created = insert_review(session=session, scene_id=scene.id, **verdict)
    assert (created.version, insert_review(session=session, scene_id=scene.id, **verdict)) == (1, None)
    assert not update_review(session=session, review_id=created.id, base_version=2, **{**verdict, "reviewer": "b"})
    assert update_review(session=session, review_id=created.id, base_version=1, **{**verdict, "status": "rejected"})
    stored = get_review(session=session, scene_id=scene.id)
    assert (stored.status, stored.reviewer, stored.version) == ("rejected", "a", 2)
    assert len(session.exec(select(Review)).all()) == 1


def test_rationale_update_is_compare_and_set(session):
    scene = make_scene(session, dataset=make_dataset(session), choice_cnt=3)
    rid = make_rationale(session, scene=scene, role="weak", sample_index=0).id
    now = datetime(2026, 1, 2, tzinfo=UTC)
    values = {"text": "new", "behavior": "C"}
    assert not update_rationale(
        session=session, rationale_id=rid, expected_version=2, values=values, updated_at=now, author="alice"
    )
    assert update_rationale(
        session=session, rationale_id=rid, expected_version=1, values=values, updated_at=now, author="alice"
    )
    session.commit()
    stored = session.get(Rationale, rid, populate_existing=True)
    assert (stored.text, stored.behavior, stored.version) == ("new", "C", 2)


def test_review_counts_per_selection_treat_missing_reviews_as_pending(session):
    ds = make_dataset(session)
    scenes = [make_scene(session, dataset=ds, user_index=k % 3, timestamp=1_700_000_000 + k) for k in range(4)]
    rats = [make_rationale(session, scene=s, role="strong", sample_index=0) for s in scenes]
    sel = Selection(name="s", config={})
    session.add(sel)
    session.flush()
    session.add_all(
        SelectionItem(selection_id=sel.id, scene_id=s.id, chosen_rationale_id=r.id, rejected_rationale_id=r.id, rank=k)
        for k, (s, r) in enumerate(zip(scenes, rats, strict=True))
    )
    session.commit()
    session.add_all(
        Review(scene_id=s.id, status=status, reviewer="a")
        for s, status in zip(scenes, ("approved", "rejected", "pending"), strict=False)
    )
    session.commit()
    listed = list_reviews(session=session, selection_id=sel.id)
    assert [(r["scene_id"], r["rank"], r["status"], r["version"]) for r in listed] == [
        (scenes[0].id, 0, "approved", 1),
        (scenes[1].id, 1, "rejected", 1),
        (scenes[2].id, 2, "pending", 1),
        (scenes[3].id, 3, "pending", 0),
    ]
    assert [r["scene_id"] for r in list_reviews(session=session, selection_id=sel.id, status="pending")] == [
        scenes[2].id,
        scenes[3].id,
    ]
    assert review_counts(session=session, selection_id=sel.id) == {
        "scenes": 4,
        "pending": 2,
        "approved": 1,
        "rejected": 1,
    }
    assert selection_review_counts(conn=session.connection()) == {
        "s": {"scenes": 4, "approved": 1, "rejected": 1, "pending": 2}
    }
