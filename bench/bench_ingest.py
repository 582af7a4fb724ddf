"""Benchmark: ingest a synthetic unified dataset (CSV files) through the public API into a fresh SQLite file.

Default: 1,000 users, 800 items, 60,000 interactions (seconds). --scale: MovieLens-1M size, 6,040 users,
3,700 items, 1,000,000 timestamped interactions (issue 2 budget: <= 20 s, <= 2 GB peak RSS on 2 cores).
The timed part (read, validate, write) runs in a child process so its peak RSS is its own.

    python -m bench.bench_ingest [--scale] [--interactions N] [--keep DIR]
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
from bench.data import ratings, write_unified


def measure(root: str, db: str) -> None:
    """Child process: time ingest through the public API and print JSON figures."""
    from core.ingest import ingest
    from storage.db import get_engine

    engine = get_engine(db)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    report = ingest(engine=engine, name="bench", fmt="unified", path=root)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    figures = dict(users=report.users, items=report.items, interactions=report.interactions, seconds=seconds)
    print(json.dumps(figures | {"cpu_seconds": cpu, "peak_rss_mb": after.ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="MovieLens-1M size: 6,040 users, 3,700 items, 1M rows")
    parser.add_argument("--interactions", type=int, default=None, help="override the number of interactions")
    parser.add_argument("--keep", default=None, help="write the files (and the database) here and keep them")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(*args.child)
        return
    users, items, inter = (6_040, 3_700, 1_000_000) if args.scale else (1_000, 800, 60_000)
    inter = args.interactions or inter
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        data, db = root / "data", root / "bench.db"
        for path in root.glob("bench.db*"):
            path.unlink()
        t0 = time.perf_counter()
        write_unified(data, ratings(users=users, items=items, interactions=inter))
        print(f"generated {users:,} users, {items:,} items, {inter:,} interactions in {time.perf_counter() - t0:.1f} s")
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_ingest", "--child", str(data), str(db)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        fig = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"ingest: {fig['users']:,} users, {fig['items']:,} items, {fig['interactions']:,} interactions "
        f"in {fig['seconds']:.2f} s wall ({fig['cpu_seconds']:.2f} s CPU); peak RSS {fig['peak_rss_mb']:.0f} MB"
    )
    print(
        f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (the machine's 2 cores are shared)"
    )


if __name__ == "__main__":
    main()
