"""Score formulas (DESIGN.md §5) against a direct per-scene reimplementation, and the stored Score rows."""

import math

import numpy as np
import pytest
from sqlalchemy import insert, text
from sqlmodel import select

from core.errors import MirrorError
from core.scoring import compute_scores, entropy_bits, score, segment_entropy
from storage.models import Prediction, Rationale, Run, Score
from tests.factories import make_dataset, make_rationale, make_scene


def direct_scores(dists: list[np.ndarray], behaviors: list[int], true: int) -> dict:
    """One role of one scene, straight from the formulas with Python loops."""

    def h(p):
        return -sum(x * math.log2(x) for x in p if x > 0)

    e = sum(h(p) for p in dists) / len(dists)
    mean = [sum(p[k] for p in dists) / len(dists) for k in range(len(dists[0]))]
    t = h(mean)
    hit = sum(b == true for b in behaviors) / len(behaviors)
    loss = sum(-math.log2(max(p[true], 1e-10)) for p in dists) / len(dists)
    return {"E": e, "T": t, "D": t - e, "hit": hit, "logloss": loss}


def random_workload(seed: int, n_scenes: int = 60):
    """Per-prediction arrays (shuffled) and the expected per-scene values; some scenes miss a role."""
    rng = np.random.default_rng(seed)
    rows, expected, only = [], {}, {"only_strong": 0, "only_weak": 0}
    for scene in range(1, n_scenes + 1):
        cnt = int(rng.integers(2, 13))
        true = int(rng.integers(cnt))
        roles = ("strong", "weak") if scene % 10 else (("strong",) if scene % 20 else ("weak",))
        if len(roles) == 1:
            only[f"only_{roles[0]}"] += 1
        per_role = {}
        for role in roles:
            n = int(rng.integers(1, 11))
            dists = list(rng.dirichlet(np.full(cnt, 0.3), n))
            if scene % 7 == 0:
                dists[0][0] = 0.0  # exact zeros must count as 0 log 0 = 0
                dists[0] /= dists[0].sum()
            behaviors = [int(rng.integers(cnt)) for _ in range(n)]
            per_role[role] = direct_scores(dists, behaviors, true)
            rows += [(scene, role == "weak", d, b, true) for d, b in zip(dists, behaviors, strict=True)]
        if len(roles) == 2:
            expected[scene] = per_role
    rng.shuffle(rows)
    return rows, expected, only


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compute_scores_matches_direct_formulas_to_1e9(seed):
    rows, expected, only = random_workload(seed)
    lengths = np.array([len(r[2]) for r in rows])
    frame, missing = compute_scores(
        scene_id=np.array([r[0] for r in rows]),
        is_weak=np.array([r[1] for r in rows], dtype=np.int64),
        probs=np.concatenate([r[2] for r in rows]),
        lengths=lengths,
        behavior_index=np.array([r[3] for r in rows]),
        item_pos=np.array([r[4] for r in rows]),
    )
    assert missing == only
    assert frame["scene_id"].tolist() == sorted(expected)
    for rec in frame.itertuples(index=False):
        want = expected[rec.scene_id]
        for role in ("strong", "weak"):
            for name in ("E", "T", "D", "hit", "logloss"):
                assert getattr(rec, f"{role}_{name}") == pytest.approx(want[role][name], abs=1e-9)
        assert rec.diff_model == pytest.approx(want["weak"]["E"] - want["strong"]["E"], abs=1e-9)
        assert rec.diff_total == pytest.approx(want["weak"]["T"] - want["strong"]["T"], abs=1e-9)
        assert rec.diff_data == pytest.approx(rec.diff_total - rec.diff_model, abs=1e-12)
        assert rec.diff_hit == pytest.approx(want["weak"]["hit"] - want["strong"]["hit"], abs=1e-9)


