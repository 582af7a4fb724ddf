"""Benchmark `evaluate` (issue 10): the direct mode against a bare AsyncOpenAI loop, the metrics, the Evaluate page.

1. direct mode, N eval scenes × 3 repeats, against the loopback fault server (a separate process, 100 ms latency) at
   concurrency 32: our full path (prompts, cached + logged client, letter distributions, seeded draws, rows stored,
   summary with bootstrap intervals) vs a bare AsyncOpenAI loop sending the same requests, in the same run; target
   >= 85 % of the bare loop's scenes per second. One call per scene in both (the repeats are draws).
2. metrics with bootstrap intervals (overall, per dataset, per option count) over 100,000 rows: target <= 3 s.
3. the Evaluate page (AppTest script run) over 20 runs of N scenes × 3 repeats: target <= 1.5 s.

    python -m bench.bench_eval            # 640 scenes, 10,000 metric rows, 20 runs of 640 scenes
    python -m bench.bench_eval --scale    # the issue's sizes: 6,400 scenes, 100,000 rows, 20 runs of 6,400
"""

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.data import eval_runs, workspace
from bench.fault import CONCURRENCY, LATENCY, start_server

REPEAT = 3


def _scenes(db: str) -> list[dict]:
    from sqlmodel import Session

    from storage.db import get_engine
    from storage.evaluations import eval_scenes

    with Session(get_engine(db)) as session:
        return eval_scenes(session=session, split="eval")


async def bare_loop(url: str, scenes: list[dict], model: str) -> float:
    """Scenes per second of the plain openai client sending the direct mode's requests at CONCURRENCY."""
    import openai

    from core.predict import LOGPROB_TOKENS, TOP_LOGPROBS
    from core.scene_prompts import SceneText, scene_prompt

    client = openai.AsyncOpenAI(base_url=url, api_key="none", max_retries=0, timeout=60)
    gate = asyncio.Semaphore(CONCURRENCY)
    params = {"logprobs": True, "top_logprobs": TOP_LOGPROBS, "max_tokens": LOGPROB_TOKENS, "temperature": 0.0}

    async def one(scene: dict) -> None:
        messages = scene_prompt(SceneText.from_row(scene), "direct", continue_final=False).messages
        async with gate:
            reply = await client.chat.completions.create(model=model, messages=messages, **params)
            assert reply.choices[0].logprobs is not None

    started = time.perf_counter()
    await asyncio.gather(*(one(s) for s in scenes))
    elapsed = time.perf_counter() - started
    await client.close()
    return len(scenes) / elapsed


def ours(db: str, url: str, model: str) -> tuple[float, dict]:
    """Scenes per second of `evaluate --mode direct --repeat 3` (a fresh model name: nothing cached)."""
    from core.evaluation.runs import evaluate
    from core.progress import SILENT
    from storage.db import get_engine
    from storage.models import Endpoint

    endpoint = Endpoint(name=model, base_url=url, model=model, concurrency=CONCURRENCY, timeout=60, retries=2)
    started = time.perf_counter()
    report = evaluate(engine=get_engine(db), endpoint=endpoint, mode="direct", repeat=REPEAT, progress=SILENT)
    elapsed = time.perf_counter() - started
    assert report.done == report.total and not report.failed, report.line()
    return report.summary["scenes"] / elapsed, report.summary


def bench_direct(tmp: Path, scenes: int) -> None:
    db = str(tmp / "direct.db")
    workspace(db, scenes=scenes * 10, rationales=0)  # every 10th scene is an eval scene
    rows = _scenes(db)
    server, url = start_server()
    try:
        asyncio.run(bare_loop(url, rows[:64], "warmup"))
        bare, mine = [], []
        for rnd in range(2):  # alternate, so drift on a shared machine hits both alike
            bare.append(asyncio.run(bare_loop(url, rows, f"bare{rnd}")))
            rate, summary = ours(db, url, f"ours{rnd}")
            mine.append(rate)
    finally:
        server.terminate()
        server.wait(timeout=10)
    b, o = statistics.mean(bare), statistics.mean(mine)
    where = f"concurrency {CONCURRENCY}, server latency {LATENCY * 1000:.0f} ms"
    print(f"direct mode: {len(rows):,} eval scenes x {REPEAT} repeats, {where}")
    print(f"  bare AsyncOpenAI loop : {b:7.1f} scenes/s  (rounds: {', '.join(f'{x:.1f}' for x in bare)})")
    print(f"  evaluate (full path)  : {o:7.1f} scenes/s  (rounds: {', '.join(f'{x:.1f}' for x in mine)})")
    print(f"  ratio                 : {o / b:7.1%}  (target >= 85%); accuracy {summary['accuracy']:.3f}")


