"""Import of the public UserMirrorer files, the CLI, sampling, workers, export and review of imported scenes."""

import json

import numpy as np
import pytest
from sqlmodel import Session, select

from core.cli.main import main
from core.importers import import_usermirrorer
from core.review import rationale_versions
from storage.models import Dataset, Prediction, Rationale, RationaleVersion, Scene, Selection, SelectionItem
from tests.core.usermirrorer_fixtures import (
    DEC_W,
    NAME,
    _break,
    _edit,
    counts,
    decision,
    expected_probs,
    write_hf,
    write_workdir,
)


def test_public_hf_files_become_scenes_with_a_reference_selection(engine, tmp_path):
    write_hf(tmp_path)
    report = import_usermirrorer(engine=engine, name="um", path=tmp_path)
    assert report.files == {
        "UserMirrorer-eval.jsonl": {"scenes": 1},
        "UserMirrorer.jsonl": {"scenes": 2, "pairs": 2, "rejected_without_letter": 0},
    }
    assert report.selection == "um-reference" and len(report.missing) == 6
    with Session(engine) as s:
        ev = s.exec(select(Scene).where(Scene.split == "eval")).one()
        assert ev.timestamp == 1573718400 and ev.options[1].startswith("Movie N7-1")
        train = s.exec(select(Scene).where(Scene.split == "train").order_by(Scene.id)).all()
        assert train[0].options == ["News 0\nCategory: sports", "News 1\nCategory: sports", "News 2\nCategory: sports"]
        assert train[0].profile == "A reader from Seattle." and train[0].history == ["Read: A", "Read: B"]
        assert train[0].item_pos == 2 and train[0].timestamp == 1573718400
        sel = s.exec(select(Selection).where(Selection.name == "um-reference")).one()
        items = s.exec(select(SelectionItem).where(SelectionItem.selection_id == sel.id).order_by(SelectionItem.rank))
        first = list(items)[0]
        chosen, rejected = s.get(Rationale, first.chosen_rationale_id), s.get(Rationale, first.rejected_rationale_id)
        assert (chosen.role, chosen.behavior, rejected.role, rejected.behavior) == ("strong", "C", "weak", "B")
        # the rejected option the reference sampled, as an estimated one-sample prediction; the chosen has none
        pred = s.exec(select(Prediction).where(Prediction.rationale_id == rejected.id)).one()
        assert (pred.behavior_index, pred.estimated, pred.role) == (1, True, "weak")
        assert np.frombuffer(pred.probs).tolist() == pytest.approx([1e-10, 1 - 2e-10, 1e-10], rel=0, abs=1e-16)
        assert s.exec(select(Prediction).where(Prediction.rationale_id == chosen.id)).first() is None
        assert s.exec(select(Dataset)).one().format == "usermirrorer"


def test_cli_import_prints_counts_then_already_imported(db_path, tmp_path, capsys):
    write_workdir(tmp_path)
    args = ["import", "--format", "usermirrorer", "--dataset", NAME, "--path", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "datasets/ml-1m_train.jsonl: scenes 4" in out and "1 custom_id(s) matched no scene, e.g. ml-1m-99" in out
    assert "not found: UserMirrorer-eval*.jsonl" in out
    assert main(args) == 0
    assert "already imported" in capsys.readouterr().out
    _break(tmp_path, "datasets/ml-1m_train.jsonl", 2, lambda t: "{")
    assert main([*args, "--replace"]) == 2
    assert "datasets/ml-1m_train.jsonl, line 2: not valid JSON" in capsys.readouterr().err


def test_vectorised_sampling_draws_exactly_what_predict_draws(engine, tmp_path):
    from core.predict import sample_behavior
    from core.seeded_draws import sample_behaviors

    rng = np.random.default_rng(7)
    probs = [rng.dirichlet(np.ones(rng.integers(2, 13))) for _ in range(3000)]
    ids = np.r_[np.arange(1000), rng.integers(1000, 2**32, 2000)]
    lengths = np.array([len(p) for p in probs])
    got = sample_behaviors(np.concatenate(probs), lengths, seed=0, rationale_ids=ids)
    assert got.tolist() == [sample_behavior(p, seed=0, rationale_id=int(r)) for p, r in zip(probs, ids, strict=True)]
    write_workdir(tmp_path)
    import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    with Session(engine) as s:
        preds = s.exec(select(Prediction)).all()
        assert len(preds) == 24
        for pred in preds:
            p = np.frombuffer(pred.probs, dtype=np.float64)
            assert pred.behavior_index == sample_behavior(p, seed=0, rationale_id=pred.rationale_id)


def test_parse_workers_write_the_same_rows(engine, empty_db, tmp_path):
    from storage.db import get_engine

    write_workdir(tmp_path / "w")
    parallel = import_usermirrorer(engine=engine, name=NAME, path=tmp_path / "w", workers=2)
    serial = get_engine(empty_db)
    alone = import_usermirrorer(engine=serial, name=NAME, path=tmp_path / "w", workers=0)
    assert (parallel.files, parallel.totals, parallel.sha256) == (alone.files, alone.totals, alone.sha256)
    assert parallel.files["probs/ml-1m_probs_weak.jsonl"]["missing_letters"] == 1
    sql = (
        "SELECT r.id, r.scene_id, r.role, r.sample_index, r.endpoint, r.model, r.text, r.version, r.stimulus, "
        "r.stimulus_factors, r.knowledge, r.knowledge_factors, r.evaluation, r.style, r.behavior, r.problems, "
        "r.source, p.id, p.scene_id, p.role, p.rationale_version, p.probs, p.estimated, p.behavior_index "
        "FROM rationale r LEFT JOIN prediction p ON p.rationale_id = r.id ORDER BY r.id"
    )
    with engine.connect() as a, serial.connect() as b:
        rows = a.exec_driver_sql(sql).all()
        assert len(rows) == 24 and rows == b.exec_driver_sql(sql).all()
        options = "SELECT options FROM dataset"
        assert a.exec_driver_sql(options).all() == b.exec_driver_sql(options).all()


def test_reference_pairs_export_as_dpo_with_the_reference_letters(engine, tmp_path):
    from core.export import export

    write_hf(tmp_path)
    import_usermirrorer(engine=engine, name="um", path=tmp_path)
    result = export(engine=engine, fmt="dpo", out=tmp_path / "dpo.jsonl", selection="um-reference", status="any")
    rows = [json.loads(line) for line in (tmp_path / "dpo.jsonl").read_text().splitlines()]
    assert result.rows == 2 and [r["item_pos"] for r in rows] == [2, 0]
    assert rows[0]["messages_chosen"][-1]["content"].endswith("Behavior: [C]")
    assert rows[0]["messages_rejected"][-1]["content"].endswith("Behavior: [B]")
    assert rows[0]["impression_list"] == ["N0x0", "N0x1", "N0"] and rows[0]["user_id"] == "U0"


def test_an_import_exports_back_its_files_dataset_and_timestamp(engine, tmp_path):
    """The public files name a source dataset per row and write epoch milliseconds: exports give both back as read
    (not the name of the import, not seconds); ISO 8601 text comes back as epoch seconds."""
    from core.export import export

    write_hf(tmp_path)
    import_usermirrorer(engine=engine, name="um", path=tmp_path)
    export(engine=engine, fmt="dpo", out=tmp_path / "dpo.jsonl", selection="um-reference", status="any")
    export(engine=engine, fmt="eval", out=tmp_path / "eval.jsonl", dataset="um")
    dpo = [json.loads(line) for line in (tmp_path / "dpo.jsonl").read_text().splitlines()]
    ev = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text().splitlines()]
    assert [(r["dataset"], r["timestamp"]) for r in dpo] == [("MIND", 1573718400000)] * 2
    assert [(r["dataset"], r["timestamp"]) for r in ev] == [("MIND", 1573718400)]
    with Session(engine) as s:
        rows = s.exec(select(Scene.source_dataset, Scene.source_timestamp, Scene.timestamp).order_by(Scene.id)).all()
    assert sorted(rows, key=str) == sorted(
        [("MIND", None, 1573718400), ("MIND", 1573718400000, 1573718400), ("MIND", 1573718400000, 1573718400)],
        key=str,
    )