def test_entropy_is_in_bits_with_zero_log_zero():
    probs = np.array([[0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    assert entropy_bits(probs).tolist() == [1.0, 0.0, 2.0]
    assert segment_entropy(np.array([0.5, 0.5, 1.0, 0.0, 0.25, 0.25, 0.25, 0.25]), np.array([2, 2, 4])).tolist() == [
        1.0,
        0.0,
        2.0,
    ]


def test_score_stores_one_row_per_scene_with_both_roles_and_reports_the_rest(session, engine):
    ds = make_dataset(session)
    both = make_scene(session, dataset=ds, choice_cnt=2, item_pos=0)
    strong_only = make_scene(session, dataset=ds, choice_cnt=3, item_pos=1, user_index=1)
    make_scene(session, dataset=ds, choice_cnt=3, item_pos=1, user_index=2)  # no predictions at all
    make_rationale(session, scene=both, role="strong", sample_index=0, probs=[1.0, 0.0], behavior_index=0)
    make_rationale(session, scene=both, role="strong", sample_index=1, probs=[0.5, 0.5], behavior_index=1)
    make_rationale(session, scene=both, role="weak", sample_index=0, probs=[0.25, 0.75], behavior_index=1)
    make_rationale(session, scene=strong_only, role="strong", sample_index=0, probs=[0.2, 0.5, 0.3])

    report = score(engine=engine)

    assert (report.scored, report.predictions, report.only_strong, report.only_weak, report.unpredicted) == (
        1,
        4,
        1,
        0,
        1,
    )
    row = session.exec(select(Score)).one()
    assert row.scene_id == both.id and (row.n_strong, row.n_weak) == (2, 1)
    assert row.strong_E == pytest.approx(0.5, abs=1e-12)  # mean(0, 1)
    assert row.strong_T == pytest.approx(-(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)), abs=1e-12)
    assert row.strong_hit == 0.5 and row.weak_hit == 0.0
    assert row.strong_logloss == pytest.approx(0.5, abs=1e-12)  # mean(-log2 1, -log2 .5)
    assert row.weak_logloss == pytest.approx(2.0, abs=1e-12)
    h_weak = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))
    assert row.diff_model == pytest.approx(h_weak - 0.5, abs=1e-12)
    run = session.exec(select(Run).where(Run.kind == "score")).one()
    assert run.status == "done" and "scored 1 scenes" in run.message
    assert (run.done, run.total) == (3, 3)
    # pair: the only correct strong rationale (sample 0) is chosen; of the two wrong ones (strong H=1, weak
    # H=0.811) the weak one has the lower entropy
    strong0, weak0 = session.exec(
        select(Rationale.id).where(Rationale.scene_id == both.id).order_by(Rationale.role, Rationale.sample_index)
    ).all()[::2]
    assert (row.chosen_rationale_id, row.rejected_rationale_id) == (strong0, weak0)


def test_score_replaces_old_rows_and_refuses_a_blob_of_the_wrong_size(session, engine):
    ds = make_dataset(session)
    scene = make_scene(session, dataset=ds, choice_cnt=2, item_pos=0)
    make_rationale(session, scene=scene, role="strong", sample_index=0, probs=[0.9, 0.1])
    weak = make_rationale(session, scene=scene, role="weak", sample_index=0, probs=[0.4, 0.6])
    score(engine=engine)
    first = session.exec(select(Score)).one().weak_E
    session.execute(
        text("UPDATE prediction SET probs = :p WHERE rationale_id = :r"),
        {"p": np.array([0.5, 0.5]).tobytes(), "r": weak.id},
    )
    session.commit()
    score(engine=engine)
    session.expire_all()
    assert first != 1.0 and session.exec(select(Score)).one().weak_E == pytest.approx(1.0, abs=1e-12)

    session.execute(
        text("UPDATE prediction SET probs = :p WHERE rationale_id = :r"),
        {"p": np.array([0.2, 0.3, 0.5]).tobytes(), "r": weak.id},
    )
    session.commit()
    with pytest.raises(MirrorError, match=f"rationale {weak.id} holds 3 probabilities but scene {scene.id} has 2"):
        score(engine=engine)
    session.expire_all()
    assert session.exec(select(Score)).one().weak_E == pytest.approx(1.0, abs=1e-12)  # old rows kept


def test_score_on_an_empty_database_scores_nothing(engine):
    report = score(engine=engine)
    assert (report.scored, report.predictions, report.unpredicted) == (0, 0, 0)


def test_other_roles_are_ignored(session, engine):
    ds = make_dataset(session)
    scene = make_scene(session, dataset=ds, choice_cnt=2, item_pos=0)
    make_rationale(session, scene=scene, role="strong", sample_index=0, probs=[0.9, 0.1])
    make_rationale(session, scene=scene, role="weak", sample_index=0, probs=[0.4, 0.6])
    other = Rationale(scene_id=scene.id, role="judge", sample_index=0, text="x")
    session.add(other)
    session.flush()
    session.execute(
        insert(Prediction),
        [
            {
                "rationale_id": other.id,
                "scene_id": scene.id,
                "role": "judge",
                "probs": np.array([0.5, 0.5]).tobytes(),
                "behavior_index": 0,
            }
        ],
    )
    session.commit()
    assert score(engine=engine).predictions == 2