def synthetic_frame(rows: int, *, repeat: int = REPEAT, seed: int = 0) -> pd.DataFrame:
    """eval_row_frame-shaped rows: scenes of 2-12 options over two datasets, Dirichlet distributions."""
    rng = np.random.default_rng(seed)
    n = -(-rows // repeat)
    count = rng.integers(2, 13, n)
    probs = [rng.dirichlet(np.ones(c)).tobytes() for c in count]
    scene = np.repeat(np.arange(1, n + 1), repeat)[:rows]
    c = count[scene - 1]
    return pd.DataFrame(
        {
            "scene_id": scene,
            "repeat": np.tile(np.arange(repeat), n)[:rows],
            "behavior": (rng.random(rows) * c).astype(np.int64),
            "probs": [probs[s - 1] for s in scene],
            "item_pos": (rng.random(n) * count).astype(np.int64)[scene - 1],
            "choice_cnt": c,
            "dataset": np.where(scene % 2 == 0, "bench-a", "bench-b"),
        }
    )


def bench_metrics(rows: int) -> None:
    from core.evaluation.summary import details, run_data, summarize

    frame = synthetic_frame(rows)
    skipped = pd.DataFrame({"dataset": [], "choice_cnt": []})
    times, cpu = [], []
    for _ in range(3):
        started, cpu_started = time.perf_counter(), time.process_time()
        data = run_data(frame)
        summary = summarize(data, skipped, run="bench", endpoint=None, mode="random")
        details(data)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    segments = 1 + len(summary["by_dataset"]) + len(summary["by_choice_cnt"])
    best, median = min(times), statistics.median(times)
    print(
        f"metrics: {rows:,} rows ({summary['scenes']:,} scenes), 5 metrics x {segments} segments with 1,000 bootstrap"
    )
    cpu_median = statistics.median(cpu)
    print(f"  resamples each: {best:.2f} s best, {median:.2f} s median (target <= 3 s); CPU {cpu_median:.2f} s")


def bench_page(tmp: Path, runs: int, scenes: int, repeats: int = 3) -> None:
    import logging

    from streamlit.testing.v1 import AppTest

    from storage.db import dispose_engines

    db = str(tmp / "page.db")
    started = time.perf_counter()
    eval_runs(db, runs=runs, scenes=scenes, repeat=REPEAT)
    print(f"page: built {runs} runs x {scenes:,} scenes x {REPEAT} repeats in {time.perf_counter() - started:.1f} s")
    dispose_engines()
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    os.environ["MIRROR_DB"] = db
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "frame.py"), default_timeout=300)
    at.run(timeout=300)
    at.switch_page("evaluate.py")
    times = []
    for _ in range(1 + repeats):
        started = time.perf_counter()
        at.run(timeout=300)
        times.append(time.perf_counter() - started)
        assert not at.exception, at.exception[0].value
    assert len(at.dataframe[0].value) == runs
    warm = statistics.median(times[1:])
    print(f"  Evaluate page script run: first {times[0]:.3f} s (imports, caches), warm {warm:.3f} s (target <= 1.5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="the issue's sizes (6,400 scenes, 100,000 rows)")
    parser.add_argument("--only", choices=("direct", "metrics", "page"), help="run one part")
    args = parser.parse_args()
    scenes = 6_400 if args.scale else 640
    rows = 100_000 if args.scale else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "direct"):
            bench_direct(Path(tmp), scenes)
        if args.only in (None, "metrics"):
            bench_metrics(rows)
        if args.only in (None, "page"):
            bench_page(Path(tmp), 20, scenes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB; load average (1, 5, 15 min) {os.getloadavg()}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
