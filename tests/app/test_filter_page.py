"""AppTest: Filter page — empty state, prepared workspace, real interactions."""

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core.scoring import score
from storage.models import (
    Scene,
    Selection,
    SelectionItem,
)
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import figures, open_page


def counts(at) -> dict[str, str]:
    """The Filter's counts row."""
    return figures(at, "Scored scenes", "Kept", "Dropped")


pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL


def test_filter_empty_database(db_path):
    at = open_page("filter")
    assert "No scores yet" in at.info[0].value


def test_filter_slider_changes_kept_count_and_save_writes_selection(workspace, engine):
    at = open_page("filter")
    assert counts(at) == {"Scored scenes": "8", "Kept": "4", "Dropped": "4"}
    assert dict(table_rows(at, "reason", "scenes")) == {
        "no correct rationale": "2",
        "no chosen": "0",
        "no rejected": "2",
        "over quota": "0",
    }
    assert not at.dataframe  # markdown tables: no data-grid chunk for a fresh tab
    low, high = at.slider(key="th_diff_model").value
    at.slider(key="th_diff_model").set_value((0.5, high)).run()
    assert counts(at)["Kept"] == "2"
    at.text_input(key="selection_name").set_value("top")
    at.button[-1].click().run()
    assert at.success[0].value.startswith("Saved selection top")
    with Session(engine) as s:
        sel = s.exec(select(Selection).where(Selection.name == "top")).one()
        kept = s.exec(select(SelectionItem.scene_id).where(SelectionItem.selection_id == sel.id)).all()
    assert sorted(kept) == [workspace[5], workspace[6]]
    assert sel.config["mins"] == {"diff_model": 0.5}


def test_the_pages_frame_is_read_again_after_a_score_run(workspace, engine):
    at = open_page("filter")
    assert counts(at)["Scored scenes"] == "8"
    with Session(engine) as s:
        s.execute(text("DELETE FROM prediction WHERE scene_id = :s"), {"s": workspace[0]})
        s.commit()
    at.run()
    assert counts(at)["Scored scenes"] == "8"  # the Score table is as it was
    score(engine=engine)
    at.run()
    assert counts(at)["Scored scenes"] == "7"


def test_filter_never_keeps_or_saves_an_eval_scene(workspace, engine):
    """Scenes 5 and 6 are selectable; moved to the eval split (and re-scored) the page leaves them out."""
    with Session(engine) as s:
        s.execute(text("UPDATE scene SET split = 'eval' WHERE id IN (:a, :b)"), {"a": workspace[5], "b": workspace[6]})
        s.commit()
    score(engine=engine)
    at = open_page("filter")
    assert counts(at) == {"Scored scenes": "6", "Kept": "2", "Dropped": "4"}
    assert "2 scored eval scenes left out: training data comes from train scenes only" in [c.value for c in at.caption]
    at.text_input(key="selection_name").set_value("trainonly")
    at.button[-1].click().run()
    assert at.success[0].value == "Saved selection trainonly\\: 2 scenes\\."
    with Session(engine) as s:
        sel = s.exec(select(Selection).where(Selection.name == "trainonly")).one()
        kept = s.exec(select(SelectionItem.scene_id).where(SelectionItem.selection_id == sel.id)).all()
        splits = s.exec(select(Scene.split).where(Scene.id.in_(kept))).all()
    assert sorted(kept) == [workspace[1], workspace[2]] and set(splits) == {"train"}
