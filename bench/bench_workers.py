"""Benchmark: many workers on one stage. One `rationales` worker, then two started together on a fresh database,
each at concurrency 16 against the loopback fault server (a separate process, 100 ms per answer); the server counts
every request body, so a request asked twice shows as a duplicate.

The rate is the run's own span (the workers' run rows: first start to last finish, process start-up excluded) over
the items stored. `--scale` = 400 scenes x 10 samples; `--db-url postgresql+psycopg://...` runs on that server
(its database is emptied first) instead of a temporary SQLite file.

    python -m bench.bench_workers [--scale] [--scenes K] [--n N] [--db-url URL]
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


def _phase(db: str, workers: int, scenes: int, n: int) -> dict:
    """Fresh server and workspace; `workers` processes of one rationales command; their rate and the server's count."""
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
        procs = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for _ in range(workers)
        ]
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        lines = [proc.communicate(timeout=3600)[0].strip().splitlines()[-1] for proc in procs]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        assert all(proc.returncode == 0 for proc in procs), lines
        with urllib.request.urlopen(url + "/stats", timeout=10) as reply:
            stats = json.load(reply)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT COUNT(*) FROM rationale")).scalar_one()
            distinct = conn.execute(text("SELECT COUNT(DISTINCT scene_id || ':' || sample_index) FROM rationale"))
            distinct = distinct.scalar_one()
            runs = conn.execute(select(Run.started_at, Run.finished_at).where(Run.kind == "rationales")).all()
        dispose_engines()
    finally:
        server.terminate()
        server.wait(timeout=10)
    span = (max(r.finished_at for r in runs) - min(r.started_at for r in runs)).total_seconds()
    got = {"items": stored, "distinct": distinct, "span": span, "rate": stored / span, "stats": stats, "lines": lines}
    return got | {"cpu": cpu_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="400 scenes x 10 samples")
    parser.add_argument("--scenes", type=int, help="scenes (default 60, scale 400; every 10th is an eval scene)")
    parser.add_argument("--n", type=int, default=10, help="rationales per scene (default 10)")
    parser.add_argument("--db-url", help="a PostgreSQL URL to run on (emptied first) instead of a SQLite file")
    args = parser.parse_args()
    scenes = args.scenes or (400 if args.scale else 60)
    print(f"rationales, concurrency {CONCURRENCY} per worker, server latency {LATENCY * 1000:.0f} ms")
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
                f"server: {stats['requests']} requests, {stats['duplicates']} duplicates "
                f"({time.perf_counter() - started:.1f} s wall with start-up, workers' CPU {got['cpu']:.1f} s)"
            )
            for line in got["lines"]:
                print(f"  {line}")
            assert got["items"] == got["distinct"] == stats["requests"] and stats["duplicates"] == 0, got
    print(f"two workers / one: {results[2]['rate'] / results[1]['rate']:.2f}x (target >= 1.7x)")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
