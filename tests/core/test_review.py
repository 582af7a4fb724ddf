"""Review rules (core/review.py): versions kept, edits re-parsed and authored, stale saves refused with who/when."""

import re

import pytest
from sqlmodel import Session, select

from core.errors import BadInput, NotFound, StaleVersion
from core.review import edit_rationale, rationale_versions, set_review
from storage.models import Rationale, RationaleVersion, Review
from storage.rationales import add_new_rationales
from storage.reviews import get_review
from tests.factories import make_dataset, make_rationale, make_scene

EDITED = """Stimulus: I am bored tonight.
Stimulus factors: boredom, time of day
Knowledge: Option B is a drama like the ones I watched.
Knowledge factors: past experience, rating score
Evaluation: I go with what I know.
Evaluation style: habitual
Behavior: [B]"""
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"


@pytest.fixture
def scene(session):
    ds = make_dataset(session)
    return make_scene(session, dataset=ds, choice_cnt=3, item_pos=1)


def test_review_versions_count_up_and_a_stale_save_is_refused(scene, engine):
    with Session(engine) as alice, Session(engine) as bob:
        first = set_review(session=alice, scene_id=scene.id, status="approved", reviewer="alice", expected_version=0)
        assert (first.status, first.reviewer, first.version) == ("approved", "alice", 1)
        seen_by_bob = get_review(session=bob, scene_id=scene.id).version
        seen_by_alice = get_review(session=alice, scene_id=scene.id).version
        second = set_review(
            session=bob, scene_id=scene.id, status="rejected", reviewer="bob", note="off-topic",
            expected_version=seen_by_bob,
        )  # fmt: skip
        assert (second.status, second.note, second.version) == ("rejected", "off-topic", 2)
        with pytest.raises(StaleVersion) as err:
            set_review(
                session=alice, scene_id=scene.id, status="approved", reviewer="alice", expected_version=seen_by_alice
            )
    assert re.fullmatch(
        rf"review of scene {scene.id} was changed by bob at {STAMP} since you opened it \(version 2, yours 1\); "
        "reload to see it",
        str(err.value),
    )
    with Session(engine) as check:
        stored = check.exec(select(Review)).one()
    assert (stored.status, stored.reviewer, stored.note, stored.version) == ("rejected", "bob", "off-topic", 2)


def test_review_created_meanwhile_refuses_a_save_that_saw_none(scene, session):
    set_review(session=session, scene_id=scene.id, status="approved", reviewer="alice")
    with pytest.raises(StaleVersion, match=r"changed by alice .* \(version 1, yours 0\)"):
        set_review(session=session, scene_id=scene.id, status="rejected", reviewer="bob", expected_version=0)


def test_unchecked_review_saves_always_land_and_bump_the_version(scene, session):
    for k, status in enumerate(["approved", "pending", "rejected"], start=1):
        assert set_review(session=session, scene_id=scene.id, status=status, reviewer="pipeline").version == k
    assert get_review(session=session, scene_id=scene.id).status == "rejected"


def test_bad_status_and_unknown_scene(scene, session):
    with pytest.raises(BadInput, match="unknown review status 'ok'; use one of: pending, approved, rejected"):
        set_review(session=session, scene_id=scene.id, status="ok", reviewer="a")
    with pytest.raises(NotFound, match="scene 999 does not exist"):
        set_review(session=session, scene_id=999, status="approved", reviewer="a")
    assert session.exec(select(Review)).all() == []


def test_edit_makes_a_new_version_reparses_and_keeps_the_old_one(scene, session):
    rat = make_rationale(session, scene=scene, role="strong", sample_index=0, behavior="A", probs=[0.5, 0.3, 0.2])
    saved = edit_rationale(session=session, rationale_id=rat.id, text=EDITED, author="alice", expected_version=1)
    assert (saved.version, saved.text, saved.behavior, saved.style) == (2, EDITED, "B", "habitual")
    assert saved.stimulus_factors == ["boredom", "time of day"]
    assert saved.knowledge_factors == ["past experience", "rating score/distribution"]
    assert saved.problems == []
    versions = rationale_versions(session=session, rationale_id=rat.id)
    assert [(v.version, v.author) for v in versions] == [(1, "m"), (2, "alice")]
    assert versions[0].text == "strong rationale 0.\nBehavior: [A]" and versions[1].text == EDITED


def test_stale_edit_is_refused_and_changes_nothing(scene, engine):
    with Session(engine) as setup:
        rat_id = make_rationale(setup, scene=scene, role="weak", sample_index=0).id
    with Session(engine) as alice, Session(engine) as bob:
        opened = bob.get(Rationale, rat_id).version
        edit_rationale(session=alice, rationale_id=rat_id, text=EDITED, author="alice", expected_version=1)
        with pytest.raises(StaleVersion) as err:
            edit_rationale(
                session=bob, rationale_id=rat_id, text="Behavior: [C]", author="bob", expected_version=opened
            )
    assert re.fullmatch(
        rf"rationale {rat_id} was changed by alice at {STAMP} since you opened it \(version 2, yours 1\); "
        "reload to see it",
        str(err.value),
    )
    with Session(engine) as check:
        stored = check.get(Rationale, rat_id)
        assert (stored.version, stored.text, stored.behavior) == (2, EDITED, "B")
        assert len(check.exec(select(RationaleVersion).where(RationaleVersion.rationale_id == rat_id)).all()) == 2


