"""Export: files read back field by field, Behavior lines, edits carried, manifest sha256, zero rows, Parquet."""

import hashlib
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text
from sqlmodel import select

from core.cli.main import main
from core.errors import BadInput, NotFound
from core.export import export, manifest_path, preview_rows
from core.reference_prompts import DEFAULT_SYSTEM
from core.review import edit_rationale, set_review
from core.scoring import score
from core.selection import SelectionConfig, save_selection
from storage.models import ExportRecord, Score
from tests.factories import make_dataset, make_rationale, make_scene

CHOSEN = "Stimulus: I want a film.\nKnowledge: B fits me.\nEvaluation: B it is.\nBehavior: [B]"
REJECTED = "Stimulus: Bored.\nKnowledge: C looks fun.\nEvaluation: sure.\nBehavior: [A]"  # wrote A, sampled C


@pytest.fixture
def workspace(session, engine):
    """Three train scenes (true item B of 3) + one eval scene; selection 'sel'; approved, approved, rejected."""
    ds = make_dataset(session)
    scenes, rats = [], []
    for k in range(3):
        scene = make_scene(
            session, dataset=ds, choice_cnt=3, item_pos=1, user_index=k, timestamp=1_700_000_000 + k, profile=f"P{k}"
        )
        chosen = make_rationale(
            session, scene=scene, role="strong", sample_index=0, probs=[0.1, 0.6 + k / 10, 0.3 - k / 10],
            behavior_index=1, text=CHOSEN,
        )  # fmt: skip
        rejected = make_rationale(
            session, scene=scene, role="weak", sample_index=0, probs=[0.3, 0.3, 0.4], behavior_index=2, text=REJECTED
        )
        scenes.append(scene)
        rats.append((chosen.id, rejected.id))
    make_scene(session, dataset=ds, choice_cnt=2, item_pos=0, split="eval", timestamp=1_800_000_000, profile="E")
    score(engine=engine)
    save_selection(engine=engine, config=SelectionConfig(name="sel", target=100))
    for scene, status in zip(scenes, ["approved", "approved", "rejected"], strict=True):
        set_review(session=session, scene_id=scene.id, status=status, reviewer="r")
    return scenes, rats


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_dpo_rows_read_back_field_by_field(workspace, engine, tmp_path):
    scenes, rats = workspace
    result = export(engine=engine, fmt="dpo", out=tmp_path / "dpo.jsonl", selection="sel")
    rows = read_jsonl(tmp_path / "dpo.jsonl")
    assert result.rows == len(rows) == 2
    # ranked by diff_model descending: scene 0 has the flattest strong distributions
    by_user = {row["user_id"]: row for row in rows}
    assert sorted(by_user) == ["u0", "u1"]
    row = by_user["u1"]
    assert list(row) == [
        "dataset", "user_id", "item_id", "timestamp", "messages_chosen", "messages_rejected", "impression_list",
        "item_pos", "scene_id", "chosen_rationale_id", "chosen_version", "rejected_rationale_id", "rejected_version",
        "pair_source", "review_status", "reviewer",
    ]  # fmt: skip
    trace = {k: row[k] for k in list(row)[8:]}
    assert trace == {
        "scene_id": scenes[1].id, "chosen_rationale_id": rats[1][0], "chosen_version": 1,
        "rejected_rationale_id": rats[1][1], "rejected_version": 1, "pair_source": "computed",
        "review_status": "approved", "reviewer": "r",
    }  # fmt: skip
    assert (row["dataset"], row["item_id"], row["timestamp"], row["item_pos"]) == ("toy", "i1", 1_700_000_001, 1)
    assert row["impression_list"] == ["i0", "i1", "i2"]
    prompt = [
        {"role": "system", "content": DEFAULT_SYSTEM},
        {
            "role": "user",
            "content": "# User Profile\nP1\n\n## History\nWatched Item 9\n\n# Exposure List\n[A] Item 0\n[B] Item 1\n"
            "[C] Item 2\n",
        },
    ]
    assert row["messages_chosen"][:2] == prompt == row["messages_rejected"][:2]
    assert row["messages_chosen"][2] == {
        "role": "assistant",
        "content": "Stimulus: I want a film.\nKnowledge: B fits me.\nEvaluation: B it is.\nBehavior: [B]",
    }
    # the rejected turn ends with the *sampled* wrong letter, not the one the rationale wrote
    assert row["messages_rejected"][2]["content"] == (
        "Stimulus: Bored.\nKnowledge: C looks fun.\nEvaluation: sure.\nBehavior: [C]"
    )


