"""Benchmark the review queue: verdict -> next scene shown in real Chromium, and a bulk approve of a whole set.

    python -m bench.bench_review            # 2,000 scenes x 2 x 10 rationales, bulk approve of 1,000
    python -m bench.bench_review --scale    # 100,000 scenes x 2 x 10 rationales, bulk approve of 10,000

Targets (issue 14): verdict -> next scene shown <= 0.5 s at 100,000 scenes in Chromium; bulk approve of 10,000 scenes
<= 3 s; (issue 15) a fresh Review tab <= 1.2 x a bare Streamlit page's. The browser figure is from the Approve click
to the next scene's heading on screen, the run the click caused finished (its script_finished message) and the page
drawn and idle, over a queue sorted by diff_model (most uncertain first); the bulk figure is core.bulk_review over the
"bench" selection (the write with its undo record); the fresh tab is bench_browser's measure (navigation start to the
page drawn and idle, median of 3) beside its bare page. Also printed: the queue's own next-scene claim (SQL only).

    python -m bench.bench_review --db /tmp/big.db --only browser   # the browser figures alone, over a kept database
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.bench_app import N_RATIONALES
from bench.data import finish, workspace
from storage.db import dispose_engines


def bench_browser(path: str, verdicts: int) -> list[float]:
    """Seconds from each Approve click to the next scene shown, over `verdicts` verdicts in a row."""
    from playwright.sync_api import sync_playwright

    from bench.bench_browser import IDLE, Runs
    from tests.e2e.app_server import CHROMIUM, CHROMIUM_ARGS, app_server
    from tests.e2e.conftest import wait_idle

    # The embedded model stays off, as in bench_browser: warming it (the app's default) loads it in the background once
    # per server, taking the CPU for several seconds right as the first verdicts here were timed (0.51-0.58 s median,
    # max 0.89 s, against 0.35 s without it).
    env = {"MIRROR_DB": path, "MIRROR_REVIEWER": "bench-reviewer", "MIRROR_WARM_MODEL": "0"}
    times = []
    log = Path(tempfile.mkdtemp()) / "streamlit.log"
    with app_server(log_path=log, env=env) as base, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(300_000)
        runs = Runs(page)
        page.goto(f"{base}/review?sort=diff_model&desc=1")
        heading = page.get_by_role("heading", name="Scene ", exact=False).first
        heading.wait_for()
        wait_idle(page)
        for _ in range(verdicts + 1):  # the first verdict warms the page's caches: not counted
            shown = heading.inner_text()
            before = runs.finished
            started = time.perf_counter()
            page.locator(".st-key-approve button").click()  # by key, as bench_browser
            page.wait_for_function(
                "old => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('Scene ') "
                "&& h.innerText !== old)",
                arg=shown,
            )
            runs.wait_after(page, before)  # the run the click caused finished, then drawn (bench_browser's IDLE)
            page.wait_for_function(IDLE, polling=20)
            times.append(time.perf_counter() - started)
            wait_idle(page)
        chromium.close()
    return times[1:]


def bench_fresh_tab(path: str) -> tuple[float, float]:
    """(median fresh Review tab, median fresh tab of a bare one-line page) in seconds, as bench_browser measures."""
    from playwright.sync_api import sync_playwright

    from bench.bench_browser import REPEATS, bare_floor, fresh_tab
    from tests.e2e.app_server import CHROMIUM, CHROMIUM_ARGS, app_server

    tmp = Path(tempfile.mkdtemp())
    env = {"MIRROR_DB": path, "MIRROR_REVIEWER": "bench-fresh", "MIRROR_WARM_MODEL": "0"}
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        floor = bare_floor(chromium, tmp)
        with app_server(log_path=tmp / "streamlit.log", env=env) as base:
            url = f"{base}/review?sort=diff_model&desc=1"
            fresh_tab(chromium, url, "Review")  # the server's first page pays its imports: not counted
            review = statistics.median(fresh_tab(chromium, url, "Review") for _ in range(REPEATS))
        chromium.close()
    return review, floor


def bench_claims(path: str, repeats: int = 5) -> float:
    """Median seconds of one next-scene claim of the queue (SQL only), most uncertain first."""
    from storage.browse import SceneFilter, SceneOrder
    from storage.db import get_engine, session_scope
    from storage.queue import next_scene

    order = SceneOrder(column="diff_model", descending=True)
    times = []
    with session_scope(get_engine(path)) as s:
        for _ in range(repeats):
            started = time.perf_counter()
            next_scene(session=s, flt=SceneFilter(), order=order, reviewer="bench-sql")
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_bulk(path: str) -> tuple[int, float, float]:
    """(scenes, seconds of the bulk approve, seconds of its undo) over the "bench" selection."""
    from core.bulk_review import bulk_review, undo_last
    from storage.browse import SceneFilter, count_scenes
    from storage.db import get_engine, session_scope

    flt = SceneFilter(selection="bench")
    with session_scope(get_engine(path)) as s:
        n = count_scenes(session=s, flt=flt)
        started = time.perf_counter()
        bulk_review(session=s, flt=flt, status="approved", reviewer="bench-bulk", expected=n)
        approve = time.perf_counter() - started
        started = time.perf_counter()
        undo_last(session=s, reviewer="bench-bulk")
        return n, approve, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="100,000 scenes, bulk of 10,000 (default 2,000 / 1,000)")
    parser.add_argument("--db", help="reuse/keep this database file (built when missing)")
    parser.add_argument("--verdicts", type=int, default=5, help="verdicts timed in the browser (default 5)")
    parser.add_argument("--only", choices=("browser",), help="browser: only the Chromium figures (no bulk, no SQL)")
    args = parser.parse_args()
    n, target = (100_000, 10_000) if args.scale else (2_000, 1_000)
    tmp = tempfile.TemporaryDirectory()
    path = args.db or str(Path(tmp.name) / "bench.db")
    if not Path(path).exists():
        started = time.perf_counter()
        workspace(path, scenes=n, rationales=N_RATIONALES)
        finish(path, target=target)
        print(f"built {n:,} scenes x 2 x {N_RATIONALES} rationales, scored, selection of {target:,}: "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    dispose_engines()
    if args.only != "browser":
        scenes, approve, undo = bench_bulk(path)
        print(f"bulk approve of {scenes:,} scenes: {approve:.2f} s (target <= 3 s); its undo {undo:.2f} s")
        print(f"queue next-scene claim (SQL, most uncertain first): {bench_claims(path) * 1000:.0f} ms")
        dispose_engines()
    print(f"load average (1, 5, 15 min) before the browser figures {os.getloadavg()}")
    times = bench_browser(path, args.verdicts)
    print(
        f"verdict -> next scene shown in Chromium over {n:,} scenes: median {statistics.median(times):.2f} s, "
        f"max {max(times):.2f} s over {len(times)} verdicts (target <= 0.5 s)"
    )
    review, floor = bench_fresh_tab(path)
    print(f"fresh Review tab {review:.2f} s, bare page {floor:.2f} s: {review / floor:.1f} x (target <= 1.2 x)")
    print(f"load average (1, 5, 15 min) {os.getloadavg()}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
