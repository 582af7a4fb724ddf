"""Import of a reference working directory: scenes, decisions, probabilities, scores, re-import, malformed lines."""

import json

import numpy as np
import pytest
from sqlmodel import Session, select

from core.cli.main import main
from core.errors import BadInput
from core.importers import import_usermirrorer
from core.review import edit_rationale, rationale_versions, set_review
from core.scoring import score
from storage.models import Prediction, Rationale, RationaleVersion, Scene, Score
from tests.core.usermirrorer_fixtures import (
    DEC_S,
    DEC_W,
    EVAL,
    NAME,
    PROB_S,
    PROB_W,
    SCENES,
    TRAIN,
    _break,
    _edit,
    batch_line,
    counts,
    decision,
    entropy,
    expected_probs,
    write_workdir,
)


def test_workdir_import_writes_scenes_rationales_predictions(engine, tmp_path):
    raw = write_workdir(tmp_path)
    report = import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    assert report.totals == {"scenes": 5, "rationales": 24, "predictions": 24, "users": 4, "items": 17}
    assert report.unmatched_custom_ids == 1 and report.unmatched_examples == [f"{NAME}-99"]
    assert report.files["decisions/ml-1m_decisions_strong.jsonl"]["scenes"] == 4
    assert report.files["probs/ml-1m_probs_weak.jsonl"] == {
        "scenes": 4,
        "distributions": 12,
        "missing_letters": 1,
        "without_decisions": 0,
    }
    assert any("UserMirrorer-eval" in m for m in report.missing)
    with Session(engine) as s:
        scenes = s.exec(select(Scene).order_by(Scene.id)).all()
        assert [(sc.split, sc.item_pos, sc.choice_cnt, sc.source) for sc in scenes] == [
            ("train", 0, 3, "usermirrorer"),
            ("train", 2, 4, "usermirrorer"),
            ("train", 1, 2, "usermirrorer"),
            ("train", 3, 5, "usermirrorer"),
            ("eval", 1, 3, "usermirrorer"),
        ]
        second = scenes[1]
        assert second.timestamp == 978300760 and second.interaction_id is None
        assert second.options[2] == "Movie i20-2: a film\nGenres: Comedy"
        assert "\n".join(second.history) == "Toy Story (1995)\nHeat (1995)"
        assert second.option_sources == ["usermirrorer", "usermirrorer", "target", "usermirrorer"]
        no_behavior = s.exec(
            select(Rationale).where(
                Rationale.scene_id == second.id, Rationale.role == "strong", Rationale.sample_index == 2
            )
        ).one()
        assert no_behavior.behavior is None and "missing Behavior line" in no_behavior.problems
        assert no_behavior.source == "usermirrorer" and no_behavior.model == "Qwen2.5-14B"
        ok = s.exec(
            select(Rationale).where(
                Rationale.scene_id == second.id, Rationale.role == "strong", Rationale.sample_index == 0
            )
        ).one()
        assert ok.behavior == "B" and ok.problems == [] and ok.style == "intuitive"
        assert s.exec(select(RationaleVersion)).all() == []  # versions are stored once a rationale is edited
        history = rationale_versions(session=s, rationale_id=ok.id)
        assert [(v.id, v.version, v.text, v.author) for v in history] == [(None, 1, ok.text, "Qwen2.5-14B")]
        for role in ("strong", "weak"):
            for row, (_, _, _, n) in enumerate(SCENES):
                for k, d in enumerate(raw[(role, row)]):
                    rat = s.exec(
                        select(Rationale).where(
                            Rationale.scene_id == scenes[row].id, Rationale.role == role, Rationale.sample_index == k
                        )
                    ).one()
                    pred = s.exec(select(Prediction).where(Prediction.rationale_id == rat.id)).one()
                    got = np.frombuffer(pred.probs, dtype=np.float64)
                    assert np.allclose(got, expected_probs(d, n), rtol=0, atol=1e-15)
                    assert 0 <= pred.behavior_index < n
        floored = s.exec(
            select(Rationale).where(
                Rationale.scene_id == scenes[3].id, Rationale.role == "weak", Rationale.sample_index == 1
            )
        ).one()
        assert floored.problems[-1] == "imported probabilities had no value for C: floored at 1e-10 and renormalised"


