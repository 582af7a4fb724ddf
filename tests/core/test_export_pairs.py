"""Exports use a reviewer's pair over the computed one and say so; edits become DPO pairs; who exported is recorded."""

import json

from sqlmodel import select

from core.cli.main import main
from core.export import export, manifest_path, preview_rows
from core.review import edit_rationale
from core.verdicts import set_pair
from storage.models import ExportRecord
from storage.reviewers import set_role
from tests.core.test_export import CHOSEN, REJECTED, read_jsonl, workspace  # noqa: F401  (the shared fixture)


def _turn(row: dict, key: str) -> str:
    return row[key][2]["content"]


def test_the_human_pair_is_used_over_the_computed_one(workspace, engine, session, tmp_path):  # noqa: F811
    scenes, rats = workspace
    # swap scene 0's pair: the weak rationale chosen, the strong one (whose sample is right) rejected
    set_pair(session=session, scene_id=scenes[0].id, chosen_id=rats[0][1], rejected_id=rats[0][0], reviewer="ann")
    result = export(engine=engine, fmt="dpo", out=tmp_path / "dpo.jsonl", selection="sel", reviewer="bo")
    rows = {row["user_id"]: row for row in read_jsonl(tmp_path / "dpo.jsonl")}
    human, computed = rows["u0"], rows["u1"]
    assert (human["pair_source"], human["chosen_rationale_id"], human["rejected_rationale_id"]) == (
        "human",
        rats[0][1],
        rats[0][0],
    )
    assert (
        _turn(human, "messages_chosen") == "Stimulus: Bored.\nKnowledge: C looks fun.\nEvaluation: sure.\nBehavior: [B]"
    )
    # the rejected turn ends with its sampled letter, here the true one: right answer, wrong reasons
    assert _turn(human, "messages_rejected") == CHOSEN
    assert (computed["pair_source"], computed["chosen_rationale_id"]) == ("computed", rats[1][0])
    assert result.manifest["pairs"] == {"human": 1, "computed": 1}
    assert result.manifest["exported_by"] == "bo"
    record = session.exec(select(ExportRecord)).one()
    assert (record.reviewer, record.rows, record.manifest["pairs"]) == ("bo", 2, {"human": 1, "computed": 1})


def test_edits_become_pairs_of_approved_scenes(workspace, engine, session, tmp_path, capsys):  # noqa: F811
    scenes, rats = workspace
    edited = "Stimulus: I want a film tonight.\nKnowledge: B is a film.\nEvaluation: B.\nBehavior: [B]"
    edit_rationale(session=session, rationale_id=rats[0][0], text=edited, author="ann", expected_version=1)
    fixed = "Stimulus: Bored.\nKnowledge: B looks fun.\nEvaluation: sure.\nBehavior: [B]"
    edit_rationale(session=session, rationale_id=rats[1][1], text=fixed, author="bo", expected_version=1)
    edit_rationale(session=session, rationale_id=rats[1][0], text=CHOSEN + "  ", author="bo", expected_version=1)
    edit_rationale(session=session, rationale_id=rats[2][0], text=edited, author="ann", expected_version=1)  # rejected
    out = tmp_path / "edits.jsonl"
    argv = ["export", "--format", "dpo", "--pairs", "edits", "--out", str(out), "--reviewer", "cy"]
    assert main(argv) == 0
    rows = read_jsonl(out)
    assert [(r["scene_id"], r["chosen_rationale_id"], r["editor"], r["pair_source"]) for r in rows] == [
        (scenes[0].id, rats[0][0], "ann", "edit"),
        (scenes[1].id, rats[1][1], "bo", "edit"),
    ]  # scene 2 is rejected; the whitespace-only edit of scene 1 teaches nothing
    assert (rows[0]["chosen_version"], rows[0]["rejected_version"], rows[0]["review_status"]) == (2, 1, "approved")
    assert _turn(rows[0], "messages_chosen") == edited
    assert _turn(rows[0], "messages_rejected") == CHOSEN
    assert _turn(rows[1], "messages_chosen") == fixed
    assert _turn(rows[1], "messages_rejected") == REJECTED  # ends with the letter the original wrote
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["pairs"] == {"edit": 2, "identical_left_out": 1}
    assert manifest["filters"] == {"status": "approved", "split": "train", "pairs": "edits"}
    assert (manifest["selection"], manifest["exported_by"], manifest["rows"]) == (None, "cy", 2)
    assert manifest["counts"] == [{"dataset": "toy", "choice_cnt": 3, "status": "approved", "rows": 2}]
    assert session.exec(select(ExportRecord.reviewer, ExportRecord.format)).all() == [("cy", "dpo")]
    preview = preview_rows(engine=engine, fmt="dpo", selection="sel", status="any", pairs="edits", limit=10)
    assert [r["scene_id"] for r in preview] == [scenes[0].id, scenes[1].id, scenes[2].id]


def test_edit_pairs_bad_input_and_a_read_only_exporter(workspace, engine, session, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "x.jsonl"
    assert main(["export", "--format", "dpo", "--pairs", "edits", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "error: nothing to export: no edited rationale in the train scenes whose scene is approved; edit rationales "
        "on the Review page (or use --status any)\n"
    )
    assert main(["export", "--format", "sft", "--pairs", "edits", "--selection", "sel", "--out", str(out)]) == 2
    assert capsys.readouterr().err == "error: --pairs edits makes DPO pairs; use it with --format dpo, not sft\n"
    set_role(session=session, name="ada", role="admin", by="ada")
    set_role(session=session, name="viewer", role="read-only", by="ada")
    assert main(["export", "--format", "dpo", "--selection", "sel", "--out", str(out), "--reviewer", "viewer"]) == 2
    assert capsys.readouterr().err == (
        "error: viewer is read-only: reviews, edits and exports need the reviewer or admin role\n"
    )
    assert not out.exists()
    assert session.exec(select(ExportRecord)).all() == []
