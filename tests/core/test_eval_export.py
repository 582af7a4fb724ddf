"""export --format evalresults: one row per scene × repeat, exact fields, manifest, Parquet; dataset deletion."""

import hashlib
import json

import numpy as np
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlmodel import Session, select

from core.cli.main import main
from storage.datasets import delete_dataset
from storage.models import EvalRow, EvalRun
from tests.factories import make_dataset, make_scene

FIELDS = ["scene_id", "dataset", "user_id", "item_id", "timestamp", "choice_cnt", "item_pos", "repeat", "probs"]
FIELDS += ["behavior", "mode", "endpoint", "model"]


def _workspace(session) -> list[int]:
    ds = make_dataset(session)
    return [
        make_scene(session, dataset=ds, choice_cnt=c, item_pos=p, split="eval", timestamp=1_700_000_000 + k).id
        for k, (c, p) in enumerate([(3, 2), (2, 0)])
    ]


def test_evalresults_rows_and_manifest(engine, session, tmp_path, capsys):
    ids = _workspace(session)
    assert main(["evaluate", "--baseline", "random", "--name", "rand", "--repeat", "2", "--seed", "1"]) == 0
    out = tmp_path / "rand.jsonl"
    assert main(["export", "--format", "evalresults", "--run", "rand", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = []
    for scene_id, (n, pos, item) in zip(ids, [(3, 2, "i2"), (2, 0, "i0")], strict=True):
        for r in range(2):
            probs = [1 / n] * n
            behavior = int(np.random.default_rng([1, scene_id, r]).choice(n, p=probs))
            expected.append(
                {
                    "scene_id": scene_id,
                    "dataset": "toy",
                    "user_id": "u0",
                    "item_id": item,
                    "timestamp": 1_700_000_000 + ids.index(scene_id),
                    "choice_cnt": n,
                    "item_pos": pos,
                    "repeat": r,
                    "probs": probs,
                    "behavior": behavior,
                    "mode": "random",
                    "endpoint": None,
                    "model": None,
                }
            )
    assert rows == expected
    assert all(list(row) == FIELDS for row in rows)
    manifest = json.loads((tmp_path / "rand.jsonl.manifest.json").read_text())
    assert manifest["format"] == "evalresults" and manifest["run"] == "rand" and manifest["rows"] == 4
    assert manifest["run_config"] == {
        "mode": "random", "endpoint": None, "model": None, "dataset": None, "split": "eval", "repeat": 2, "seed": 1,
        "limit": None,
    }  # fmt: skip
    assert manifest["counts"] == [
        {"dataset": "toy", "choice_cnt": 2, "status": "pending", "rows": 2},
        {"dataset": "toy", "choice_cnt": 3, "status": "pending", "rows": 2},
    ]
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()

    parquet = tmp_path / "rand.parquet"
    assert main(["export", "--format", "evalresults", "--run", "rand", "--out", str(parquet), "--parquet"]) == 0
    assert pq.read_table(parquet).to_pylist() == expected


def test_deleting_a_dataset_drops_its_evaluation_rows_and_stales_the_summary(engine, session, capsys):
    _workspace(session)
    assert main(["evaluate", "--baseline", "position", "--repeat", "1"]) == 0
    with Session(engine) as s:
        assert s.exec(select(EvalRun)).one().summary is not None
    with engine.begin() as conn:
        delete_dataset(conn=conn, dataset_id=1)
    with Session(engine) as s:
        run = s.exec(select(EvalRun)).one()
        assert (run.name, run.summary) == ("position", None)
        assert s.exec(select(EvalRow)).all() == []
        assert s.execute(text("SELECT COUNT(*) FROM evalskip")).scalar_one() == 0
