"""Benchmark CLI start-up: `python -m core --help` and `status` over a workspace of N scenes, each in a fresh process.

    python -m bench.bench_cli            # status over 2,000 scenes
    python -m bench.bench_cli --scale    # status over 100,000 scenes x 2 roles x 10 rationales (the issue's size)

Targets (issue 15): `--help` <= 0.3 s CPU; `status` on 100,000 scenes <= 1 s wall at low load. Each command runs
`--repeats` times; the median wall and CPU (user + system of the child) are printed, beside a bare `python -c pass`
(the interpreter's own start-up on this machine) and the load average. `status` is timed twice: with the counts
snapshot that stage runs, `score` and imports leave behind, and cold (snapshot removed: every count scanned).
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT
from bench.data import finish, workspace


def run(args: list[str], repeats: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of `python *args` in a fresh process."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def build(path: str, n: int) -> None:
    """bench_app's workspace (scenes, 2 x 10 rationales and predictions, scores, a selection, reviews)."""
    started = time.perf_counter()
    workspace(path, scenes=n)
    finish(path)  # `score` stores the counts snapshot, as every stage run does when it finishes
    print(f"built {n:,} scenes in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="100,000 scenes (default 2,000)")
    parser.add_argument("--scenes", type=int, help="explicit scene count")
    parser.add_argument("--db", help="reuse/keep this database file (built when missing)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = args.scenes or (100_000 if args.scale else 2_000)
    tmp = tempfile.TemporaryDirectory()
    path = args.db or str(Path(tmp.name) / "bench.db")
    if not Path(path).exists():
        build(path, n)
    print(f"load average at start {os.getloadavg()}; {os.cpu_count()} CPUs")
    rows = [
        ("python -c pass (interpreter alone)", ["-c", "pass"]),
        ("python -m core --help", ["-m", "core", "--help"]),
        ("python -m core status (counts snapshot)", ["-m", "core", "--db", path, "status"]),
    ]
    figures = [(label, *run(cmd, args.repeats)) for label, cmd in rows]

    from storage.db import get_engine
    from storage.status import SNAPSHOT_KEY

    engine = get_engine(path)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM meta WHERE key = ?", (SNAPSHOT_KEY,))
    engine.dispose()
    figures.append(("python -m core status (cold: no snapshot)", *run(["-m", "core", "--db", path, "status"], 1)))
    with get_engine(path).begin() as conn:  # put the snapshot back for a reused --db
        from storage.status import refresh_counts

        refresh_counts(conn=conn)
    print(f"{'command':<46} {'wall s':>8} {'cpu s':>8}   (median of {args.repeats}; cold: one run)")
    for label, wall, cpu in figures:
        print(f"{label:<46} {wall:>8.3f} {cpu:>8.3f}")
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
