"""Reviewers' unsaved drafts in the database: kept per (reviewer, kind, target) with their base, overwritten in place,
listed where they are, deleted; a read-only reviewer cannot keep one; a replaced dataset takes its drafts along."""

import pytest
from sqlalchemy import text

from core.errors import BadInput, Forbidden
from storage.datasets import delete_dataset
from storage.drafts import DraftPlace, delete_draft, draft_places, save_draft, scene_drafts
from storage.reviewers import ensure_reviewer
from tests.factories import make_dataset, make_rationale, make_scene, stored_rows

ROWS = "SELECT reviewer, kind, target_id, scene_id, text, base_version, base_text FROM reviewdraft ORDER BY 1, 2, 3"


@pytest.fixture
def scenes(session):
    ds = make_dataset(session)
    first, second = make_scene(session, dataset=ds), make_scene(session, dataset=ds, user_index=1)
    pairs = [(role, k) for role in ("weak", "strong") for k in (1, 0)]
    rats = [make_rationale(session, scene=first, role=role, sample_index=k) for role, k in pairs]
    other = make_rationale(session, scene=second, role="strong", sample_index=0)
    return first.id, second.id, {(r.role, r.sample_index): r.id for r in rats}, other.id


def _save(session, reviewer: str, kind: str, target: int, scene: int, text: str, base: tuple[int, str]) -> None:
    save_draft(
        session=session,
        reviewer=reviewer,
        kind=kind,
        target_id=target,
        scene_id=scene,
        text=text,
        base_version=base[0],
        base_text=base[1],
    )


def test_a_draft_is_kept_per_reviewer_and_target_and_overwritten_in_place(session, engine, scenes):
    first, second, rats, other = scenes
    strong0 = rats[("strong", 0)]
    _save(session, "ann", "rationale", strong0, first, "ann's edit", (1, "original"))
    _save(session, "bo", "rationale", strong0, first, "bo's edit", (1, "original"))
    _save(session, "ann", "note", first, first, "a note", (0, ""))
    _save(session, "ann", "rationale", strong0, first, "ann's edit, longer", (2, "merged base"))  # in place
    assert stored_rows(engine, ROWS) == [
        ("ann", "note", first, first, "a note", 0, ""),
        ("ann", "rationale", strong0, first, "ann's edit, longer", 2, "merged base"),
        ("bo", "rationale", strong0, first, "bo's edit", 1, "original"),
    ]
    mine = scene_drafts(session=session, reviewer="ann", scene_id=first)
    assert {key: (d.text, d.base_version) for key, d in mine.items()} == {
        ("note", first): ("a note", 0),
        ("rationale", strong0): ("ann's edit, longer", 2),
    }
    assert scene_drafts(session=session, reviewer="ann", scene_id=second) == {}


def test_places_list_a_reviewers_drafts_by_scene_note_first_then_role_and_index(session, scenes):
    first, second, rats, other = scenes
    for key in (("weak", 1), ("strong", 0), ("weak", 0)):
        _save(session, "ann", "rationale", rats[key], first, "x", (1, "y"))
    _save(session, "ann", "rationale", other, second, "x", (1, "y"))
    _save(session, "ann", "note", second, second, "n", (0, ""))
    _save(session, "ann", "note", first, first, "n", (0, ""))
    _save(session, "bo", "note", first, first, "not ann's", (0, ""))
    assert draft_places(session=session, reviewer="ann") == [
        DraftPlace(first, "note", first, None, None),
        DraftPlace(first, "rationale", rats[("strong", 0)], "strong", 0),
        DraftPlace(first, "rationale", rats[("weak", 0)], "weak", 0),
        DraftPlace(first, "rationale", rats[("weak", 1)], "weak", 1),
        DraftPlace(second, "note", second, None, None),
        DraftPlace(second, "rationale", other, "strong", 0),
    ]
    assert draft_places(session=session, reviewer="ann", limit=2) == draft_places(session=session, reviewer="ann")[:2]


def test_delete_removes_only_that_reviewers_draft_of_that_target(session, engine, scenes):
    first, _, rats, _ = scenes
    strong0 = rats[("strong", 0)]
    _save(session, "ann", "rationale", strong0, first, "ann's", (1, "o"))
    _save(session, "bo", "rationale", strong0, first, "bo's", (1, "o"))
    _save(session, "ann", "note", first, first, "note", (0, ""))
    assert delete_draft(session=session, reviewer="ann", kind="rationale", target_id=strong0) is True
    assert delete_draft(session=session, reviewer="ann", kind="rationale", target_id=strong0) is False
    assert stored_rows(engine, ROWS) == [
        ("ann", "note", first, first, "note", 0, ""),
        ("bo", "rationale", strong0, first, "bo's", 1, "o"),
    ]


def test_a_read_only_reviewer_cannot_keep_a_draft_and_a_wrong_kind_is_refused(session, engine, scenes):
    first, _, rats, _ = scenes
    ensure_reviewer(session=session, name="viewer", role="read-only")
    session.commit()
    with pytest.raises(Forbidden) as caught:
        _save(session, "viewer", "note", first, first, "mine", (0, ""))
    assert str(caught.value) == "viewer is read-only: reviews, edits and exports need the reviewer or admin role"
    with pytest.raises(BadInput) as caught:
        _save(session, "ann", "verdict", first, first, "x", (0, ""))
    assert str(caught.value) == "unknown draft kind 'verdict'; use one of: rationale, note"
    assert stored_rows(engine, ROWS) == []
    # the first draft of a new name registers it as a reviewer, as any first write does
    _save(session, "cy", "note", first, first, "cy's", (0, ""))
    roles = stored_rows(engine, "SELECT name, role FROM reviewer ORDER BY name")
    assert roles == [("cy", "reviewer"), ("viewer", "read-only")]


def test_deleting_a_dataset_deletes_its_drafts(session, engine, scenes):
    first, _, rats, _ = scenes
    _save(session, "ann", "rationale", rats[("strong", 0)], first, "x", (1, "o"))
    dataset_id = session.connection().execute(text("SELECT dataset_id FROM scene WHERE id = :s"), {"s": first}).scalar()
    session.commit()
    with engine.begin() as conn:
        delete_dataset(conn=conn, dataset_id=dataset_id)
    assert stored_rows(engine, ROWS) == []
