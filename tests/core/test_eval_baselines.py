"""The baselines' distributions and expected accuracies on a hand-built dataset, through `evaluate --json`."""

import json
import math

import numpy as np
import pytest
from sqlmodel import Session, select

from core.cli.main import main
from core.evaluation.baselines import counts_before
from storage.models import EvalRow, EvalRun, Interaction, Item, Run, User
from tests.factories import make_dataset, make_scene

# Eval scenes: (options, true position, time). Exposures are the dataset's first items i0, i1, ...
EVAL = [(3, 0, 2000), (3, 1, 2001), (4, 2, 2002), (2, 1, 2003)]
# Popularity before each eval scene (hand-counted below in `eval_workspace`):
POPULARITY = [[5 / 8, 1 / 8, 2 / 8], [5 / 8, 1 / 8, 2 / 8], [5 / 8, 1 / 8, 2 / 8, 0.0], [5 / 6, 1 / 6]]
# Position: train scenes put the truth of 3-option scenes at A, A, B and of 4-option scenes at C; none has 2 options.
POSITION = [[2 / 3, 1 / 3, 0.0], [2 / 3, 1 / 3, 0.0], [0.0, 0.0, 1.0, 0.0], [0.5, 0.5]]
RANDOM = [[1 / 3] * 3, [1 / 3] * 3, [0.25] * 4, [0.5] * 2]


@pytest.fixture
def eval_workspace(session) -> list[int]:
    """Train scenes (truths i0 @1000, i0 @1001, i1 @1002, i2 @1003), eval scenes (truths i0 @2000, i1 @2001,
    i2 @2002, i1 @2003), and extra interactions: i0 three times @500, i2 @1500, i1 @2500 (after every eval scene).

    Counts strictly before 2000: i0 2 + 3 = 5, i1 1, i2 1 + 1 = 2 (i3 0). The eval targets are held out, not
    training interactions: the later eval scenes count the same (i1 @2500 comes after all of them)."""
    ds = make_dataset(session, n_users=2)
    for cnt, pos, ts in [(3, 0, 1000), (3, 0, 1001), (3, 1, 1002), (4, 2, 1003)]:
        make_scene(session, dataset=ds, choice_cnt=cnt, item_pos=pos, timestamp=ts)
    ids = [make_scene(session, dataset=ds, choice_cnt=c, item_pos=p, split="eval", timestamp=t).id for c, p, t in EVAL]
    user = session.exec(select(User.id).where(User.dataset_id == ds.id)).first()
    item = session.exec(select(Item.id).where(Item.dataset_id == ds.id).order_by(Item.id)).all()
    extra = [(0, 500), (0, 500), (0, 500), (2, 1500), (1, 2500)]
    session.add_all(Interaction(dataset_id=ds.id, user_id=user, item_id=item[k], timestamp=t) for k, t in extra)
    session.commit()
    return ids


def _evaluate(capsys, *args: str) -> dict:
    assert main(["evaluate", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _stored(engine, name: str) -> dict[int, list[list[float]]]:
    with Session(engine) as s:
        run = s.exec(select(EvalRun).where(EvalRun.name == name)).one()
        rows = s.exec(select(EvalRow).where(EvalRow.eval_run_id == run.id).order_by(EvalRow.id)).all()
    out: dict[int, list[list[float]]] = {}
    for row in rows:
        out.setdefault(row.scene_id, []).append(np.frombuffer(row.probs, dtype=np.float64).tolist())
    return out


@pytest.mark.parametrize(
    "baseline,expected,argmax",
    [("random", RANDOM, 0.25), ("popularity", POPULARITY, 0.25), ("position", POSITION, 0.5)],
)
def test_baseline_distributions_and_expected_accuracy(engine, eval_workspace, capsys, baseline, expected, argmax):
    repeat = 400
    got = _evaluate(capsys, "--baseline", baseline, "--repeat", str(repeat))
    stored = _stored(engine, baseline)
    assert list(stored) == eval_workspace
    for scene_id, probs in zip(eval_workspace, expected, strict=True):
        assert len(stored[scene_id]) == repeat
        assert stored[scene_id][0] == pytest.approx(probs, abs=1e-15)
        assert all(p == stored[scene_id][0] for p in stored[scene_id])  # one distribution, many draws
    p_true = [probs[pos] for probs, (_, pos, _) in zip(expected, EVAL, strict=True)]
    assert (got["run"], got["endpoint"], got["mode"], got["scenes"], got["skipped"]) == (baseline, None, baseline, 4, 0)
    assert got["argmax_accuracy"] == argmax
    # expected accuracy = mean over scenes of p(true); 1,600 seeded draws land within 4 standard errors of it
    assert got["accuracy"] == pytest.approx(np.mean(p_true), abs=0.05)
    assert got["log_loss"] == pytest.approx(np.mean([-math.log(max(p, 1e-10)) for p in p_true]), rel=1e-12)


def test_behaviours_are_the_seeded_draws_and_a_rerun_resumes(engine, eval_workspace, capsys):
    first = _evaluate(capsys, "--baseline", "position", "--repeat", "3", "--seed", "9")
    with Session(engine) as s:
        rows = s.exec(select(EvalRow).order_by(EvalRow.id)).all()
        runs = len(s.exec(select(Run)).all())
    for row in rows:
        probs = np.frombuffer(row.probs, dtype=np.float64)
        expected = np.random.default_rng([9, row.scene_id, row.repeat]).choice(len(probs), p=probs)
        assert row.behavior == expected
    assert main(["evaluate", "--baseline", "position", "--repeat", "3", "--seed", "9"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("evaluation 'position': 0 rows scored, 0 scenes skipped (prompt too long), 0 failed")
    with Session(engine) as s:
        assert len(s.exec(select(EvalRow)).all()) == len(rows) == 12
        assert len(s.exec(select(Run)).all()) == runs + 1
    assert _evaluate(capsys, "--baseline", "position", "--repeat", "3", "--seed", "9") == first


def test_a_different_configuration_under_the_same_name_is_refused(engine, eval_workspace, capsys):
    _evaluate(capsys, "--baseline", "random", "--repeat", "2")
    assert main(["evaluate", "--baseline", "random", "--repeat", "3"]) == 2
    assert capsys.readouterr().err == (
        "error: evaluation run 'random' exists with another configuration (repeat=2); choose another --name\n"
    )
    with Session(engine) as s:
        assert len(s.exec(select(EvalRow)).all()) == 8


def test_counts_before_counts_strictly_earlier_events_of_each_item():
    items = np.array([5, 5, 5, 9, 9, 7])
    times = np.array([10, 20, 20, 5, 30, 10])
    got = counts_before(items, times, np.array([5, 5, 5, 5, 9, 9, 7, 8]), np.array([10, 11, 20, 21, 30, 31, 10, 99]))
    assert got.tolist() == [0, 1, 1, 3, 1, 2, 0, 0]
