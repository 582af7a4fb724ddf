"""Benchmark: build scenes with all four scorers on a synthetic dataset bulk-inserted into a fresh SQLite file.

Default: 600 users, 400 items, 60,000 interactions, 1,000 scenes (seconds). --scale: MovieLens-1M size, 6,040 users,
3,700 items, 1,000,000 timestamped interactions, 10,000 scenes (issue 2 budget: <= 30 s, <= 2 GB peak RSS on
2 cores). Data generation is not timed; build_scenes runs in a child process so its peak RSS is its own.

    python bench/bench_scenes.py [--scale] [--scenes N] [--scorers random,popularity,...] [--keep DIR]
"""

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi", "Thriller", "Documentary", "War", "Western"]
AGES = ["under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"]
WORDS = ["night", "river", "city", "love", "war", "dream", "ghost", "king", "summer", "blood", "star", "road"]
START = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
SPAN = 3 * 365 * 86_400


def generate(db: str, *, users: int, items: int, interactions: int, seed: int = 0) -> None:
    """A MovieLens-like dataset straight into the tables: Zipf popularity, unique user-item pairs, 3 years of time."""
    from storage.db import dispose_engines, get_engine

    get_engine(db)
    dispose_engines()
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, items + 1) ** 0.9
    popularity /= popularity.sum()
    activity = rng.pareto(1.2, users) + 1.0
    activity /= activity.sum()
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < interactions:
        need = int((interactions - len(keys)) * 1.3) + 1000
        pairs = rng.choice(users, need, p=activity).astype(np.int64) * items + rng.choice(items, need, p=popularity)
        keys = np.unique(np.concatenate([keys, pairs]))
    keys = rng.permutation(keys)[:interactions]
    user, item = keys // items, keys % items
    stamps = START + rng.integers(0, SPAN, interactions)
    years = rng.integers(1930, 2003, items)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("INSERT INTO dataset (name, format, templates, options, created_at) VALUES (?, ?, ?, ?, ?)",
                ("bench", "movielens", None, "{}", datetime.now(UTC).isoformat()))  # fmt: skip
    ds = con.execute("SELECT id FROM dataset WHERE name = 'bench'").fetchone()[0]
    con.executemany(
        "INSERT INTO user (id, dataset_id, external_id, features) VALUES (?, ?, ?, ?)",
        (
            (u + 1, ds, str(u), json.dumps({"gender": ["female", "male"][u % 2], "age": AGES[u % 7]}))
            for u in range(users)
        ),
    )
    con.executemany(
        "INSERT INTO item (id, dataset_id, external_id, title, release_ts, features) VALUES (?, ?, ?, ?, ?, ?)",
        (
            (i + 1, ds, str(i), f"The {WORDS[i % 12]} {WORDS[(i // 12) % 12]} {i} ({years[i]})",
             int(datetime(int(years[i]), 1, 1, tzinfo=UTC).timestamp()),
             json.dumps({"genres": [GENRES[i % 10], GENRES[(i * 7) % 10]], "year": int(years[i])}))
            for i in range(items)
        ),
    )  # fmt: skip
    ratings = rng.integers(1, 6, interactions)
    con.executemany(
        "INSERT INTO interaction (dataset_id, user_id, item_id, timestamp, features, impressions) "
        "VALUES (?, ?, ?, ?, ?, NULL)",
        (
            (ds, int(u) + 1, int(i) + 1, int(t), f'{{"rating": {r}}}')
            for u, i, t, r in zip(user, item, stamps, ratings, strict=True)
        ),
    )
    con.commit()
    con.close()


def child(db: str, scenes: int, scorers: str) -> None:
    """The timed build in its own process; prints one JSON line."""
    from core.scenes import build_scenes
    from storage.db import get_engine

    start = time.perf_counter()
    report = build_scenes(engine=get_engine(db), dataset="bench", count=scenes, seed=0, scorers=scorers.split(","))
    total = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"created": report.created, "seconds": total, "timings": report.timings, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="MovieLens-1M size and 10,000 scenes")
    parser.add_argument("--scenes", type=int, help="scenes to build (default 1,000, or 10,000 with --scale)")
    parser.add_argument("--scorers", default="random,popularity,collaborative,content", help="scorers to use")
    parser.add_argument("--keep", help="directory for the database (kept afterwards)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return
    users, items, interactions = (6_040, 3_700, 1_000_000) if args.scale else (600, 400, 60_000)
    scenes = args.scenes or (10_000 if args.scale else 1_000)
    root = Path(args.keep or tempfile.mkdtemp(prefix="bench_scenes_"))
    root.mkdir(parents=True, exist_ok=True)
    db = str(root / "bench.db")
    Path(db).unlink(missing_ok=True)
    start = time.perf_counter()
    generate(db, users=users, items=items, interactions=interactions)
    print(f"generated {users:,} users, {items:,} items, {interactions:,} interactions in "
          f"{time.perf_counter() - start:.1f} s (not timed)")  # fmt: skip
    out = subprocess.run(
        [sys.executable, __file__, "--child", db, str(scenes), args.scorers], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for phase, seconds in result["timings"].items():
        print(f"  {phase:<16} {seconds:7.2f} s")
    print(f"built {result['created']:,} scenes ({args.scorers}) in {result['seconds']:.2f} s; "
          f"peak RSS {result['peak_mb']:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