def test_scores_of_imported_probabilities_equal_the_design_formulas(engine, tmp_path):
    raw = write_workdir(tmp_path)
    import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    score(engine=engine)
    with Session(engine) as s:
        scenes = s.exec(select(Scene).where(Scene.split == "train").order_by(Scene.id)).all()
        for row, (_, _, pos, n) in enumerate(SCENES):
            got = s.get(Score, scenes[row].id)
            values = {}
            for role in ("strong", "weak"):
                p = np.array([expected_probs(d, n) for d in raw[(role, row)]])
                preds = s.exec(
                    select(Prediction)
                    .where(Prediction.scene_id == scenes[row].id, Prediction.role == role)
                    .order_by(Prediction.id)
                ).all()
                values[role] = (
                    np.mean([entropy(q) for q in p]),
                    entropy(p.mean(axis=0)),
                    np.mean([q.behavior_index == pos for q in preds]),
                )
            (se, st, sh), (we, wt, wh) = values["strong"], values["weak"]
            assert got.strong_E == pytest.approx(se, abs=1e-9) and got.weak_T == pytest.approx(wt, abs=1e-9)
            assert got.strong_D == pytest.approx(st - se, abs=1e-9) and got.weak_D == pytest.approx(wt - we, abs=1e-9)
            assert got.diff_model == pytest.approx(we - se, abs=1e-9)
            assert got.diff_total == pytest.approx(wt - st, abs=1e-9)
            assert got.diff_data == pytest.approx((wt - st) - (we - se), abs=1e-9)
            assert got.diff_hit == pytest.approx(wh - sh, abs=1e-9)


def test_reimport_of_the_same_files_changes_nothing(engine, tmp_path):
    write_workdir(tmp_path)
    import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    before = counts(engine)
    again = import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    assert again.already_imported and counts(engine) == before
    assert again.files["datasets/ml-1m_train.jsonl"] == {"scenes": 4}


def test_other_content_needs_replace_and_replace_swaps_it(engine, tmp_path):
    write_workdir(tmp_path)
    import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    before = counts(engine)
    (tmp_path / "probs" / f"{NAME}_probs_weak.jsonl").unlink()
    with pytest.raises(BadInput, match="already exists with other content; pass --replace"):
        import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    assert counts(engine) == before
    report = import_usermirrorer(engine=engine, name=NAME, path=tmp_path, replace=True)
    after = counts(engine)
    assert report.totals["predictions"] == 12 and after["prediction"] == 12 and after["scene"] == 5
    assert after["dataset"] == 1 and after["rationale"] == before["rationale"]


MALFORMED = [
    (DEC_W, 3, lambda t: t[:-5], f"{DEC_W}, line 3: not valid JSON"),
    (TRAIN, 2, _edit("item_pos", 4), f"{TRAIN}, line 2: item_pos 4 is not an option index 0..3"),
    (EVAL, 1, _edit("user_id", None), f"{EVAL}, line 1: missing field 'user_id'"),
    (TRAIN, 3, _edit("timestamp", "yesterday"), f"{TRAIN}, line 3: timestamp 'yesterday'"),
    (PROB_S, 2, _edit("choice", [{"A": 0.5, "Z": 0.5}]), f"{PROB_S}, line 2: distribution 1 has keys outside A..D"),
    (PROB_S, 1, _edit("choice", [{"A": "high"}] * 3), f"{PROB_S}, line 1: probabilities must be numbers"),
    (PROB_W, 4, _edit("user_id", "u7"), f"{PROB_W}, line 4: user_id 'u7' but row 3 of {TRAIN} has 'u3'"),
    (PROB_W, 1, _edit("choice", [{"A": 0.2}]), f"{DEC_W}, line 4: 3 choices but {PROB_W} line 1 has 1 distributions"),
    (DEC_S, 2, _edit("custom_id", f"{NAME}-0"), f"{DEC_S}, line 4: custom_id 'ml-1m-0' repeats line 2"),
    (TRAIN, 1, lambda t: "[1, 2]", f"{TRAIN}, line 1: expected a JSON object, got list"),
]


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("rel,line,change,message", MALFORMED, ids=[m[3][:60] for m in MALFORMED])
def test_malformed_line_names_file_and_line_and_writes_nothing(engine, tmp_path, rel, line, change, message, workers):
    write_workdir(tmp_path)
    before = counts(engine)
    _break(tmp_path, rel, line, change)
    with pytest.raises(BadInput) as err:
        import_usermirrorer(engine=engine, name=NAME, path=tmp_path, workers=workers)
    assert str(err.value).startswith(message)
    assert counts(engine) == before