def test_manifest_sha256_counts_and_record(workspace, engine, tmp_path, session):
    out = tmp_path / "dpo.jsonl"
    result = export(engine=engine, fmt="dpo", out=out, selection="sel", status="any")
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest_path(out).name == "dpo.jsonl.manifest.json"
    assert manifest == result.manifest
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == result.sha256
    assert manifest["rows"] == 3 and manifest["selection"] == "sel" and manifest["software_version"] == "0.1.0"
    assert manifest["selection_config"]["target"] == 100 and manifest["filters"] == {"status": "any"}
    assert manifest["counts"] == [
        {"dataset": "toy", "choice_cnt": 3, "status": "approved", "rows": 2},
        {"dataset": "toy", "choice_cnt": 3, "status": "rejected", "rows": 1},
    ]
    record = session.exec(select(ExportRecord)).one()
    assert (record.format, record.rows, record.sha256, record.selection_name) == ("dpo", 3, result.sha256, "sel")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_export_after_an_edit_carries_the_latest_version(workspace, engine, session, tmp_path):
    scenes, rats = workspace
    edited = "Stimulus: Edited by a human.\nKnowledge: B.\nEvaluation: B.\nBehavior: [A]"
    edit_rationale(session=session, rationale_id=rats[1][0], text=edited, author="alice", expected_version=1)
    export(engine=engine, fmt="sft", out=tmp_path / "sft.jsonl", selection="sel")
    rows = {row["user_id"]: row for row in read_jsonl(tmp_path / "sft.jsonl")}
    assert list(rows["u1"]) == [
        "dataset", "user_id", "item_id", "timestamp", "messages", "messages_chosen", "impression_list", "item_pos",
        "scene_id",
        "chosen_rationale_id", "chosen_version", "pair_source", "review_status", "reviewer",
    ]  # fmt: skip
    assert (rows["u1"]["chosen_rationale_id"], rows["u1"]["chosen_version"]) == (rats[1][0], 2)
    # TRL's SFTTrainer reads `messages`; the reference's configs/sft.yaml reads `messages_chosen`: the same turns
    assert all(row["messages_chosen"] == row["messages"] for row in rows.values())
    assert (
        rows["u1"]["messages"][2]["content"]
        == "Stimulus: Edited by a human.\nKnowledge: B.\nEvaluation: B.\nBehavior: [B]"
    )
    assert rows["u0"]["messages"][2]["content"].startswith("Stimulus: I want a film.")


def test_zero_rows_are_refused_and_leave_no_file(workspace, engine, session, tmp_path, capsys):
    for scene in workspace[0]:
        set_review(session=session, scene_id=scene.id, status="rejected", reviewer="r")
    with pytest.raises(BadInput, match=r"nothing to export: selection 'sel' has no approved scenes \(3 selected"):
        export(engine=engine, fmt="dpo", out=tmp_path / "none.jsonl", selection="sel")
    assert main(["export", "--selection", "sel", "--format", "sft", "--out", str(tmp_path / "none.jsonl")]) == 2
    assert "use --status any" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("mirror.db")] == []
    assert session.exec(select(ExportRecord)).all() == []


def test_wrong_arguments(workspace, engine, tmp_path):
    with pytest.raises(NotFound, match="selection 'nope' does not exist \\(selections: sel\\)"):
        export(engine=engine, fmt="dpo", out=tmp_path / "x.jsonl", selection="nope")
    with pytest.raises(BadInput, match="--selection is required for the dpo format"):
        export(engine=engine, fmt="dpo", out=tmp_path / "x.jsonl")
    with pytest.raises(NotFound, match="dataset 'other' does not exist"):
        export(engine=engine, fmt="eval", out=tmp_path / "x.jsonl", dataset="other")
    with pytest.raises(BadInput, match="output directory"):
        export(engine=engine, fmt="eval", out=tmp_path / "missing" / "x.jsonl")
    with pytest.raises(BadInput, match="nothing to export: no eval scenes in dataset 'toy2'"):
        make_dataset_and_export_empty(engine, tmp_path)


def make_dataset_and_export_empty(engine, tmp_path):
    from sqlmodel import Session

    with Session(engine) as s:
        make_dataset(s, name="toy2")
    export(engine=engine, fmt="eval", out=tmp_path / "x.jsonl", dataset="toy2", split="eval")


