"""Benchmark the app: page script runs (AppTest) over a database of N scenes x 2 roles x 10 rationales.

    python -m bench.bench_app            # 2,000 scenes (seconds)
    python -m bench.bench_app --scale    # 100,000 scenes, 2,000,000 rationales + predictions (the issue's size)

Targets (issue 5): each page's script run <= 1.5 s, a threshold change on Filter <= 0.5 s, Review of one scene
<= 0.5 s. Rows go straight into a DB file with bulk executemany inserts; then score + a 10,000-scene selection.
"""

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bench import ROOT
from bench.data import finish, workspace
from storage.db import dispose_engines

N_RATIONALES = 10


def cpu_seconds() -> float:
    """User + system CPU of this process (every thread: AppTest runs the script in its own thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


FIRST_CPU: dict[str, tuple[float, float]] = {}  # label -> (first, warm) CPU seconds, beside the wall figures
CPU: list[float] = []  # CPU seconds of every timed run, in order (the machine is shared: wall includes waiting)


def timed(at, **kw) -> float:
    started, cpu = time.perf_counter(), cpu_seconds()
    at.run(**kw)
    elapsed = time.perf_counter() - started
    CPU.append(cpu_seconds() - cpu)
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def bench_pages(path: str, n_scenes: int, repeats: int = 3) -> dict[str, tuple[float, float]]:
    """(first run, median warm run) in seconds per page, plus the Filter threshold change and Review of one scene.

    "first" is the first run of that page in this process: it pays imports (plotly) and fills the caches (Overview
    counts, Filter candidates, Review histograms); "warm" is the median of the next runs.
    """
    import logging

    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)

    os.environ["MIRROR_DB"] = path
    figures: dict[str, tuple[float, float]] = {}
    for page, params in (
        ("overview", {}),
        ("samples", {}),
        ("samples", {"preset": "strong right, weak wrong", "sort": "diff_model", "desc": "1", "page": "3"}),
        ("review", {"scene": str(n_scenes // 2)}),
        ("filter", {}),
        ("export", {}),
        ("settings", {}),
    ):
        at = AppTest.from_file(str(ROOT / "pages" / "frame.py"), default_timeout=300)
        if page != "overview":
            at.run(timeout=300)
            for key, value in params.items():
                at.query_params[key] = value
            at.switch_page(f"{page}.py")
        first = timed(at, timeout=300)
        first_cpu = CPU[-1]
        warm = statistics.median(timed(at, timeout=300) for _ in range(repeats))
        label = page + (" (preset, sorted, page 4)" if page == "samples" and params else "")
        figures[label] = (first, warm)
        FIRST_CPU[label] = (first_cpu, statistics.median(CPU[-repeats:]))
        if page == "filter":
            slider = at.slider(key="th_diff_model")
            low, high = slider.value
            changes = []
            for step in (0.1, 0.2, 0.3):
                at.slider(key="th_diff_model").set_value((low + step * (high - low), high))
                changes.append(timed(at, timeout=300))
            figures["filter: threshold change"] = (changes[0], statistics.median(changes))
            FIRST_CPU["filter: threshold change"] = (CPU[-3], statistics.median(CPU[-3:]))
        if page == "review":
            at.query_params["scene"] = str(n_scenes // 2 + 1)
            figures["review: next scene"] = (timed(at, timeout=300), timed(at, timeout=300))
            FIRST_CPU["review: next scene"] = (CPU[-2], CPU[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="100,000 scenes (default 2,000)")
    parser.add_argument("--scenes", type=int, help="explicit scene count")
    parser.add_argument("--db", help="reuse/keep this database file (built when missing)")
    args = parser.parse_args()
    n = args.scenes or (100_000 if args.scale else 2_000)
    tmp = tempfile.TemporaryDirectory()
    path = args.db or str(Path(tmp.name) / "bench.db")
    if not Path(path).exists():
        started = time.perf_counter()
        workspace(path, scenes=n, rationales=N_RATIONALES)
        built = time.perf_counter() - started
        started = time.perf_counter()
        finish(path)
        print(
            f"built {n:,} scenes x 2 x {N_RATIONALES} rationales in {built:.1f} s; "
            f"score + select + reviews {time.perf_counter() - started:.1f} s"
        )
    dispose_engines()
    figures = bench_pages(path, n)
    print(f"{'page run':<40} {'first s':>8} {'warm s':>8} {'first cpu':>10} {'warm cpu':>9}")
    for label, (first, warm) in figures.items():
        first_cpu, warm_cpu = FIRST_CPU[label]
        print(f"{label:<40} {first:>8.3f} {warm:>8.3f} {first_cpu:>10.3f} {warm_cpu:>9.3f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB; load average (1, 5, 15 min) {os.getloadavg()}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
