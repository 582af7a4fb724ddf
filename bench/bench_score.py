"""Benchmark: score + select over N scenes x 2 roles x 10 rationales, then export 10,000 DPO rows.

Data is generated straight into a fresh SQLite file with bulk inserts; the measured part runs in a child process
so its peak RSS is its own. Default: 2,000 scenes (seconds). --scale: 100,000 scenes = 2,000,000 predictions
(issue 4 budget: score + select <= 10 s and <= 2 GB peak RSS; exporting 10,000 DPO rows <= 5 s).
Wall and CPU seconds are both printed, with the load average: on a shared machine wall time includes waiting.

    python -m bench.bench_score [--scale] [--scenes N] [--keep PATH]
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

from bench import ROOT
from bench.data import workspace


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
    out = Path(tempfile.mkdtemp()) / "bench.dpo.jsonl"  # db may be a server URL
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
    workspace(db, scenes=scenes)
    print(f"generated {scenes} scenes x 2 roles x 10 rationales in {time.perf_counter() - t0:.1f} s", flush=True)
    export_rows = min(args.export_rows, scenes // 4)
    child = subprocess.run(
        [sys.executable, "-m", "bench.bench_score", "--measure", db, "--export-rows", str(export_rows)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if child.returncode:
        sys.exit(f"measuring failed (exit {child.returncode}):\n{child.stderr}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    for key, value in figures.items():
        print(f"{key:>26}: {value}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
