"""AppTest: per-rationale verdicts and the human pair on the Review page, persisted and used by the export."""

import pytest
from sqlmodel import Session, select

from core.app_support import escape_markdown
from pages.review_verdicts import PAIR_OPEN
from storage.audit_models import PairOverride, RationaleVerdict
from storage.models import Rationale, SelectionItem
from storage.queue import release_scene
from storage.reviewers import set_role
from tests.app.pages_helpers import texts
from tests.app.review_helpers import open_review, show_role

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL


def _ids(engine, scene: int) -> dict[tuple[str, int], int]:
    with Session(engine) as s:
        rows = s.exec(select(Rationale.role, Rationale.sample_index, Rationale.id).where(Rationale.scene_id == scene))
        return {(role, k): rid for role, k, rid in rows}


def test_verdicts_are_saved_per_reviewer_and_shown_to_others(workspace, engine):
    scene = workspace[1]
    ids = _ids(engine, scene)
    weak = ids["weak", 0]
    at = open_review(scene, reviewer="ann", tab="weak")
    at.selectbox(key=f"reason_{weak}").set_value("hallucinated item")
    at.radio(key=f"verdict_{weak}").set_value("bad").run()
    show_role(at, "strong")
    at.radio(key=f"verdict_{ids['strong', 0]}").set_value("good").run()
    show_role(at, "weak")
    with Session(engine) as s:
        stored = s.exec(select(RationaleVerdict.rationale_id, RationaleVerdict.reviewer, RationaleVerdict.verdict,
                               RationaleVerdict.reason)).all()  # fmt: skip
    assert sorted(stored) == sorted(
        [(weak, "ann", "bad", "hallucinated item"), (ids["strong", 0], "ann", "good", None)]
    )
    with Session(engine) as s:  # ann's lease ran out: bo may open the scene
        release_scene(session=s, scene_id=scene, reviewer="ann")
    other = open_review(scene, reviewer="bo", tab="weak")
    assert other.radio(key=f"verdict_{weak}").value == "—"  # bo has not said anything yet
    assert escape_markdown("ann: bad (hallucinated item)") in texts(other)
    other.radio(key=f"verdict_{weak}").set_value("unsure").run()
    with Session(engine) as s:
        assert len(s.exec(select(RationaleVerdict).where(RationaleVerdict.rationale_id == weak)).all()) == 2
    at.radio(key=f"verdict_{weak}").set_value("—").run()  # ann takes hers back while bo has the scene open
    assert at.error[0].value.startswith(escape_markdown(f"scene {scene} is open by bo (their lease runs "))
    assert at.error[0].value.endswith(
        escape_markdown(f"your verdict on rationale {weak} was not saved; go on to the next scene")
    )
    with Session(engine) as s:
        assert len(s.exec(select(RationaleVerdict).where(RationaleVerdict.rationale_id == weak)).all()) == 2
        release_scene(session=s, scene_id=scene, reviewer="bo")
    at = open_review(scene, reviewer="ann", tab="weak")  # her page moved on to a free scene: back to it
    assert at.radio(key=f"verdict_{weak}").value == "bad"
    at.radio(key=f"verdict_{weak}").set_value("—").run()
    with Session(engine) as s:
        left = s.exec(select(RationaleVerdict.reviewer).where(RationaleVerdict.rationale_id == weak)).all()
    assert left == ["bo"]


def test_the_human_pair_is_set_and_cleared_on_the_page(workspace, engine):
    scene = workspace[1]
    ids = _ids(engine, scene)
    with Session(engine) as s:
        item = s.exec(select(SelectionItem).where(SelectionItem.scene_id == scene)).one()
    at = open_review(scene, reviewer="ann")
    assert not [b for b in at.button if b.key == "pair_set"]  # closed: not built
    at.session_state[PAIR_OPEN] = True
    at.run()
    assert at.selectbox(key=f"pair_chosen_{scene}").value == item.chosen_rationale_id  # the computed pair first
    assert at.selectbox(key=f"pair_rejected_{scene}").value == item.rejected_rationale_id
    at.selectbox(key=f"pair_chosen_{scene}").set_value(ids["strong", 1])
    at.selectbox(key=f"pair_rejected_{scene}").set_value(ids["weak", 1])
    at.button(key="pair_set").click().run()
    assert not at.error, [e.value for e in at.error]
    with Session(engine) as s:
        pair = s.exec(select(PairOverride)).one()
    assert (pair.scene_id, pair.chosen_rationale_id, pair.rejected_rationale_id, pair.reviewer) == (
        scene, ids["strong", 1], ids["weak", 1], "ann",
    )  # fmt: skip
    assert escape_markdown("set by ann; exports use it") in texts(at)
    at.button(key="pair_clear").click().run()
    with Session(engine) as s:
        assert s.exec(select(PairOverride)).all() == []


def test_a_read_only_reviewer_cannot_mark_or_pair(workspace, engine):
    with Session(engine) as s:
        set_role(session=s, name="ada", role="admin", by="ada")
        set_role(session=s, name="viewer", role="read-only", by="ada")
    scene = workspace[1]
    weak = _ids(engine, scene)["weak", 0]
    at = open_review(scene, reviewer="viewer", tab="weak")
    at.radio(key=f"verdict_{weak}").set_value("bad").run()
    assert [e.value for e in at.error] == [
        "viewer is read\\-only\\: reviews, edits and exports need the reviewer or admin role"
    ]
    at.session_state[PAIR_OPEN] = True
    at.run()
    at.button(key="pair_set").click().run()
    with Session(engine) as s:
        assert s.exec(select(RationaleVerdict)).all() == s.exec(select(PairOverride)).all() == []