def test_cli_score_prints_the_report(session, capsys):
    from core.cli.main import main

    ds = make_dataset(session)
    scene = make_scene(session, dataset=ds, choice_cnt=2, item_pos=0)
    make_rationale(session, scene=scene, role="weak", sample_index=0, probs=[0.4, 0.6])
    assert main(["score"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("scored 0 scenes from 1 predictions in ")
    assert out.endswith("not scored: 0 with strong predictions only, 1 with weak only, 0 without predictions\n")


def direct_pairs(rows: list[tuple]) -> dict[int, tuple[int, int]]:
    """chosen/rejected per scene with both roles, by a plain loop over each scene's rationales (DESIGN.md §6)."""

    def h(p):
        return -sum(x * math.log2(x) for x in p if x > 0)

    by_scene: dict[int, list[tuple]] = {}
    for row in rows:
        by_scene.setdefault(row[0], []).append(row)
    pairs = {}
    for scene, members in by_scene.items():
        if len({weak for _, weak, *_ in members}) < 2:
            continue
        chosen = [(h(d), rid) for _, weak, d, b, true, rid in members if not weak and b == true]
        rejected = [(h(d), rid) for _, weak, d, b, true, rid in members if b != true]
        pairs[scene] = (min(chosen)[1] if chosen else -1, min(rejected)[1] if rejected else -1)
    return pairs


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_stored_pair_equals_a_direct_per_scene_pick(seed, session, engine):
    """Random scenes (some missing a role, some without a correct or a wrong rationale, duplicated distributions
    for entropy ties) in the DB: score() stores exactly the ids the direct per-scene loop picks."""
    rng = np.random.default_rng(seed)
    ds = make_dataset(session, n_users=40, n_items=40)
    rows = []
    for k in range(40):
        cnt, true = int(rng.integers(2, 6)), int(rng.integers(2))
        scene = make_scene(session, dataset=ds, choice_cnt=cnt, item_pos=true, user_index=k)
        roles = ("strong", "weak") if k % 8 else ("strong",)
        for role in roles:
            dists = list(rng.dirichlet(np.full(cnt, 0.5), int(rng.integers(1, 6))))
            if len(dists) > 2:
                dists[2] = dists[0].copy()  # an exact entropy tie: the lower rationale id must win
            for j, dist in enumerate(dists):
                behaviour = true if k % 5 == 1 else (1 - true if k % 5 == 2 else int(rng.integers(2)))
                rat = make_rationale(
                    session, scene=scene, role=role, sample_index=j, probs=list(dist), behavior_index=behaviour
                )
                rows.append((scene.id, role == "weak", dist, behaviour, true, rat.id))
    expected = direct_pairs(rows)
    assert {c for c, _ in expected.values()} >= {-1} and {r for _, r in expected.values()} >= {-1}
    score(engine=engine)
    stored = session.exec(select(Score.scene_id, Score.chosen_rationale_id, Score.rejected_rationale_id)).all()
    assert {s: (c if c is not None else -1, r if r is not None else -1) for s, c, r in stored} == expected


def test_compute_scores_pairs_follow_the_rows_in_any_order():
    rows, _, _ = random_workload(7)
    rng = np.random.default_rng(7)
    ids = rng.permutation(len(rows)) + 1  # rationale ids unrelated to row order
    full = [(*r, int(i)) for r, i in zip(rows, ids, strict=True)]
    frame, _ = compute_scores(
        scene_id=np.array([r[0] for r in full]),
        is_weak=np.array([r[1] for r in full], dtype=np.int64),
        probs=np.concatenate([r[2] for r in full]),
        lengths=np.array([len(r[2]) for r in full]),
        behavior_index=np.array([r[3] for r in full]),
        item_pos=np.array([r[4] for r in full]),
        rationale_id=ids,
    )
    pairs = zip(frame["chosen_rationale_id"], frame["rejected_rationale_id"], strict=True)
    assert dict(zip(frame["scene_id"], pairs, strict=True)) == direct_pairs(full)