def test_eval_export_defaults_to_the_eval_split_in_the_public_nested_layout(workspace, engine, tmp_path):
    export(engine=engine, fmt="eval", out=tmp_path / "eval.jsonl")
    (row,) = read_jsonl(tmp_path / "eval.jsonl")
    assert row == {
        "scene_id": row["scene_id"],
        "dataset": "toy",
        "split": "eval",
        "user_id": "u0",
        "item_id": "i0",
        "timestamp": 1_800_000_000,
        "text": {"profile": "E", "history": "Watched Item 9", "action_list": ["Item 0", "Item 1"]},
        "impression_list": ["i0", "i1"],
        "item_pos": 0,
        "choice_cnt": 2,
        "prompt_style": "reference",
    }
    manifest = json.loads(manifest_path(tmp_path / "eval.jsonl").read_text())
    assert manifest["filters"] == {"dataset": None, "split": "eval"}
    assert [r["split"] for r in preview_rows(engine=engine, fmt="eval", dataset="toy", limit=10)] == ["eval"]
    train = preview_rows(engine=engine, fmt="eval", split="train", limit=10)
    assert [(r["split"], r["text"]["profile"]) for r in train] == [("train", "P0"), ("train", "P1"), ("train", "P2")]
    assert len(preview_rows(engine=engine, fmt="eval", split="any", limit=10)) == 4
    with pytest.raises(BadInput, match="unknown split 'test'; use one of: train, eval, any"):
        preview_rows(engine=engine, fmt="eval", split="test")


def test_cli_eval_export_without_split_writes_only_eval_scenes(workspace, tmp_path, capsys):
    out = tmp_path / "eval.jsonl"
    assert main(["export", "--format", "eval", "--out", str(out)]) == 0
    assert "wrote 1 rows to" in capsys.readouterr().out
    assert [row["split"] for row in read_jsonl(out)] == ["eval"]
    assert main(["export", "--format", "eval", "--out", str(out), "--split", "any", "--force"]) == 0
    assert sorted(row["split"] for row in read_jsonl(out)) == ["eval", "train", "train", "train"]


def test_eval_export_round_trips_through_the_usermirrorer_importer(workspace, engine, session, tmp_path):
    from core.importers import import_usermirrorer
    from storage.models import Dataset, Scene

    scenes, _ = workspace
    first = session.get(Scene, scenes[0].id)
    first.profile, first.history = "Age 30.\nLikes drama.", ["Watched Item 9 (5/5)", "Watched Item 3: fine"]
    first.prompt_style = "studio"
    session.add(first)
    session.commit()
    public = tmp_path / "public"
    public.mkdir()
    export(engine=engine, fmt="eval", out=public / "UserMirrorer-eval.jsonl", split="any")
    manifest_path(public / "UserMirrorer-eval.jsonl").unlink()
    report = import_usermirrorer(engine=engine, name="rt", path=public)
    assert report.files == {"UserMirrorer-eval.jsonl": {"scenes": 4}}

    def scene_facts(dataset: str) -> list[tuple]:
        ds = session.exec(select(Dataset).where(Dataset.name == dataset)).one()
        rows = session.exec(select(Scene).where(Scene.dataset_id == ds.id).order_by(Scene.id)).all()
        ids = dict(session.execute(text("SELECT id, external_id FROM item")).all())
        users = dict(session.execute(text('SELECT id, external_id FROM "user"')).all())
        return [
            (
                users[s.user_id], ids[s.item_id], s.timestamp, s.profile, s.history, s.options, s.item_pos,
                s.choice_cnt, [ids[i] for i in s.exposure_item_ids], s.prompt_style,
            )
            for s in rows
        ]  # fmt: skip

    original, imported = scene_facts("toy"), scene_facts("rt")
    assert imported == original
    assert imported[0][3:5] == ("Age 30.\nLikes drama.", ["Watched Item 9 (5/5)", "Watched Item 3: fine"])


def test_scores_export_has_exactly_the_documented_columns(workspace, engine, session, tmp_path):
    scenes, _ = workspace
    session.execute(
        text("UPDATE prediction SET conditioning = 'chat_template_completion' WHERE scene_id = :s AND role = 'strong'"),
        {"s": scenes[1].id},
    )
    session.commit()
    export(engine=engine, fmt="scores", out=tmp_path / "scores.jsonl")
    rows = read_jsonl(tmp_path / "scores.jsonl")
    assert len(rows) == 3
    assert list(rows[0]) == [
        "scene_id", "dataset", "split", "user_id", "item_id", "timestamp", "item_pos", "choice_cnt", "strong_probs",
        "strong_behaviors", "strong_conditioning", "weak_probs", "weak_behaviors", "weak_conditioning", "strong_E",
        "strong_T", "strong_D", "strong_hit", "weak_E", "weak_T", "weak_D", "weak_hit", "diff_model", "diff_total",
        "diff_data", "diff_hit",
    ]  # fmt: skip
    second = rows[1]
    # how each role's letters were conditioned on the rationale; None = not recorded (made before it was)
    assert (second["strong_conditioning"], second["weak_conditioning"]) == ("chat_template_completion", None)
    assert rows[0]["strong_conditioning"] is None
    assert np.allclose(second["strong_probs"], [[0.1, 0.7, 0.2]], atol=0, rtol=1e-15)
    assert second["weak_probs"] == [[0.3, 0.3, 0.4]]
    assert (second["strong_behaviors"], second["weak_behaviors"]) == (["B"], ["C"])
    stored = session.get(Score, second["scene_id"])
    assert second["diff_model"] == stored.diff_model and second["weak_T"] == stored.weak_T


