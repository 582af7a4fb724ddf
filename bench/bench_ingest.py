"""Benchmark: ingest a synthetic unified dataset (CSV files) through the public API into a fresh SQLite file.

Default: 1,000 users, 800 items, 60,000 interactions (seconds). --scale: MovieLens-1M size, 6,040 users,
3,700 items, 1,000,000 timestamped interactions (issue 2 budget: <= 20 s, <= 2 GB peak RSS on 2 cores).
The timed part (read, validate, write) runs in a child process so its peak RSS is its own.

    python bench/bench_ingest.py [--scale] [--interactions N] [--keep DIR]
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
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GENRES = np.array(["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi", "Thriller", "Documentary"])
AGES = np.array(["under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"])


def generate(root: Path, *, users: int, items: int, interactions: int, seed: int = 0) -> None:
    """users.csv, items.csv, interactions.csv in the unified form; popularity is Zipf-like, times span 3 years."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "user_id": [f"u{k}" for k in range(users)],
            "gender": rng.choice(["male", "female"], users),
            "age": rng.choice(AGES, users),
        }
    ).to_csv(root / "users.csv", index=False)
    years = rng.integers(1950, 2000, items)
    first, second = rng.choice(GENRES, items), rng.choice(GENRES, items)
    pd.DataFrame(
        {
            "item_id": [f"i{k}" for k in range(items)],
            "title": [f"Movie {k} ({y})" for k, y in zip(range(items), years, strict=True)],
            "year": years,
            "genre": np.char.add(np.char.add(first.astype(str), "|"), second.astype(str)),
        }
    ).to_csv(root / "items.csv", index=False)
    weights = 1.0 / np.arange(1, items + 1) ** 0.8
    user = rng.integers(0, users, interactions)
    item = rng.choice(items, interactions, p=weights / weights.sum())
    start = 946_684_800  # 2000-01-01
    pd.DataFrame(
        {
            "user_id": np.char.add("u", user.astype(str)),
            "item_id": np.char.add("i", item.astype(str)),
            "timestamp": np.sort(rng.integers(start, start + 3 * 365 * 86400, interactions)),
            "rating": rng.integers(1, 6, interactions),
        }
    ).to_csv(root / "interactions.csv", index=False)


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
        generate(data, users=users, items=items, interactions=inter)
        print(f"generated {users:,} users, {items:,} items, {inter:,} interactions in {time.perf_counter() - t0:.1f} s")
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(data), str(db)], check=True, capture_output=True, text=True
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