def _generated(session, scene, *, model: str | None = "qwen", endpoint: str | None = "local", index: int = 0) -> int:
    """A rationale stored the way generation stores it (no RationaleVersion row); its id."""
    text = f"I pick what I know ({index}).\nBehavior: [A]"
    row = {"scene_id": scene.id, "role": "strong", "sample_index": index, "text": text, "behavior": "A"}
    (rid,) = add_new_rationales(session=session, rows=[{**row, "model": model, "endpoint": endpoint}])
    session.commit()
    return rid


def _stored(session, rid: int) -> list[tuple]:
    rows = session.exec(select(RationaleVersion).where(RationaleVersion.rationale_id == rid)).all()
    return sorted((v.version, v.text, v.author) for v in rows)


def test_unedited_rationale_lists_one_synthesized_version_and_stores_none(scene, session):
    rid = _generated(session, scene)
    rat = session.get(Rationale, rid)
    listed = rationale_versions(session=session, rationale_id=rid)
    assert [(v.id, v.rationale_id, v.version, v.text, v.author) for v in listed] == [
        (None, rid, 1, "I pick what I know (0).\nBehavior: [A]", "qwen")
    ]
    assert listed[0].created_at == rat.created_at
    session.commit()
    assert _stored(session, rid) == [] and session.exec(select(RationaleVersion)).all() == []
    assert rationale_versions(session=session, rationale_id=999) == []


def test_first_edit_stores_the_original_as_version_1_then_the_edit(scene, session):
    rid = _generated(session, scene)
    edit_rationale(session=session, rationale_id=rid, text=EDITED, author="alice", expected_version=1)
    assert _stored(session, rid) == [(1, "I pick what I know (0).\nBehavior: [A]", "qwen"), (2, EDITED, "alice")]
    edit_rationale(session=session, rationale_id=rid, text="Behavior: [C]", author="bob", expected_version=2)
    listed = rationale_versions(session=session, rationale_id=rid)
    assert [(v.version, v.text, v.author) for v in listed] == [
        (1, "I pick what I know (0).\nBehavior: [A]", "qwen"),
        (2, EDITED, "alice"),
        (3, "Behavior: [C]", "bob"),
    ]
    assert all(v.id is not None for v in listed)


def test_first_edit_names_the_endpoint_or_pipeline_when_no_model(scene, session):
    by_endpoint = _generated(session, scene, model=None, endpoint="local", index=0)
    by_nobody = _generated(session, scene, model=None, endpoint=None, index=1)
    assert [v.author for v in rationale_versions(session=session, rationale_id=by_nobody)] == ["pipeline"]
    for rid in (by_endpoint, by_nobody):
        edit_rationale(session=session, rationale_id=rid, text=EDITED, author="ann", expected_version=1)
    assert [a for _, _, a in _stored(session, by_endpoint)] == ["local", "ann"]
    assert [a for _, _, a in _stored(session, by_nobody)] == ["pipeline", "ann"]


def test_stale_first_edit_stores_nothing_twice(scene, engine):
    with Session(engine) as setup:
        rid = _generated(setup, scene)
    with Session(engine) as alice, Session(engine) as bob:
        bob.get(Rationale, rid)
        edit_rationale(session=alice, rationale_id=rid, text=EDITED, author="alice", expected_version=1)
        with pytest.raises(StaleVersion, match=rf"rationale {rid} was changed by alice at {STAMP}"):
            edit_rationale(session=bob, rationale_id=rid, text="Behavior: [C]", author="bob", expected_version=1)
    with Session(engine) as check:
        assert _stored(check, rid) == [(1, "I pick what I know (0).\nBehavior: [A]", "qwen"), (2, EDITED, "alice")]


def test_edit_records_format_problems_and_refuses_empty_or_unknown(scene, session):
    rat = make_rationale(session, scene=scene, role="strong", sample_index=0)
    saved = edit_rationale(
        session=session, rationale_id=rat.id, text="I like it.\nBehavior: [Z]", author="a", expected_version=1
    )
    assert saved.behavior is None and "invalid letter: [Z] (options A-C)" in saved.problems
    with pytest.raises(BadInput, match=f"rationale {rat.id}: the edited text is empty"):
        edit_rationale(session=session, rationale_id=rat.id, text="  ", author="a", expected_version=2)
    with pytest.raises(NotFound, match="rationale 999 does not exist"):
        edit_rationale(session=session, rationale_id=999, text=EDITED, author="a", expected_version=1)
    assert session.get(Rationale, rat.id).version == 2
