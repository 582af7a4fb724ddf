"""Benchmark: the rationale and prediction stages end to end (prompts, calls, parsing, bulk storage) vs a bare loop.

Against the loopback fault server (a separate process, fixed 100 ms latency) at concurrency 32:
  bare       = AsyncOpenAI chat.completions.create bounded by a semaphore, same number of calls;
  rationales = generate_rationales (prompt build, run_requests, parse, bulk insert of rationales + versions, run row);
  predict    = predict on those rationales (logprobs -> distribution, seeded behaviour, bulk upsert);
then both stages again after deleting their rows, answered from the cache. `--scale` = 1,000 scenes x 10 samples.

    python -m bench.bench_rationales [--scale] [--scenes K] [--n N]
"""

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

import openai

from bench.data import workspace
from bench.fault import CONCURRENCY, LATENCY, start_server
from core.predict import predict
from core.rationales import generate_rationales
from core.scene_prompts import SceneText, scene_prompt
from storage.db import get_engine
from storage.models import Endpoint


async def bare_loop(url: str, messages: list[list[dict]]) -> float:
    """calls/s of the plain openai client at CONCURRENCY over the given prompts."""
    client = openai.AsyncOpenAI(base_url=url, api_key="none", max_retries=0, timeout=60)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(msgs: list[dict]) -> None:
        async with gate:
            await client.chat.completions.create(model="bench", messages=msgs, max_tokens=64, temperature=1.0)

    started = time.perf_counter()
    await asyncio.gather(*(one(m) for m in messages))
    elapsed = time.perf_counter() - started
    await client.close()
    return len(messages) / elapsed


def timed(label: str, total: int, call) -> float:
    started = time.perf_counter()
    report = call()
    elapsed = time.perf_counter() - started
    assert report.done == total and report.failed == 0, report
    print(
        f"{label:<28}: {total:6d} items in {elapsed:6.2f} s = {total / elapsed:7.1f} items/s  ({report.cached} cached)"
    )
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="1,000 scenes x 10 samples = 10,000 items per stage")
    parser.add_argument("--scenes", type=int, help="scenes (default 40, scale 1000)")
    parser.add_argument("--n", type=int, default=10, help="rationales per scene (default 10)")
    args = parser.parse_args()
    scenes = args.scenes or (1000 if args.scale else 40)
    total = scenes * args.n

    server, url = start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "bench.db")
            workspace(db, scenes=scenes, rationales=0, options=(6, 6), history=8)  # scenes of 6 options, 8 entries
            engine = get_engine(db)
            endpoint = Endpoint(name="bench", base_url=url, model="bench", concurrency=CONCURRENCY, timeout=60)
            scene = [SceneText(profile=f"bare {i}", history=["h"], options=["a", "b"]) for i in range(total)]
            prompts = [scene_prompt(s, "rationale").messages for s in scene]
            asyncio.run(bare_loop(url, prompts[:64]))  # warm-up
            bare = asyncio.run(bare_loop(url, prompts))
            print(f"concurrency {CONCURRENCY}, server latency {LATENCY * 1000:.0f} ms, {scenes} scenes x {args.n}")
            print(f"{'bare AsyncOpenAI loop':<28}: {total:6d} calls            = {bare:7.1f} calls/s")
            gen = timed(
                "generate_rationales",
                total,
                lambda: generate_rationales(engine=engine, role="strong", endpoint=endpoint, n=args.n, max_tokens=64),
            )
            pred = timed("predict", total, lambda: predict(engine=engine, role="strong", endpoint=endpoint))
            with engine.connect() as conn:
                calls = conn.exec_driver_sql("SELECT COUNT(*) FROM llmcall WHERE stage = 'predict'").scalar_one()
            print(f"{'ratio rationales / bare':<28}: {gen / bare:7.1%}")
            print(f"predict made {calls} calls: identical prompts are asked once ({pred / bare:.0%})")
            with engine.begin() as conn:
                for table in ("prediction", "rationaleversion", "rationale"):
                    conn.exec_driver_sql(f"DELETE FROM {table}")
            timed(
                "generate_rationales cached",
                total,
                lambda: generate_rationales(engine=engine, role="strong", endpoint=endpoint, n=args.n, max_tokens=64),
            )
            timed("predict cached", total, lambda: predict(engine=engine, role="strong", endpoint=endpoint))
            engine.dispose()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
