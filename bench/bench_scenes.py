"""Benchmark: build scenes with all four scorers on a synthetic dataset bulk-inserted into a fresh SQLite file.

Default: 600 users, 400 items, 60,000 interactions, 1,000 scenes (seconds). --scale: MovieLens-1M size, 6,040 users,
3,700 items, 1,000,000 timestamped interactions, 10,000 scenes (issue 2 budget: <= 30 s, <= 2 GB peak RSS on
2 cores). Data generation is not timed; build_scenes runs in a child process so its peak RSS is its own.

    python -m bench.bench_scenes [--scale] [--scenes N] [--scorers random,...] [--prompt-style S] [--keep DIR]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT
from bench.data import insert_ratings, ratings


def child(db: str, scenes: int, scorers: str, style: str) -> None:
    """The timed build in its own process; prints one JSON line."""
    from core.scenes import build_scenes
    from storage.db import get_engine

    start = time.perf_counter()
    report = build_scenes(
        engine=get_engine(db), dataset="bench", count=scenes, seed=0, scorers=scorers.split(","), prompt_style=style
    )
    total = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"created": report.created, "seconds": total, "timings": report.timings, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="MovieLens-1M size and 10,000 scenes")
    parser.add_argument("--scenes", type=int, help="scenes to build (default 1,000, or 10,000 with --scale)")
    parser.add_argument("--scorers", default="random,popularity,collaborative,content", help="scorers to use")
    parser.add_argument("--keep", help="directory for the database (kept afterwards)")
    parser.add_argument("--prompt-style", default="reference", help="scene text: reference (default) or studio")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2], args.child[3])
        return
    users, items, interactions = (6_040, 3_700, 1_000_000) if args.scale else (600, 400, 60_000)
    scenes = args.scenes or (10_000 if args.scale else 1_000)
    root = Path(args.keep or tempfile.mkdtemp(prefix="bench_scenes_"))
    root.mkdir(parents=True, exist_ok=True)
    db = str(root / "bench.db")
    Path(db).unlink(missing_ok=True)
    start = time.perf_counter()
    insert_ratings(db, ratings(users=users, items=items, interactions=interactions))
    print(f"generated {users:,} users, {items:,} items, {interactions:,} interactions in "
          f"{time.perf_counter() - start:.1f} s (not timed)")  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_scenes", "--child", db, str(scenes), args.scorers, args.prompt_style],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for phase, seconds in result["timings"].items():
        print(f"  {phase:<16} {seconds:7.2f} s")
    print(f"built {result['created']:,} {args.prompt_style} scenes ({args.scorers}) in {result['seconds']:.2f} s; "
          f"peak RSS {result['peak_mb']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
