"""Benchmark: many workers on one stage. One `rationales` worker, then two started together on a fresh database,
each at concurrency 16 against the loopback fault server (a separate process, 100 ms per answer); the server counts
every request body, so a request asked twice shows as a duplicate.

The rate is the run's own span (the workers' run rows: first start to last finish, process start-up excluded) over
the items stored. The workers' CPU per item leaves out their start-up: a third run of the same command on the
finished database (nothing left to do) measures what a worker spends before and after its work, and that is taken
off each worker's CPU. The machine's load average is printed beside every round (the figures mean little on a busy
machine); `--repeat R` runs R rounds and prints the spread. `--scale` = 400 scenes x 10 samples; `--db-url
postgresql+psycopg://...` runs on that server (its database is emptied first) instead of a temporary SQLite file.

    python -m bench.bench_workers [--scale] [--scenes K] [--n N] [--repeat R] [--db-url URL]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select, text

from bench.data import workspace
from bench.fault import LATENCY, ROOT, start_server
from storage.db import dispose_engines, get_engine
from storage.llm import add_endpoint
from storage.models import Endpoint, Run

CONCURRENCY = 16


def _empty(db: str) -> None:
    from sqlmodel import SQLModel

    engine = get_engine(db)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    dispose_engines()


def _cpu(procs: list[subprocess.Popen]) -> tuple[list[str], float]:
    """Wait for procs: their last output lines and the CPU seconds they used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    outputs = [proc.communicate(timeout=3600) for proc in procs]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, f"a worker failed (exit {proc.returncode}):\n{err[-3000:]}"
    lines = [out.strip().splitlines()[-1] for out, _ in outputs]
    return lines, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def _phase(db: str, workers: int, scenes: int, n: int) -> dict:
    """Fresh server and workspace; `workers` processes of one rationales command; their rate and the server's count;
    then one more worker with nothing left to do, whose CPU is a worker's start-up."""
    if db.startswith("postgresql"):
        _empty(db)
    server, url = start_server(LATENCY)
    try:
        workspace(db, scenes=scenes, rationales=0, options=(6, 6), history=8)
        engine = get_engine(db)
        from sqlmodel import Session

        with Session(engine) as session:
            endpoint = Endpoint(name="bench", base_url=url, model="bench", concurrency=CONCURRENCY, timeout=60)
            add_endpoint(session=session, endpoint=endpoint)
            session.commit()
        command = [sys.executable, "-m", "core", "--db", db, "rationales", "--role", "strong", "--endpoint", "bench"]
        command += ["--n", str(n), "--max-tokens", "64"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}

        def start() -> subprocess.Popen:
            pipe = subprocess.PIPE
            return subprocess.Popen(command, cwd=ROOT, env=env, stdout=pipe, stderr=pipe, text=True)

        load = os.getloadavg()[0]
        lines, cpu_seconds = _cpu([start() for _ in range(workers)])
        load = max(load, os.getloadavg()[0])
        with engine.connect() as conn:  # these runs only: the baseline run below is not part of the span
            runs = conn.execute(select(Run.started_at, Run.finished_at).where(Run.kind == "rationales")).all()
        assert len(runs) == workers, runs
        idle_lines, startup = _cpu([start()])
        assert " 0 done" in idle_lines[0], idle_lines  # the baseline run found nothing to do
        with urllib.request.urlopen(url + "/stats", timeout=10) as reply:
            stats = json.load(reply)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT COUNT(*) FROM rationale")).scalar_one()
            distinct = conn.execute(text("SELECT COUNT(DISTINCT scene_id || ':' || sample_index) FROM rationale"))
            distinct = distinct.scalar_one()
        dispose_engines()
    finally:
        server.terminate()
        server.wait(timeout=10)
    span = (max(r.finished_at for r in runs) - min(r.started_at for r in runs)).total_seconds()
    got = {"items": stored, "distinct": distinct, "span": span, "rate": stored / span, "stats": stats, "lines": lines}
    return got | {"cpu": cpu_seconds, "cpu_item": (cpu_seconds - workers * startup) / stored, "load": load}


def _round(args, scenes: int) -> float:
    """One round: one worker, then two; prints both and returns the ratio of their rates."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            db = args.db_url or str(Path(tmp) / f"workers{workers}.db")
            started = time.perf_counter()
            got = _phase(db, workers, scenes, args.n)
            results[workers] = got
            stats = got["stats"]
            print(
                f"{workers} worker(s): {got['items']} items in {got['span']:.2f} s = {got['rate']:.1f} items/s; "
                f"server: {stats['requests']} requests, {stats['duplicates']} duplicates; "
                f"{time.perf_counter() - started:.1f} s wall with start-up; workers' CPU {got['cpu']:.1f} s, "
                f"{got['cpu_item'] * 1000:.2f} ms per item without start-up; load {got['load']:.1f}"
            )
            for line in got["lines"]:
                print(f"  {line}")
            assert got["items"] == got["distinct"] == stats["requests"] and stats["duplicates"] == 0, got
    ratio = results[2]["rate"] / results[1]["rate"]
    print(f"two workers / one: {ratio:.2f}x (target >= 1.7x)")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="400 scenes x 10 samples")
    parser.add_argument("--scenes", type=int, help="scenes (default 60, scale 400; every 10th is an eval scene)")
    parser.add_argument("--n", type=int, default=10, help="rationales per scene (default 10)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of one worker then two (default 1)")
    parser.add_argument("--db-url", help="a PostgreSQL URL to run on (emptied first) instead of a SQLite file")
    args = parser.parse_args()
    scenes = args.scenes or (400 if args.scale else 60)
    print(f"rationales, concurrency {CONCURRENCY} per worker, server latency {LATENCY * 1000:.0f} ms")
    ratios = [_round(args, scenes) for _ in range(max(1, args.repeat))]
    if len(ratios) > 1:
        print(f"{len(ratios)} rounds: two workers / one {min(ratios):.2f}x to {max(ratios):.2f}x, median ", end="")
        print(f"{sorted(ratios)[len(ratios) // 2]:.2f}x")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
