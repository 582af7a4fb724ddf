"""AppTest: Review page — empty state, prepared workspace, real interactions."""

import pytest
from sqlmodel import Session, select

from storage.models import (
    LlmCall,
    Prediction,
    Rationale,
    RationaleVersion,
    Review,
    Scene,
)
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import GOOD, add_fake_endpoint, matching, open_page
from tests.app.review_helpers import open_rationales, open_review, show_role

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL


def test_review_empty_database(db_path):
    at = open_page("review")
    assert "No scene to review" in at.info[0].value


def test_review_shows_scene_and_approve_writes_review(workspace, engine):
    scene_id = workspace[1]
    at = open_page("review", scene=str(scene_id))
    assert at.subheader[0].value == f"Scene {scene_id}"
    assert "User 1 likes drama." in [t.value for t in at.text]
    at.text_input(key=f"note_{scene_id}").set_value("clear case")
    at.button(key="approve").click().run()
    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.scene_id == scene_id)).one()
    assert (review.status, review.note, review.reviewer) == ("approved", "clear case", "reviewer")
    assert at.success[0].value == f"Scene {scene_id} approved\\."


def test_review_next_and_previous_follow_the_filter(workspace):
    at = open_page("review", scene=str(workspace[1]), preset="strong right, weak wrong")
    at.button(key="next_scene").click().run()
    assert at.query_params["scene"] == str(workspace[2])
    at.button(key="prev_scene").click().run()
    assert at.query_params["scene"] == str(workspace[1])
    assert at.button(key="prev_scene").disabled


def test_review_edit_creates_a_version(workspace, engine):
    scene_id = workspace[0]
    with Session(engine) as s:
        rid = s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id, Rationale.role == "strong")).first()
    at = open_review(scene_id)
    at.text_area(key=f"edit_{rid}").set_value("I was bored.\nBehavior: [A]")
    at.button(key=f"save_{rid}").click().run()
    with Session(engine) as s:
        rat = s.get(Rationale, rid)
        versions = s.exec(select(RationaleVersion).where(RationaleVersion.rationale_id == rid)).all()
    assert (rat.version, rat.text) == (2, "I was bored.\nBehavior: [A]")
    assert [(v.version, v.author) for v in versions] == [(1, "m"), (2, "reviewer")]
    assert not at.error


def test_review_stale_edit_is_refused(workspace, engine):
    from core.review import edit_rationale

    scene_id = workspace[0]
    with Session(engine) as s:
        rid = s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id)).first()
    at = open_review(scene_id)
    with Session(engine) as s:  # another reviewer saves first
        edit_rationale(session=s, rationale_id=rid, text="theirs", author="other", expected_version=1)
        s.commit()
    at.text_area(key=f"edit_{rid}").set_value("mine")
    at.button(key=f"save_{rid}").click().run()
    assert len(at.error) == 1
    with Session(engine) as s:
        rat = s.get(Rationale, rid)
    assert (rat.version, rat.text) == (2, "theirs")


def test_review_generate_adds_a_predicted_rationale(workspace, engine, llm_server):
    llm_server.responder = lambda body: GOOD
    add_fake_endpoint(engine, llm_server)
    at = open_page("review", scene=str(workspace[0]))
    assert not [s for s in at.selectbox if s.key == "gen_endpoint"]  # a closed panel draws nothing
    at.session_state["gen_open"] = True
    at.run().selectbox(key="gen_endpoint").set_value("fake")
    at.radio(key="gen_role").set_value("weak")
    at.button(key="generate").click().run()
    with Session(engine) as s:
        new = s.exec(select(Rationale).where(Rationale.scene_id == workspace[0], Rationale.sample_index == 2)).one()
        pred = s.exec(select(Prediction).where(Prediction.rationale_id == new.id)).one()
    assert (new.role, new.endpoint, new.behavior, new.style) == ("weak", "fake", "B", "habitual")
    assert pred.role == "weak"
    assert new.text == GOOD  # streamed in word chunks, stored whole
    assert at.success[0].value.replace("\\", "") == "New weak rationale #2 written and predicted: it is open below."
    weak = [e for e in at.expander if e.label.startswith("\\#2")]
    assert len(weak) == 1 and weak[0].proto.expanded  # lands in the list, opened
    assert [e.proto.expanded for e in at.expander if e.label.startswith("\\#0")] == [False]  # the weak tab's only
    with Session(engine) as s:
        calls = s.exec(select(LlmCall).where(LlmCall.stage == "rationale")).all()
    assert [(c.endpoint, c.status, c.item_key) for c in calls] == [("fake", "ok", f"rationale:{workspace[0]}:weak:2")]
    assert llm_server.received[0][1]["stream"] is True


def test_review_back_to_the_list_keeps_the_filter(workspace):
    at = open_page("review", scene=str(workspace[1]), preset="both right")
    at.button(key="back_to_samples").click().run()
    assert at.title[0].value == "Samples"
    assert at.query_params["preset"] == "both right"
    assert matching(at) == "2"


