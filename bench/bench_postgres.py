"""Benchmark: the same ingest and score + select on SQLite and on PostgreSQL (loopback) in one run.

Default: 60,000 interactions and 2,000 scenes (seconds). --scale: 1,000,000 interactions (6,040 users, 3,700 items)
and 100,000 scenes x 2 roles x 10 rationales = 2,000,000 distributions (issue 13 budget: PostgreSQL <= 2x the SQLite
time of the same run, for both). PostgreSQL is a throwaway cluster on loopback (initdb into a temp dir as a non-root
user, as the tests start it, durability off) unless --pg names an empty database. Each measured part runs in a child
process (bench.bench_ingest --child, bench.bench_score --measure), so client CPU seconds are its own; the server's
CPU is not in them, the wall time is the figure to compare.

    python -m bench.bench_postgres [--scale] [--pg URL]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT
from bench.data import ratings, workspace, write_unified


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(f"{args[0]} failed (exit {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(databases: dict[str, dict[str, str]], root: Path, *, interactions: int, scenes: int) -> dict[str, dict]:
    """Ingest and score + select on each backend's databases; figures per backend."""
    users, items = (6_040, 3_700) if interactions >= 1_000_000 else (1_000, 800)
    t0 = time.perf_counter()
    write_unified(root / "data", ratings(users=users, items=items, interactions=interactions))
    print(
        f"generated {users:,} users, {items:,} items, {interactions:,} interactions in {time.perf_counter() - t0:.1f} s"
    )
    figures: dict[str, dict] = {}
    for backend, db in databases.items():
        ingest = _child("bench.bench_ingest", "--child", str(root / "data"), db["ingest"])
        print(f"{backend}: ingest {ingest['seconds']:.2f} s", flush=True)
        t0 = time.perf_counter()
        workspace(db["score"], scenes=scenes)
        print(f"{backend}: generated {scenes:,} scenes x 2 x 10 in {time.perf_counter() - t0:.1f} s", flush=True)
        score = _child("bench.bench_score", "--measure", db["score"], "--export-rows", str(scenes // 4))
        print(f"{backend}: score + select {score['score_plus_select_s']:.2f} s", flush=True)
        figures[backend] = {"ingest": ingest, "score": score}
    return figures


def report(figures: dict[str, dict]) -> None:
    """One line per measure: SQLite, PostgreSQL, their ratio."""
    lite, pg = figures["sqlite"], figures["postgresql"]
    rows = [
        ("ingest", lite["ingest"]["seconds"], pg["ingest"]["seconds"]),
        ("score", lite["score"]["score_s"], pg["score"]["score_s"]),
        ("select", lite["score"]["select_s"], pg["score"]["select_s"]),
        ("score + select", lite["score"]["score_plus_select_s"], pg["score"]["score_plus_select_s"]),
        ("DPO export", lite["score"]["export_s"], pg["score"]["export_s"]),
    ]
    print(f"\n{'measure':<16}{'SQLite s':>10}{'PostgreSQL s':>14}{'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:<16}{a:>10.2f}{b:>14.2f}{b / a if a else float('nan'):>8.2f}")
    print(f"predictions scored: {pg['score']['predictions']:,}; interactions: {pg['ingest']['interactions']:,}")
    rss = (lite["ingest"]["peak_rss_mb"], pg["ingest"]["peak_rss_mb"])
    print(f"client peak RSS, SQLite / PostgreSQL: ingest {rss[0]:.0f} / {rss[1]:.0f} MB, ", end="")
    print(f"score + select {lite['score']['peak_rss_mb_score_select']} / {pg['score']['peak_rss_mb_score_select']} MB")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 shared cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true", help="1,000,000 interactions and 2,000,000 distributions")
    parser.add_argument("--pg", help="postgresql+psycopg:// URL of an empty database (default: a throwaway cluster)")
    args = parser.parse_args()
    interactions, scenes = (1_000_000, 100_000) if args.scale else (60_000, 2_000)
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.pg:
            pg = {"ingest": args.pg, "score": args.pg}  # the score data lives in other datasets of the same database
        else:
            from tests.pg_cluster import PgCluster, find_bindir

            bindir = find_bindir()
            if bindir is None:
                sys.exit("PostgreSQL is not installed (apt-get install postgresql) and no --pg URL was given")
            cluster = PgCluster(bindir).start()
            pg = {"ingest": cluster.create_database("bench_ingest"), "score": cluster.create_database("bench_score")}
        try:
            lite = {"ingest": str(root / "ingest.db"), "score": str(root / "score.db")}
            figures = run({"sqlite": lite, "postgresql": pg}, root, interactions=interactions, scenes=scenes)
        finally:
            if cluster is not None:
                cluster.stop()
    report(figures)


if __name__ == "__main__":
    main()