def test_replace_rebuilds_the_reference_selection(engine, tmp_path):
    write_hf(tmp_path)
    import_usermirrorer(engine=engine, name="um", path=tmp_path)
    path = tmp_path / "UserMirrorer.jsonl"
    path.write_text(path.read_text().splitlines()[1] + "\n")
    report = import_usermirrorer(engine=engine, name="um", path=tmp_path, replace=True)
    assert report.files["UserMirrorer.jsonl"]["pairs"] == 1
    after = counts(engine)
    assert (after["selection"], after["selectionitem"], after["scene"], after["rationale"]) == (1, 1, 2, 2)
    assert (after["dataset"], after["prediction"], after["rationaleversion"]) == (1, 1, 0)


def test_imported_scenes_open_like_native_ones_in_the_review_queries(engine, tmp_path):
    from core.scoring import score
    from storage.browse_detail import scene_detail

    raw = write_workdir(tmp_path)
    _break(tmp_path, DEC_W, 4, _edit("response", {"status_code": 200, "body": {"choices": [
        {"message": {"content": None}}, {"message": {"content": decision("A")}}, {"message": {}}]}}))  # fmt: skip
    import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    score(engine=engine)
    with Session(engine) as s:
        first = s.exec(select(Scene).order_by(Scene.id)).first()
        detail = scene_detail(session=s, scene_id=first.id)
    assert detail.dataset == NAME and detail.score is not None and len(detail.rationales) == 6
    weak = [r for r in detail.rationales if r["rationale"].role == "weak"]
    assert [r["rationale"].text for r in weak] == ["", decision("A"), ""]
    assert "missing Behavior line" in weak[0]["rationale"].problems
    assert weak[1]["probs"] == pytest.approx(expected_probs(raw[("weak", 0)][1], 3).tolist(), abs=1e-15)


def test_first_edit_of_an_imported_rationale_stores_the_original_as_version_1(engine, tmp_path):
    from core.review import edit_rationale

    write_hf(tmp_path)
    import_usermirrorer(engine=engine, name="um", path=tmp_path)
    assert counts(engine)["rationaleversion"] == 0
    with Session(engine) as s:
        chosen = s.exec(select(Rationale).where(Rationale.role == "strong").order_by(Rationale.id)).first()
        original = chosen.text
        assert [(v.version, v.text, v.author) for v in rationale_versions(session=s, rationale_id=chosen.id)] == [
            (1, original, "usermirrorer")
        ]
        edit_rationale(session=s, rationale_id=chosen.id, text="Behavior: [A]", author="ann", expected_version=1)
    with Session(engine) as s:
        stored = s.exec(select(RationaleVersion).order_by(RationaleVersion.version)).all()
        assert [(v.rationale_id, v.version, v.text, v.author) for v in stored] == [
            (chosen.id, 1, original, "usermirrorer"),
            (chosen.id, 2, "Behavior: [A]", "ann"),
        ]
