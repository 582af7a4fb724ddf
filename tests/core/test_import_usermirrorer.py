"""Import of the reference UserMirrorer files: fixture directories written here in exactly the reference formats."""

import json
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session, select

from core.cli.main import main
from core.errors import BadInput
from core.importers import import_usermirrorer
from storage import imports as db
from storage.models import Dataset, Prediction, Rationale, RationaleVersion, Scene, Score, Selection, SelectionItem
from storage.reviews import rationale_versions

NAME = "ml-1m"
LETTERS = "ABCDEFGHIJKL"
SYSTEM = "You are a sophisticated user behavior emulator."
# 4 train scenes: (user, item, item_pos, n options); custom_id rows are 0-based row indexes of the train file.
SCENES = [("u1", "i10", 0, 3), ("u2", "i20", 2, 4), ("u1", "i30", 1, 2), ("u3", "i40", 3, 5)]


def decision(letter: str | None, k: int = 0) -> str:
    text = (
        f"Thought:\nStimulus: I am bored tonight ({k}).\nStimulus Factors: Boredom\n"
        "Knowledge: The comedy matches the films I liked.\nKnowledge Factors: Personal Relevance, Past Experience\n"
        "Evaluation: It fits my mood.\nEvaluation Style: Intuitive"
    )
    return text + (f"\nBehavior: [{letter}]" if letter else "")


def scene_line(user, item, pos, n, ts=978300760):
    options = [f"Movie {item}-{j}: a film\nGenres: Comedy" for j in range(n)]
    text = {
        "profile": f"Gender: M, age 25-34 ({user})",
        "history": "Toy Story (1995)\nHeat (1995)",
        "action_list": options,
    }
    return {
        "text": text,
        "user_id": user,
        "item_id": item,
        "timestamp": ts * 1000,
        "item_pos": pos,
        "choice_cnt": n,
        "dataset": NAME,
    }


def batch_line(row: int, texts: list[str]) -> dict:
    choices = [
        {"index": k, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
        for k, t in enumerate(texts)
    ]
    body = {"id": f"chatcmpl-{row}", "object": "chat.completion", "model": "Qwen2.5-14B", "choices": choices}
    return {
        "id": f"batch_req_{row}",
        "custom_id": f"{NAME}-{row}",
        "response": {"status_code": 200, "body": body},
        "error": None,
    }


def distribution(row: int, k: int, n: int, role: str) -> dict:
    rng = np.random.default_rng(row * 100 + k + (50 if role == "weak" else 0))
    p = rng.dirichlet(np.ones(n))
    return {LETTERS[j]: float(p[j]) for j in range(n)}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def write_workdir(root: Path, k: int = 3) -> dict:
    """Train/eval scenes, decisions and probs of both roles; returns the raw probability dicts by (role, row)."""
    write_jsonl(root / "datasets" / f"{NAME}_train.jsonl", [scene_line(*s) for s in SCENES])
    write_jsonl(root / "datasets" / f"{NAME}_eval.jsonl", [scene_line("u9", "i90", 1, 3)])
    dists = {}
    for role in ("strong", "weak"):
        lines, probs = [], []
        for row, (user, item, _pos, n) in enumerate(SCENES):
            texts = [decision(LETTERS[(row + j) % n], j) for j in range(k)]
            if role == "strong" and row == 1:
                texts[2] = decision(None, 2)  # no Behavior line
            lines.append(batch_line(row, texts))
            d = [distribution(row, j, n, role) for j in range(k)]
            if role == "weak" and row == 3:
                del d[1]["C"]  # a dict missing a letter
            dists[(role, row)] = d
            probs.append(
                {
                    "user_id": user,
                    "item_id": item,
                    "decision_list": [t.split("Behavior:")[0].strip() for t in texts],
                    "choice": d,
                }
            )
        lines.reverse()  # batch output order is not row order
        if role == "strong":
            lines.append(batch_line(99, [decision("A")]))  # custom_id matching no scene
        write_jsonl(root / "decisions" / f"{NAME}_decisions_{role}.jsonl", lines)
        write_jsonl(root / "probs" / f"{NAME}_probs_{role}.jsonl", probs)
    return dists


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return db.table_counts(conn=conn)


def expected_probs(raw: dict, n: int) -> np.ndarray:
    p = np.array([raw.get(LETTERS[j], 1e-10) for j in range(n)], dtype=np.float64)
    p = np.maximum(p, 1e-10)
    return p / p.sum()


def entropy(p: np.ndarray) -> float:
    return float(-(p * np.log2(p)).sum())


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
    scoring = pytest.importorskip("core.scoring")
    raw = write_workdir(tmp_path)
    import_usermirrorer(engine=engine, name=NAME, path=tmp_path)
    scoring.score(engine=engine)
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


def _break(root: Path, rel: str, line: int, change) -> None:
    path = root / rel
    lines = path.read_text().splitlines()
    lines[line - 1] = change(lines[line - 1])
    path.write_text("\n".join(lines) + "\n")


def _edit(key, value):
    def change(text):
        obj = json.loads(text)
        obj[key] = value
        return json.dumps(obj)

    return change


TRAIN, EVAL = "datasets/ml-1m_train.jsonl", "datasets/ml-1m_eval.jsonl"
DEC_S, DEC_W = "decisions/ml-1m_decisions_strong.jsonl", "decisions/ml-1m_decisions_weak.jsonl"
PROB_S, PROB_W = "probs/ml-1m_probs_strong.jsonl", "probs/ml-1m_probs_weak.jsonl"
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


def hf_user_turn(n: int) -> str:
    options = "\n".join(f"[{LETTERS[j]}] News {j}\nCategory: sports" for j in range(n))
    return f"# User Profile\nA reader from Seattle.\n\n## History\nRead: A\nRead: B\n\n# Exposure List\n{options}\n"


def write_hf(root: Path) -> None:
    ev = scene_line("U5", "N7", 1, 2)
    ev.update(dataset="MIND", timestamp="2019-11-14T08:00:00", impression_list=["N6", "N7"])
    write_jsonl(root / "UserMirrorer-eval.jsonl", [ev])
    rows = []
    for j, (pos, n) in enumerate([(2, 3), (0, 2)]):
        user = {"role": "user", "content": hf_user_turn(n)}
        chosen = [{"role": "system", "content": SYSTEM}, user, {"role": "assistant", "content": decision(LETTERS[pos])}]
        rejected = [{"role": "system", "content": SYSTEM}, user, {"role": "assistant", "content": decision("B")}]
        rows.append(
            {
                "dataset": "MIND",
                "user_id": f"U{j}",
                "item_id": f"N{j}",
                "timestamp": 1573718400000,
                "messages_chosen": chosen,
                "messages_rejected": rejected,
                "impression_list": [f"N{j}x{m}" if m != pos else f"N{j}" for m in range(n)],
                "item_pos": pos,
            }
        )
    write_jsonl(root / "UserMirrorer.jsonl", rows)


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
    from core.importers.um_sampling import sample_behaviors
    from core.predict import sample_behavior

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


def test_parse_workers_write_the_same_rows(engine, tmp_path):
    from storage.db import get_engine

    write_workdir(tmp_path / "w")
    parallel = import_usermirrorer(engine=engine, name=NAME, path=tmp_path / "w", workers=2)
    serial = get_engine(str(tmp_path / "serial.db"))
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
    from storage.reviews import edit_rationale

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
