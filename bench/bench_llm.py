"""Benchmark: our full LLM path vs a bare AsyncOpenAI loop, and a fully cached rerun.

Against the loopback fault server (a separate process, fixed 100 ms latency) at concurrency 32:
  bare   = AsyncOpenAI chat.completions.create in an asyncio loop bounded by a semaphore;
  ours   = run_requests: client + per-attempt call log + cache + results stored via on_results into the DB.
Then every item is rerun from the cache (no call). `--scale` = the issue's sizes (10,000 cached items).

    python -m bench.bench_llm [--scale] [--calls N] [--cached N]
"""

import argparse
import asyncio
import json
import resource
import tempfile
import time
from pathlib import Path

import openai

from bench.fault import CONCURRENCY, LATENCY, start_server
from core.llm.client import LlmRequest, run_requests
from storage.db import get_engine
from storage.models import Endpoint


def messages(tag: str, i: int) -> list[dict]:
    return [{"role": "system", "content": "Pick one option."}, {"role": "user", "content": f"{tag} scene {i}"}]


PARAMS = {"max_tokens": 1, "logprobs": True, "top_logprobs": 5, "temperature": 0}


async def bare_loop(url: str, n: int, tag: str, raw: bool = False) -> float:
    """calls/s of the plain openai client at CONCURRENCY (raw: JSON read without building pydantic models)."""
    client = openai.AsyncOpenAI(base_url=url, api_key="none", max_retries=0, timeout=60)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with gate:
            if raw:
                reply = await client.chat.completions.with_raw_response.create(
                    model="bench", messages=messages(tag, i), **PARAMS
                )
                assert reply.http_response.json()["choices"][0]["message"]["content"] == "B"
            else:
                reply = await client.chat.completions.create(model="bench", messages=messages(tag, i), **PARAMS)
                assert reply.choices[0].message.content == "B"

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - started
    await client.close()
    return n / elapsed


def our_path(engine, url: str, n: int, tag: str) -> tuple[float, list]:
    """calls/s of run_requests with results persisted by on_results; also returns the results."""
    endpoint = Endpoint(name="bench", base_url=url, model="bench", concurrency=CONCURRENCY, timeout=60, retries=2)
    requests = [LlmRequest(item_key=f"{tag}:{i}", messages=messages(tag, i), params=PARAMS) for i in range(n)]

    def store(batch) -> None:
        rows = [(r.item_key, r.content, json.dumps(r.logprobs)) for r in batch]
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO bench_result VALUES (?, ?, ?)", rows)

    started = time.perf_counter()
    results = run_requests(engine=engine, endpoint=endpoint, requests=requests, on_results=store)
    elapsed = time.perf_counter() - started
    assert all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    return n / elapsed, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="issue sizes: 3,000 calls per path, 10,000 cached")
    parser.add_argument("--calls", type=int, help="calls per throughput measurement (default 640, scale 3000)")
    parser.add_argument("--cached", type=int, help="items in the cached rerun (default 1000, scale 10000)")
    args = parser.parse_args()
    calls = args.calls or (3000 if args.scale else 640)
    cached = args.cached or (10_000 if args.scale else 1000)

    server, url = start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine = get_engine(str(Path(tmp) / "bench.db"))
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE bench_result (item_key TEXT, content TEXT, logprobs TEXT)")
            asyncio.run(bare_loop(url, 64, "warmup"))
            bare, raw, ours = [], [], []
            for rnd in range(2):  # alternate so drift on a shared machine hits every path alike
                bare.append(asyncio.run(bare_loop(url, calls // 2, f"bare{rnd}")))
                raw.append(asyncio.run(bare_loop(url, calls // 2, f"raw{rnd}", raw=True)))
                ours.append(our_path(engine, url, calls // 2, f"ours{rnd}")[0])
            raw_rate = sum(raw) / len(raw)
            bare_rate, our_rate = sum(bare) / len(bare), sum(ours) / len(ours)
            print(f"concurrency {CONCURRENCY}, server latency {LATENCY * 1000:.0f} ms, {calls} calls per path")
            print(f"bare AsyncOpenAI loop : {bare_rate:7.1f} calls/s  (rounds: {', '.join(f'{b:.1f}' for b in bare)})")
            print(f"run_requests full path: {our_rate:7.1f} calls/s  (rounds: {', '.join(f'{o:.1f}' for o in ours)})")
            print(f"bare loop, raw JSON   : {raw_rate:7.1f} calls/s  (rounds: {', '.join(f'{r:.1f}' for r in raw)})")
            print(f"ratio ours / bare     : {our_rate / bare_rate:7.1%}  (target >= 85%)")
            print(f"ratio ours / raw bare : {our_rate / raw_rate:7.1%}  (our overhead alone; we read raw JSON too)")

            fill_rate, _ = our_path(engine, url, cached, "cache")
            print(f"filled cache with {cached} items at {fill_rate:.1f} calls/s")
            started = time.perf_counter()
            rate, results = our_path(engine, url, cached, "cache")
            elapsed = time.perf_counter() - started
            assert all(r.cached for r in results)
            print(f"fully cached rerun of {cached} items: {elapsed:.2f} s ({rate:,.0f} items/s, target <= 10 s)")
            engine.dispose()
    finally:
        server.terminate()
        server.wait(timeout=10)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