def test_review_stale_approve_is_refused(workspace, engine):
    from core.review import set_review
    from storage.queue import release_scene

    scene_id = workspace[2]
    at = open_page("review", scene=str(scene_id))
    with Session(engine) as s:  # another reviewer rejects it first (after this one's lease ran out)
        release_scene(session=s, scene_id=scene_id, reviewer="reviewer")
        set_review(session=s, scene_id=scene_id, status="rejected", reviewer="other", expected_version=0)
    at.button(key="approve").click().run()
    assert "since you opened it" in at.error[0].value
    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.scene_id == scene_id)).one()
    assert (review.status, review.reviewer) == ("rejected", "other")


def test_review_shows_parsed_stages_chips_and_problems_after_an_edit(workspace, engine):
    scene_id = workspace[0]
    with Session(engine) as s:
        rid = s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id, Rationale.role == "strong")).first()
    at = open_review(scene_id)
    at.text_area(key=f"edit_{rid}").set_value(GOOD.replace("Behavior: [B]", "Behavior: [Z]"))
    at.button(key=f"save_{rid}").click().run()
    shown = [t.value for t in at.text]
    assert "I am bored tonight." in shown
    assert "B looks like the comedies I love." in shown
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert ":blue-badge[boredom]" in badges and ":blue-badge[habitual]" in badges
    assert any("Z" in w.value for w in at.warning)  # the invalid letter is a format problem, shown
    label = next(e.label for e in at.expander if e.label.startswith("\\#0"))
    assert "v2" in label and "format problem" in label


def test_review_shows_how_each_prediction_was_conditioned(workspace, engine):
    scene_id = workspace[1]
    with Session(engine) as s:
        for prediction in s.exec(select(Prediction).where(Prediction.scene_id == scene_id)).all():
            prediction.conditioning = "chat_template_completion"
            s.add(prediction)
        s.commit()
    at = open_review(scene_id)
    shown = "Conditioning: raw completion of the model's chat template open after the rationale (llama.cpp), as the "
    assert [c.value for c in at.caption].count(shown + "reference") == 2  # the strong tab's 2 predictions
    show_role(at, "weak")
    assert [c.value for c in at.caption].count(shown + "reference") == 2  # and the weak tab's


def test_review_says_how_each_rationale_was_decoded(workspace, engine):
    scene_id = workspace[0]
    with Session(engine) as s:
        rats = s.exec(select(Rationale).where(Rationale.scene_id == scene_id).order_by(Rationale.id)).all()
        rats[0].decoding, rats[1].decoding = "format", "none"
        s.add_all(rats[:2])
        s.commit()
        constrained = rats[0].sample_index
    at = open_review(scene_id)
    labels = [e.label for e in at.main.expander]
    assert any(label.startswith(f"\\#{constrained} ") and label.endswith(" · constrained") for label in labels), labels
    captions = [c.value for c in at.caption]
    note = "Decoded under the decision\\-process grammar \\(\\-\\-constrain format\\)\\: the format could not break\\."
    assert note in captions
    assert "Decoded freely \\(\\-\\-constrain none\\)\\: any format problem is the model\\'s own\\." in captions
    assert sum(1 for label in labels if label.endswith(" · constrained")) == 1


def test_only_an_open_rationale_panel_draws_its_widgets(workspace, engine):
    scene_id = workspace[1]
    with Session(engine) as s:
        ids = s.exec(select(Rationale.id).where(Rationale.scene_id == scene_id).order_by(Rationale.id)).all()
    at = open_page("review", scene=str(scene_id))
    # The strong tab is open: the plots, its 2 rationales, the pair by hand and Generate, all closed; the weak tab's
    # panels do not run.
    assert [e.proto.expanded for e in at.main.expander] == [False] * 5
    assert not at.text_area and not [r for r in at.radio if r.key.startswith("verdict_")]
    assert [t.key for t in at.toggle] == ["queue_mine", "queue_advance"]
    show_role(at, "weak")
    open_rationales(at, ids[2])  # weak #0
    assert [t.key for t in at.text_area] == [f"edit_{ids[2]}"]
    assert [r.key for r in at.radio if r.key.startswith("verdict_")] == [f"verdict_{ids[2]}"]
    assert [e.proto.expanded for e in at.main.expander] == [False, True, False, False, False]


def test_review_lists_the_exposure_as_an_escaped_table_with_the_true_option_marked(workspace, engine):
    scene_id = workspace[1]
    with Session(engine) as s:
        scene = s.get(Scene, scene_id)
        scene.options = [*scene.options[:-1], "**bold** <b>x</b> | pipe"]  # dataset text is untrusted
        s.add(scene)
        s.commit()
        s.refresh(scene)
        options, sources, true = list(scene.options), list(scene.option_sources or []), scene.item_pos
    at = open_page("review", scene=str(scene_id))
    rows = table_rows(at, "letter", "true", "option", "source")
    assert [row[2] for row in rows] == options  # shown as written, markdown and HTML escaped
    assert [row[1] for row in rows] == ["✓" if k == true else "" for k in range(len(options))]
    assert [row[0] for row in rows] == [chr(ord("A") + k) for k in range(len(options))]
    assert [row[3] for row in rows] == (sources or [""] * len(options))
    assert not at.dataframe  # no data-grid chunk for a fresh tab