@pytest.mark.parametrize("fmt", ["dpo", "sft", "eval", "scores"])
def test_parquet_holds_the_same_rows_as_jsonl(workspace, engine, tmp_path, fmt):
    kw = {"selection": "sel", "status": "any"} if fmt in ("dpo", "sft") else {}
    export(engine=engine, fmt=fmt, out=tmp_path / "a.jsonl", **kw)
    result = export(engine=engine, fmt=fmt, out=tmp_path / "a.parquet", parquet=True, **kw)
    assert pq.read_table(tmp_path / "a.parquet").to_pylist() == read_jsonl(tmp_path / "a.jsonl")
    assert result.manifest["file_format"] == "parquet"
    assert result.sha256 == hashlib.sha256((tmp_path / "a.parquet").read_bytes()).hexdigest()


def test_cli_export_writes_the_file(workspace, tmp_path, capsys):
    out = tmp_path / "cli.jsonl"
    assert main(["export", "--selection", "sel", "--format", "dpo", "--out", str(out), "--status", "any"]) == 0
    assert "wrote 3 rows to" in capsys.readouterr().out
    assert len(read_jsonl(out)) == 3 and manifest_path(out).exists()
    assert main(["export", "--format", "eval", "--out", str(out), "--selection", "sel"]) == 2


def test_a_rejected_rationale_re_predicted_as_correct_is_refused(workspace, engine, session, tmp_path):
    scenes, rats = workspace
    session.execute(text("UPDATE prediction SET behavior_index = 1 WHERE rationale_id = :r"), {"r": rats[0][1]})
    session.commit()
    with pytest.raises(
        BadInput, match=rf"'sel' is out of date: the rejected rationale of scene\(s\) \[{scenes[0].id}\]"
    ):
        export(engine=engine, fmt="dpo", out=tmp_path / "x.jsonl", selection="sel", status="any")
    assert not (tmp_path / "x.jsonl").exists()


def test_dpo_refuses_a_rejected_rationale_edited_since_its_prediction(workspace, engine, session, tmp_path):
    from storage.rationales import upsert_predictions

    scenes, rats = workspace
    edited = "Stimulus: Bored, edited.\nKnowledge: A is new.\nEvaluation: fine.\nBehavior: [C]"
    edit_rationale(session=session, rationale_id=rats[0][1], text=edited, author="alice", expected_version=1)
    edit_rationale(session=session, rationale_id=rats[1][0], text=CHOSEN, author="bob", expected_version=1)
    out = tmp_path / "dpo.jsonl"
    message = (
        f"selection 'sel' is out of date: the rejected rationale of scene(s) [{scenes[0].id}] was edited after its "
        "prediction, so its Behavior letter would come from the old text; run `python -m core predict`, then "
        "`python -m core score` and `select --replace`"
    )
    with pytest.raises(BadInput) as refused:
        export(engine=engine, fmt="dpo", out=out, selection="sel", status="any")
    assert str(refused.value) == message
    assert not out.exists()
    # the chosen turn always ends with the true letter, so SFT (chosen only) is unaffected by the stale rejected one
    assert export(engine=engine, fmt="sft", out=tmp_path / "sft.jsonl", selection="sel").rows == 2

    row = {
        "rationale_id": rats[0][1], "scene_id": scenes[0].id, "role": "weak", "rationale_version": 2,
        "probs": np.array([0.7, 0.2, 0.1]).tobytes(), "estimated": False, "behavior_index": 0, "endpoint": "e",
        "model": "m",
    }  # fmt: skip
    upsert_predictions(session=session, rows=[row])
    session.commit()
    assert export(engine=engine, fmt="dpo", out=out, selection="sel", status="any").rows == 3
    rows = {r["user_id"]: r for r in read_jsonl(out)}
    assert rows["u0"]["messages_rejected"][2]["content"] == (
        "Stimulus: Bored, edited.\nKnowledge: A is new.\nEvaluation: fine.\nBehavior: [A]"
    )
    assert rows["u1"]["messages_rejected"][2]["content"].endswith("Evaluation: sure.\nBehavior: [C]")


def test_scores_preview_reads_only_the_previewed_scenes(workspace, engine):
    rows = preview_rows(engine=engine, fmt="scores", limit=1)
    assert len(rows) == 1 and rows[0]["strong_behaviors"] == ["B"] and rows[0]["weak_behaviors"] == ["C"]
