"""AppTest: a rationale's history shows a word diff of any version against the model's original or the previous one
(dataset text escaped); Save keeps the Ctrl+Enter shortcut and saves nothing for an untouched draft; after an edit one
button predicts the new version again, re-scores the scene and keeps the old prediction in the history."""

import numpy as np
import pytest
from sqlmodel import Session, select

from core.review import edit_rationale
from storage.models import Prediction, PredictionHistory, Rationale, RationaleVersion, Score
from tests.app.pages_helpers import add_fake_endpoint
from tests.app.review_helpers import open_review

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL
V2 = "Stimulus: I am tired tonight.\nBehavior: [B]"
V3 = "Stimulus: I am tired <b>tonight</b> [x](javascript:alert(1)).\nBehavior: [A]"


def _strong0(engine, scene_id: int) -> Rationale:
    with Session(engine) as s:
        query = select(Rationale).where(Rationale.scene_id == scene_id, Rationale.role == "strong")
        return s.exec(query.order_by(Rationale.sample_index)).first()


def _edit(engine, rid: int, text: str, expected: int) -> None:
    with Session(engine) as s:
        edit_rationale(session=s, rationale_id=rid, text=text, author="alice", expected_version=expected)


def _diff_box(at, rid: int) -> str:
    return "\n".join(m.value for m in at.markdown if "background[" in m.value)


def test_history_diffs_any_version_against_the_original_and_the_previous(workspace, engine):
    rat = _strong0(engine, workspace[0])
    assert rat.text == "strong rationale 0.\nBehavior: [A]"
    _edit(engine, rat.id, V2, 1)
    _edit(engine, rat.id, V3, 2)
    at = open_review(workspace[0])
    at.toggle(key=f"hist_{rat.id}").set_value(True).run()
    versions = next(d.value for d in at.dataframe if "author" in d.value.columns)
    assert versions["version"].tolist() == [1, 2, 3] and versions["author"].tolist() == ["m", "alice", "alice"]
    assert at.selectbox(key=f"diff_version_{rat.id}").value == 3
    shown = _diff_box(at, rat.id)
    # against the original: its text struck through where it differs, the new words marked; HTML and links escaped
    assert shown == (
        ":red-background[~~strong rationale 0\\.~~] :green-background[Stimulus\\: I am tired "
        "\\<b\\>tonight\\</b\\> \\[x\\]\\(javascript\\:alert\\(1\\)\\)\\.]  \n"
        "Behavior\\: \\[A\\]"
    )
    at.radio(key=f"diff_against_{rat.id}").set_value("the previous version").run()
    shown = _diff_box(at, rat.id)
    assert shown == (
        "Stimulus\\: I am tired :red-background[~~tonight\\.~~] :green-background[\\<b\\>tonight\\</b\\> "
        "\\[x\\]\\(javascript\\:alert\\(1\\)\\)\\.]  \n"
        "Behavior\\: :red-background[~~\\[B\\]~~] :green-background[\\[A\\]]"
    )
    caption = next(c.value for c in at.caption if c.value.startswith("Version 3 against version 2"))
    assert caption == "Version 3 against version 2 (alice): +3 words, −2 words"
    at.selectbox(key=f"diff_version_{rat.id}").set_value(2).run()
    assert any(c.value.startswith("Version 2 against version 1 (m)") for c in at.caption)


def test_save_has_the_ctrl_enter_shortcut_and_an_untouched_draft_saves_nothing(workspace, engine):
    rat = _strong0(engine, workspace[0])
    at = open_review(workspace[0])
    assert at.button(key=f"save_{rat.id}").proto.shortcut == "ctrl+enter"
    at.button(key=f"save_{rat.id}").click().run()
    with Session(engine) as s:
        assert s.get(Rationale, rat.id).version == 1
        stored = s.exec(select(RationaleVersion).where(RationaleVersion.rationale_id == rat.id)).all()
        assert [(v.version, v.author) for v in stored] == [(1, "m")]
    assert not at.success and not at.error


def test_repredict_after_an_edit_rescores_and_keeps_the_old_prediction(workspace, engine, llm_server):
    llm_server.responder = lambda body: "A"
    add_fake_endpoint(engine, llm_server)
    scene = workspace[0]
    rat = _strong0(engine, scene)
    with Session(engine) as s:
        before = s.exec(select(Prediction).where(Prediction.rationale_id == rat.id)).one()
        old_probs, old_score = before.probs, s.get(Score, scene).strong_E
    at = open_review(scene)
    assert not [b for b in at.button if b.key == f"repredict_{rat.id}"]  # nothing edited yet
    at.session_state["gen_open"] = True  # the Generate panel, whose endpoint re-predict follows
    at.run().selectbox(key="gen_endpoint").set_value("fake")
    at.text_area(key=f"edit_{rat.id}").set_value(V2)
    at.button(key=f"save_{rat.id}").click().run()
    button = at.button(key=f"repredict_{rat.id}")
    assert button.label == "Re-predict version 2 with fake"  # the factory's prediction names no endpoint
    button.click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value == (
        f"Rationale {rat.id} version 2 predicted again; its scene re\\-scored; 1 earlier prediction\\(s\\) in its "
        "history\\."
    )
    with Session(engine) as s:
        now = s.exec(select(Prediction).where(Prediction.rationale_id == rat.id)).one()
        history = s.exec(select(PredictionHistory).where(PredictionHistory.rationale_id == rat.id)).all()
        score = s.get(Score, scene)
    assert (now.rationale_version, now.endpoint) == (2, "fake")
    assert np.frombuffer(now.probs).argmax() == 0
    assert [(h.rationale_version, h.endpoint, h.probs) for h in history] == [(1, None, old_probs)]
    assert score.strong_E != old_score
    assert not [b for b in at.button if b.key == f"repredict_{rat.id}"]  # version 2 is predicted now
    at.toggle(key=f"hist_{rat.id}").set_value(True).run()
    assert any(c.value.startswith("Earlier prediction of version 1 by an unrecorded endpoint: A ") for c in at.caption)
