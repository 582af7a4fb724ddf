"""Benchmark: `import --format usermirrorer` of a generated reference working directory.

    python -m bench.bench_import [--scale] [--scenes N] [--dir DIR [--reuse]]

Small by default (2,000 scenes); --scale = 100,000 scenes x 2 roles x 10 decisions with probabilities
(target: <= 60 s and <= 2 GB peak RSS). The directory is written first (not timed), then the import runs in a
fresh child process so its peak RSS is its own.
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
from bench.data import reference_workdir

NAME = "bench"


def run_import(root: str, db: str) -> None:
    """Child process: the timed import; prints one JSON line."""
    from core.importers import import_usermirrorer
    from storage.db import get_engine

    engine = get_engine(db)
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    report = import_usermirrorer(engine=engine, name=NAME, path=root)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    load_end = os.getloadavg()[0]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT COUNT(*) FROM rationaleversion").scalar_one()
    again = time.perf_counter()
    repeat = import_usermirrorer(engine=engine, name=NAME, path=root)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest parse worker
    print(
        json.dumps(
            {
                "import_s": round(seconds, 1),
                "cpu_s_main": round(cpu, 1),
                "cpu_s_workers": round(children.ru_utime + children.ru_stime, 1),
                "cpu_s_total": round(cpu + children.ru_utime + children.ru_stime, 1),
                "load_avg_1min_at_start": round(load, 1),
                "load_avg_1min_at_end": round(load_end, 1),
                "rationaleversion_rows": versions,
                "totals": report.totals,
                "peak_rss_mb": round(rss),
                "peak_rss_mb_largest_worker": round(workers_rss),
                "reimport_s": round(time.perf_counter() - again, 1),
                "reimport_noop": repeat.already_imported,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true", help="100,000 scenes x 2 roles x 10 decisions")
    parser.add_argument("--scenes", type=int, default=2_000, help="scenes when not --scale")
    parser.add_argument("--n", type=int, default=10, help="decisions per scene and role")
    parser.add_argument("--dir", help="working directory to write (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="keep DIR/work if it was written before (with --dir)")
    parser.add_argument("--run-import", nargs=2, metavar=("DIR", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_import:
        run_import(*args.run_import)
        return
    scenes = 100_000 if args.scale else args.scenes
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        root = Path(args.dir or tmp) / "work"
        t0 = time.perf_counter()
        if args.reuse and args.dir and (root / "datasets" / f"{NAME}_train.jsonl").is_file():
            size = sum(p.stat().st_size for p in root.rglob("*.jsonl"))
            print(f"reusing {root} ({size / 1e6:.0f} MB)")
        else:
            size = reference_workdir(root, name=NAME, scenes=scenes, n=args.n)
            print(
                f"wrote {scenes} scenes x 2 roles x {args.n} decisions ({size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - t0:.1f} s"
            )
        db = str(Path(tmp) / "bench.db")
        command = [sys.executable, "-m", "bench.bench_import", "--run-import", str(root), db]
        out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            sys.exit(out.stderr)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(figures, indent=1))
        print(f"database: {Path(db).stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
