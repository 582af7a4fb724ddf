"""Benchmark: score + select over N scenes x 2 roles x 10 rationales, then export 10,000 DPO rows.

Data is generated straight into a fresh SQLite file with bulk inserts; the measured part runs in a child process
so its peak RSS is its own. Default: 2,000 scenes (seconds). --scale: 100,000 scenes = 2,000,000 predictions
(issue 4 budget: score + select <= 10 s and <= 2 GB peak RSS; exporting 10,000 DPO rows <= 5 s).
Wall and CPU seconds are both printed, with the load average: on a shared machine wall time includes waiting.

    python bench/bench_score.py [--scale] [--scenes N] [--keep PATH]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = "2026-01-01 00:00:00.000000"
ROLES = ("strong", "weak")


def generate(db: str, *, scenes: int, n: int = 10, chunk: int = 10_000, seed: int = 0) -> None:
    """Two datasets, exposure lengths 2..12, Dirichlet distributions, seeded sampled behaviours."""
    from storage.db import get_engine

    engine = get_engine(db)
    rng = np.random.default_rng(seed)
    n_items = 2_000
    with engine.begin() as conn:
        for d, name in enumerate(("bench-a", "bench-b"), start=1):
            conn.exec_driver_sql(
                "INSERT INTO dataset (id, name, format, created_at) VALUES (?, ?, 'unified', ?)", (d, name, NOW)
            )
            conn.exec_driver_sql(
                "INSERT INTO user (id, dataset_id, external_id) VALUES (?, ?, ?)",
                [((d - 1) * 1000 + u + 1, d, f"u{u}") for u in range(1000)],
            )
            conn.exec_driver_sql(
                "INSERT INTO item (id, dataset_id, external_id, title) VALUES (?, ?, ?, ?)",
                [((d - 1) * n_items + i + 1, d, f"i{i}", f"Item {i}") for i in range(n_items)],
            )
    rat_id = 0
    for lo in range(0, scenes, chunk):
        ids = np.arange(lo, min(lo + chunk, scenes)) + 1
        m = len(ids)
        ds = rng.integers(1, 3, m)
        cnt = rng.integers(2, 13, m)
        pos = (rng.random(m) * cnt).astype(np.int64)
        scene_rows, rat_rows, pred_rows = [], [], []
        for k in range(m):
            c, p, dset = int(cnt[k]), int(pos[k]), int(ds[k])
            items = [int(x) for x in (dset - 1) * n_items + 1 + rng.choice(n_items, c, replace=False)]
            scene_rows.append(
                (
                    int(ids[k]),
                    dset,
                    (dset - 1) * 1000 + int(rng.integers(1000)) + 1,
                    items[p],
                    1_700_000_000 + int(ids[k]),
                    "train",
                    "A bench user.",
                    "[]",
                    "[]",
                    json.dumps(items),
                    json.dumps([f"Item {x}" for x in items]),
                    json.dumps(["random"] * c),
                    p,
                    c,
                    NOW,
                )
            )
            for r, role in enumerate(ROLES):
                alpha = np.full(c, 0.5)
                alpha[p] += 3.0 if r == 0 else 0.5
                probs = rng.dirichlet(alpha, n)
                behav = (probs.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1).clip(0, c - 1)
                for j in range(n):
                    rat_id += 1
                    text = f"{role} rationale {j} for scene {ids[k]}: I liked it.\nBehavior: [{chr(65 + behav[j])}]"
                    rat_rows.append((rat_id, int(ids[k]), role, j, text, chr(65 + behav[j]), NOW, NOW))
                    pred_rows.append((rat_id, int(ids[k]), role, probs[j].tobytes(), int(behav[j]), NOW))
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO scene (id, dataset_id, user_id, item_id, timestamp, split, profile, history, "
                "history_item_ids, exposure_item_ids, options, option_sources, item_pos, choice_cnt, source, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'native', ?)",
                scene_rows,
            )
            conn.exec_driver_sql(
                "INSERT INTO rationale (id, scene_id, role, sample_index, text, version, behavior, problems, source, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, '[]', 'native', ?, ?)",
                rat_rows,
            )
            conn.exec_driver_sql(
                "INSERT INTO prediction (rationale_id, scene_id, role, rationale_version, probs, estimated, "
                "behavior_index, created_at) VALUES (?, ?, ?, 1, ?, 0, ?, ?)",
                pred_rows,
            )


def measure(db: str, export_rows: int) -> dict:
    """Time score, select and a DPO export in this (fresh) process; peak RSS of score + select."""
    from core.export import export
    from core.scoring import score
    from core.selection import SelectionConfig, save_selection
    from storage.db import get_engine

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    engine = get_engine(db)
    t0, c0 = time.perf_counter(), cpu()
    report = score(engine=engine)
    t1, c1 = time.perf_counter(), cpu()
    sel = save_selection(engine=engine, config=SelectionConfig(name="bench", target=export_rows), replace=True)
    t2, c2 = time.perf_counter(), cpu()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = Path(db).with_suffix(".dpo.jsonl")
    t3, c3 = time.perf_counter(), cpu()
    result = export(engine=engine, fmt="dpo", out=out, selection="bench", status="any")
    t4, c4 = time.perf_counter(), cpu()
    return {
        "predictions": report.predictions,
        "scored": report.scored,
        "score_s": round(t1 - t0, 2),
        "score_cpu_s": round(c1 - c0, 2),
        "select_s": round(t2 - t1, 2),
        "score_plus_select_s": round(t2 - t0, 2),
        "score_plus_select_cpu_s": round(c2 - c0, 2),
        "kept": len(sel.kept),
        "drops": sel.drops,
        "peak_rss_mb_score_select": round(rss_mb),
        "export_rows": result.rows,
        "export_s": round(t4 - t3, 2),
        "export_cpu_s": round(c4 - c3, 2),
        "load_average_1min": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true", help="100,000 scenes (2,000,000 predictions)")
    parser.add_argument("--scenes", type=int, help="number of scenes (overrides --scale)")
    parser.add_argument("--keep", help="database path to create and keep (default: a temp file)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--export-rows", type=int, default=10_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.export_rows)))
        return
    scenes = args.scenes or (100_000 if args.scale else 2_000)
    tmp = tempfile.TemporaryDirectory()
    db = args.keep or str(Path(tmp.name) / "bench.db")
    t0 = time.perf_counter()
    generate(db, scenes=scenes)
    print(f"generated {scenes} scenes x 2 roles x 10 rationales in {time.perf_counter() - t0:.1f} s", flush=True)
    export_rows = min(args.export_rows, scenes // 4)
    child = subprocess.run(
        [sys.executable, __file__, "--measure", db, "--export-rows", str(export_rows)],
        capture_output=True,
        text=True,
    )
    if child.returncode:
        sys.exit(f"measuring failed (exit {child.returncode}):\n{child.stderr}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    for key, value in figures.items():
        print(f"{key:>26}: {value}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
