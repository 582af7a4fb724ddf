"""Per-rationale verdicts and the human pair: rules, persisted rows, the read-only guard, and the `review` CLI."""

import pytest
from sqlmodel import select

from core.cli.main import main
from core.errors import BadInput, Forbidden, NotFound
from core.verdicts import clear_pair, mark_rationale, pair_of, set_pair, verdicts_of
from storage.audit_models import PairOverride, RationaleVerdict
from storage.models import Review
from storage.reviewers import set_role
from tests.factories import make_dataset, make_rationale, make_scene


@pytest.fixture
def scene3(session):
    """One scene with a strong and a weak rationale (both predicted) and one unpredicted rationale."""
    scene = make_scene(session, dataset=make_dataset(session), choice_cnt=3, item_pos=1)
    strong = make_rationale(
        session, scene=scene, role="strong", sample_index=0, probs=[0.1, 0.8, 0.1], behavior_index=1
    )
    weak = make_rationale(session, scene=scene, role="weak", sample_index=0, probs=[0.5, 0.2, 0.3], behavior_index=0)
    bare = make_rationale(session, scene=scene, role="weak", sample_index=1)
    return scene, strong.id, weak.id, bare.id


def test_verdicts_are_one_per_reviewer_and_rationale(session, scene3):
    scene, strong, weak, _ = scene3
    mark_rationale(session=session, rationale_id=weak, verdict="bad", reviewer="ann", reason="hallucinated item")
    mark_rationale(session=session, rationale_id=weak, verdict="unsure", reviewer="ann")  # overwrites ann's
    mark_rationale(session=session, rationale_id=weak, verdict="bad", reviewer="bo", reason="contradicts profile")
    mark_rationale(session=session, rationale_id=strong, verdict="good", reviewer="ann")
    found = verdicts_of(session=session, scene_id=scene.id)
    assert {rid: [(v.reviewer, v.verdict, v.reason) for v in rows] for rid, rows in found.items()} == {
        strong: [("ann", "good", None)],
        weak: [("ann", "unsure", None), ("bo", "bad", "contradicts profile")],
    }
    mark_rationale(session=session, rationale_id=strong, verdict=None, reviewer="ann")  # removed
    stored = session.exec(select(RationaleVerdict.rationale_id, RationaleVerdict.reviewer)).all()
    assert sorted(stored) == [(weak, "ann"), (weak, "bo")]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"rationale_id": 99, "verdict": "good"}, NotFound, "rationale 99 does not exist"),
        ({"verdict": "great"}, BadInput, "unknown rationale verdict 'great'; use one of: good, bad, unsure"),
        (
            {"verdict": "bad", "reason": "boring"},
            BadInput,
            "unknown reason 'boring'; use one of: wrong format, contradicts profile, hallucinated item, other",
        ),
    ],
)
def test_wrong_verdicts_are_refused_and_write_nothing(session, scene3, kwargs, error, message):
    with pytest.raises(error) as caught:
        mark_rationale(session=session, **{"rationale_id": scene3[1], "reviewer": "ann", **kwargs})
    assert str(caught.value) == message
    assert session.exec(select(RationaleVerdict)).all() == []


def test_a_human_pair_is_checked_set_replaced_and_cleared(session, scene3):
    scene, strong, weak, bare = scene3
    other = make_scene(session, dataset=make_dataset(session, name="other"))
    foreign = make_rationale(session, scene=other, role="strong", sample_index=0).id
    cases = [
        ((strong, strong), f"scene {scene.id}: chosen and rejected must be two different rationales (both {strong})"),
        ((strong, foreign), f"rationale {foreign} is not a rationale of scene {scene.id}"),
        (
            (strong, bare),
            f"rationale {bare} has no prediction, so a rejected turn has no sampled letter; "
            "run `python -m core predict` first",
        ),
    ]
    for (chosen, rejected), message in cases:
        with pytest.raises(BadInput) as caught:
            set_pair(session=session, scene_id=scene.id, chosen_id=chosen, rejected_id=rejected, reviewer="ann")
        assert str(caught.value) == message
    assert session.exec(select(PairOverride)).all() == []
    set_pair(session=session, scene_id=scene.id, chosen_id=strong, rejected_id=weak, reviewer="ann")
    pair = set_pair(session=session, scene_id=scene.id, chosen_id=weak, rejected_id=strong, reviewer="bo")
    assert (pair.chosen_rationale_id, pair.rejected_rationale_id, pair.reviewer) == (weak, strong, "bo")
    assert len(session.exec(select(PairOverride)).all()) == 1
    assert clear_pair(session=session, scene_id=scene.id, reviewer="ann") is True
    assert clear_pair(session=session, scene_id=scene.id, reviewer="ann") is False
    assert pair_of(session=session, scene_id=scene.id) is None


