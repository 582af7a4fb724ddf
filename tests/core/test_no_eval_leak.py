"""No train/eval leak: eval scenes never reach a selection or a training export; LLM stages default to train."""

import json

import pytest
from sqlmodel import select

from core.cli.main import main
from core.scoring import score
from core.selection import SelectionConfig, preview_selection
from storage.models import Rationale, Selection, SelectionItem
from tests.factories import make_dataset, make_rationale, make_scene
from tests.fault_server import fault_server  # noqa: F401  (fixture)

GOOD = [0.8, 0.1, 0.1]  # strong: right and sure
BAD = [0.1, 0.8, 0.1]  # weak: wrong


def paired_scene(session, ds, *, split: str, k: int):
    """A scene every selection would keep: a right strong rationale and a wrong weak one."""
    scene = make_scene(session, dataset=ds, choice_cnt=3, item_pos=0, split=split, timestamp=1_700_000_000 + k)
    make_rationale(session, scene=scene, role="strong", sample_index=0, probs=GOOD, behavior_index=0)
    make_rationale(session, scene=scene, role="weak", sample_index=0, probs=BAD, behavior_index=1)
    return scene.id


@pytest.fixture
def mixed(session, engine):
    """Two train and two eval scenes, all scored and all with a chosen/rejected pair."""
    ds = make_dataset(session)
    train = [paired_scene(session, ds, split="train", k=k) for k in range(2)]
    evals = [paired_scene(session, ds, split="eval", k=10 + k) for k in range(2)]
    score(engine=engine)
    return train, evals


def selected(session, name: str) -> list[int]:
    sel = session.exec(select(Selection).where(Selection.name == name)).one()
    return sorted(session.exec(select(SelectionItem.scene_id).where(SelectionItem.selection_id == sel.id)).all())


def test_select_keeps_train_scenes_only(mixed, session, capsys):
    train, evals = mixed
    result = preview_selection(engine=session.get_bind(), config=SelectionConfig(target=100))
    assert sorted(result.kept["scene_id"]) == train
    assert (result.considered, result.eval_excluded) == (2, 2)
    assert result.notes == ["2 scored eval scenes left out: training data comes from train scenes only"]
    assert main(["select", "--name", "s"]) == 0
    assert "kept 2 of 2 scored scenes" in capsys.readouterr().out
    assert selected(session, "s") == train
    assert session.exec(select(Selection.report).where(Selection.name == "s")).one()["eval_excluded"] == 2


def test_select_refuses_when_only_eval_scenes_are_scored(session, engine, capsys):
    ds = make_dataset(session)
    paired_scene(session, ds, split="eval", k=0)
    score(engine=engine)
    assert main(["select", "--name", "s"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no scored train scenes to select from (1 scored eval scenes are never training")
    assert session.exec(select(Selection)).all() == []


@pytest.mark.parametrize("fmt", ["dpo", "sft"])
def test_a_training_export_holding_an_eval_scene_is_refused(mixed, session, tmp_path, capsys, fmt):
    """A selection saved before the guard (or written by hand) that holds an eval scene: exit 2, nothing written."""
    train, evals = mixed
    assert main(["select", "--name", "old"]) == 0
    sel_id = session.exec(select(Selection.id).where(Selection.name == "old")).one()
    chosen, rejected = session.exec(select(Rationale.id).where(Rationale.scene_id == evals[0])).all()
    session.add(
        SelectionItem(
            selection_id=sel_id, scene_id=evals[0], chosen_rationale_id=chosen, rejected_rationale_id=rejected, rank=3
        )
    )
    session.commit()
    capsys.readouterr()
    out = tmp_path / "out" / f"{fmt}.jsonl"
    out.parent.mkdir()
    assert main(["export", "--selection", "old", "--format", fmt, "--out", str(out), "--status", "any"]) == 2
    assert capsys.readouterr().err == (
        f"error: selection 'old' holds eval scene(s) [{evals[0]}]; eval scenes never go into training data: save the "
        "selection again with --replace (a selection now keeps train scenes only)\n"
    )
    assert list(out.parent.iterdir()) == []
    # saved again, it keeps the train scenes and exports them
    assert main(["select", "--name", "old", "--replace"]) == 0
    assert main(["export", "--selection", "old", "--format", fmt, "--out", str(out), "--status", "any"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(row["timestamp"] for row in rows) == [1_700_000_000, 1_700_000_001]


def test_rationales_and_predict_default_to_train_scenes(session, engine, fault_server, capsys):  # noqa: F811
    ds = make_dataset(session)
    train = make_scene(session, dataset=ds, choice_cnt=3, split="train", timestamp=1)
    held = make_scene(session, dataset=ds, choice_cnt=3, split="eval", timestamp=2, profile="Held out.")
    assert main(["endpoints", "add", "fs", "--base-url", fault_server.url, "--model", "m", "--retries", "0"]) == 0
    assert main(["rationales", "--role", "strong", "--endpoint", "fs", "--n", "2"]) == 0
    assert main(["predict", "--role", "strong", "--endpoint", "fs"]) == 0
    out = capsys.readouterr().out
    assert "strong rationales: 2 done, 0 failed, 0 cached, of 2" in out
    assert "strong predictions: 2 done, 0 failed, 0 cached, of 2" in out
    assert sorted(set(session.exec(select(Rationale.scene_id)).all())) == [train.id]
    assert main(["rationales", "--role", "strong", "--endpoint", "fs", "--n", "2", "--split", "eval"]) == 0
    assert main(["predict", "--role", "strong", "--endpoint", "fs", "--split", "any"]) == 0
    out = capsys.readouterr().out
    assert "strong rationales: 2 done, 0 failed, 0 cached, of 2" in out
    assert "strong predictions: 2 done, 0 failed, 0 cached, of 2" in out
    assert sorted(set(session.exec(select(Rationale.scene_id)).all())) == [train.id, held.id]


def test_an_unknown_stage_split_exits_2(db_path, capsys):
    assert main(["predict", "--role", "strong", "--endpoint", "local", "--split", "test"]) == 2
    assert "invalid choice: 'test'" in capsys.readouterr().err