def test_decisions_whose_custom_ids_match_no_scene_are_refused(engine, tmp_path):
    write_workdir(tmp_path)
    path = tmp_path / "decisions" / f"{NAME}_decisions_weak.jsonl"
    path.write_text(json.dumps(batch_line(40, [decision("A")])) + "\n")
    before = counts(engine)
    with pytest.raises(BadInput, match=r"decisions_weak.jsonl: no custom_id matches a row of datasets/ml-1m_train"):
        import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    assert counts(engine) == before


def test_probs_without_decisions_take_the_decision_list(engine, tmp_path):
    write_workdir(tmp_path)
    for role in ("strong", "weak"):
        (tmp_path / "decisions" / f"{NAME}_decisions_{role}.jsonl").unlink()
    report = import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    assert report.totals["rationales"] == 24 and report.totals["predictions"] == 24
    assert "decisions/ml-1m_decisions_strong.jsonl" in report.missing
    with Session(engine) as s:
        rat = s.exec(select(Rationale).where(Rationale.role == "strong").order_by(Rationale.id)).first()
        assert rat.text == decision("A").split("Behavior:")[0].strip() and rat.behavior is None


def test_cli_replace_prints_what_it_deleted_human_work_first(engine, tmp_path, capsys):
    write_workdir(tmp_path)
    import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    with Session(engine) as s:
        scenes = s.exec(select(Scene).order_by(Scene.id)).all()
        first = s.exec(select(Rationale).where(Rationale.scene_id == scenes[0].id).order_by(Rationale.id)).first()
        edit_rationale(session=s, rationale_id=first.id, text="Evaluation: mine.\nBehavior: [A]", author="ann",
                       expected_version=1)  # fmt: skip
        set_review(session=s, scene_id=scenes[0].id, status="approved", reviewer="ann")
        set_review(session=s, scene_id=scenes[1].id, status="rejected", reviewer="ann")
        s.commit()
    args = ["import", "--format", "usermirrorer", "--dataset", NAME, "--path", str(tmp_path), "--replace"]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "replaced dataset 'ml-1m': deleted 5 scenes, 2 reviews, 1 edited rationales (24 rationales, 0 selection items)"
    )
    assert out[-1].startswith(f"imported 5 scenes, 24 rationales, 24 predictions into {NAME!r}")
    after = counts(engine)
    assert (after["scene"], after["rationale"], after["review"], after["rationaleversion"]) == (5, 24, 0, 0)


def test_replace_reports_every_kind_it_deleted(engine, tmp_path):
    write_workdir(tmp_path)
    import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    assert import_usermirrorer(engine=engine, name=NAME, path=tmp_path).replaced is None  # nothing replaced
    report = import_usermirrorer(engine=engine, name=NAME, path=tmp_path, replace=True)
    assert report.replaced == {
        "edited_rationales": 0, "selection_items": 0, "predictions": 24, "rationale_versions": 0, "rationales": 24,
        "rationale_verdicts": 0, "human_pairs": 0,
        "reviews": 0, "scores": 0, "scenes": 5, "interactions": 0, "users": 4, "items": 17,
    }  # fmt: skip