def test_a_read_only_reviewer_writes_no_verdict_and_no_pair(session, scene3):
    scene, strong, weak, _ = scene3
    set_role(session=session, name="ada", role="admin", by="ada")
    set_role(session=session, name="viewer", role="read-only", by="ada")
    message = "viewer is read-only: reviews, edits and exports need the reviewer or admin role"
    for write in (
        lambda: mark_rationale(session=session, rationale_id=weak, verdict="bad", reviewer="viewer"),
        lambda: set_pair(session=session, scene_id=scene.id, chosen_id=strong, rejected_id=weak, reviewer="viewer"),
        lambda: clear_pair(session=session, scene_id=scene.id, reviewer="viewer"),
    ):
        with pytest.raises(Forbidden) as caught:
            write()
        assert str(caught.value) == message
    assert session.exec(select(RationaleVerdict)).all() == session.exec(select(PairOverride)).all() == []


def test_review_cli_records_the_reviewer_and_refuses_read_only(session, scene3, capsys):
    scene, strong, weak, _ = scene3
    sid = str(scene.id)
    assert main(["review", "scene", sid, "--status", "approved", "--reviewer", "ann", "--note", "ok"]) == 0
    assert main(["review", "rationale", str(weak), "--verdict", "bad", "--reason", "other", "--reviewer", "ann"]) == 0
    assert main(["review", "pair", sid, "--chosen", str(strong), "--rejected", str(weak), "--reviewer", "ann"]) == 0
    assert main(["reviewers", "set", "ann", "--role", "admin", "--reviewer", "ann"]) == 0
    assert main(["reviewers", "set", "viewer", "--role", "read-only", "--reviewer", "ann"]) == 0
    assert main(["reviewers", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"scene {sid}: approved by ann (review version 1)",
        f"rationale {weak}: bad (other) by ann",
        f"scene {sid}: chosen {strong}, rejected {weak} (human pair, by ann)",
        "ann is now admin",
        "viewer is now read-only",
        "ann\tadmin",
        "viewer\tread-only",
    ]
    assert main(["review", "scene", sid, "--status", "rejected", "--reviewer", "viewer"]) == 2
    assert capsys.readouterr().err == (
        "error: viewer is read-only: reviews, edits and exports need the reviewer or admin role\n"
    )
    assert main(["review", "pair", sid, "--clear", "--chosen", str(strong)]) == 2
    assert capsys.readouterr().err == "error: review pair: give --chosen and --rejected, or --clear alone\n"
    session.expire_all()
    assert session.exec(select(Review.status, Review.reviewer, Review.note)).all() == [("approved", "ann", "ok")]
    assert session.exec(select(RationaleVerdict.verdict, RationaleVerdict.reviewer)).all() == [("bad", "ann")]
    assert session.exec(select(PairOverride.chosen_rationale_id, PairOverride.reviewer)).all() == [(strong, "ann")]


def test_a_verdict_on_a_scene_another_reviewer_has_open_is_refused(session, scene3):
    from core.errors import SceneHeld
    from storage.queue import claim_scene, release_scene

    scene, strong, weak, _ = scene3
    assert claim_scene(session=session, scene_id=scene.id, reviewer="bo", lease_seconds=120)
    for verdict in ("good", None):  # a new verdict, and taking one back
        with pytest.raises(SceneHeld) as caught:
            mark_rationale(session=session, rationale_id=strong, verdict=verdict, reviewer="ann")
        message = str(caught.value)
        assert message.startswith(f"scene {scene.id} is open by bo (their lease runs ")
        assert message.endswith(f" s more): your verdict on rationale {strong} was not saved; go on to the next scene")
    mark_rationale(session=session, rationale_id=weak, verdict="bad", reviewer="bo")  # the holder may
    release_scene(session=session, scene_id=scene.id, reviewer="bo")
    mark_rationale(session=session, rationale_id=strong, verdict="good", reviewer="ann")  # free again
    stored = session.exec(select(RationaleVerdict.rationale_id, RationaleVerdict.reviewer, RationaleVerdict.verdict))
    assert sorted(stored.all()) == [(strong, "ann", "good"), (weak, "bo", "bad")]
