"""Benchmark the app: page script runs (AppTest) over a database of N scenes x 2 roles x 10 rationales.

    python bench/bench_app.py            # 2,000 scenes (seconds)
    python bench/bench_app.py --scale    # 100,000 scenes, 2,000,000 rationales + predictions (the issue's size)

Targets (issue 5): each page's script run <= 1.5 s, a threshold change on Filter <= 0.5 s, Review of one scene
<= 0.5 s. Rows go straight into a DB file with bulk executemany inserts; then score + a 10,000-scene selection.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.db import dispose_engines, get_engine  # noqa: E402

N_RATIONALES = 10
CHUNK = 5_000  # scenes per insert batch
TEXT = (
    "Stimulus: I had a free evening and felt curious. [curiosity]\n"
    "Knowledge: option {L} matches the dramas I rated highly. [personal relevance, past experience]\n"
    "Evaluation: it fits my taste best. [logical]\nBehavior: [{L}]"
)


def build(path: str, n_scenes: int, seed: int = 0) -> None:
    """Dataset, users, items, scenes, 2 x 10 rationales + predictions per scene, bulk inserted."""
    rng = np.random.default_rng(seed)
    engine = get_engine(path)
    now = "2026-01-01 00:00:00"
    n_users, n_items = 5_000, 10_000
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO dataset (id, name, format, created_at) VALUES (1, 'bench', 'unified', ?)", (now,)
        )
        conn.exec_driver_sql(
            'INSERT INTO "user" (id, dataset_id, external_id, features) VALUES (?, 1, ?, ?)',
            [(u + 1, f"u{u}", '{"age": "25-34"}') for u in range(n_users)],
        )
        conn.exec_driver_sql(
            "INSERT INTO item (id, dataset_id, external_id, title, features) VALUES (?, 1, ?, ?, ?)",
            [(i + 1, f"i{i}", f"Movie {i}", '{"genres": ["Drama"]}') for i in range(n_items)],
        )
    rid = 0
    for start in range(0, n_scenes, CHUNK):
        ids = np.arange(start + 1, min(n_scenes, start + CHUNK) + 1)
        cnt = rng.integers(2, 13, size=ids.size)
        pos = (rng.random(ids.size) * cnt).astype(int)
        scenes, rats, preds = [], [], []
        for sid, c, p in zip(ids.tolist(), cnt.tolist(), pos.tolist(), strict=True):
            options = [f"Movie {(sid * 7 + k) % n_items} (Drama, 1999)" for k in range(c)]
            exposure = [(sid * 7 + k) % n_items + 1 for k in range(c)]
            history = [f"Watched Movie {(sid + k) % n_items}, rated 4" for k in range(3)]
            scenes.append(
                (
                    sid,
                    (sid % n_users) + 1,
                    exposure[p],
                    sid,
                    "eval" if sid % 10 == 0 else "train",
                    f"A user aged 25-34, number {sid}.",
                    json.dumps(history),
                    json.dumps([1, 2, 3]),
                    json.dumps(exposure),
                    json.dumps(options),
                    json.dumps(["random"] * c),
                    p,
                    c,
                    now,
                )
            )
            for role_k, role in enumerate(("strong", "weak")):
                alpha = np.full(c, 0.5 if role == "strong" else 2.0)
                probs = rng.dirichlet(alpha, size=N_RATIONALES)
                sampled = (probs.cumsum(axis=1) > rng.random((N_RATIONALES, 1))).argmax(axis=1)
                for j in range(N_RATIONALES):
                    rid += 1
                    letter = chr(65 + int(sampled[j]))
                    rats.append((rid, sid, role, j, TEXT.replace("{L}", letter), letter, now, now))
                    preds.append((rid, sid, role, probs[j].tobytes(), int(sampled[j]), now))
                del role_k
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO scene (id, dataset_id, user_id, item_id, interaction_id, timestamp, split, profile, "
                "history, history_item_ids, exposure_item_ids, options, option_sources, item_pos, choice_cnt, seed, "
                "source, created_at) VALUES (?, 1, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'native', ?)",
                scenes,
            )
            conn.exec_driver_sql(
                "INSERT INTO rationale (id, scene_id, role, sample_index, endpoint, model, text, version, behavior, "
                "problems, source, created_at, updated_at) VALUES (?, ?, ?, ?, 'bench', 'm', ?, 1, ?, '[]', "
                "'native', ?, ?)",
                rats,
            )
            conn.exec_driver_sql(
                "INSERT INTO prediction (rationale_id, scene_id, role, rationale_version, probs, estimated, "
                "behavior_index, endpoint, model, created_at) VALUES (?, ?, ?, 1, ?, 0, ?, 'bench', 'm', ?)",
                preds,
            )


def finish(path: str) -> None:
    """Scores, a 10,000-scene selection, a few reviews."""
    from sqlmodel import Session

    from core.review import set_review
    from core.scoring import score
    from core.selection import SelectionConfig, save_selection

    engine = get_engine(path)
    score(engine=engine)
    result = save_selection(engine=engine, config=SelectionConfig(name="bench", target=10_000))
    with Session(engine) as session:
        for k, scene_id in enumerate(result.kept["scene_id"].head(20).tolist()):
            set_review(
                session=session, scene_id=int(scene_id), status="approved" if k % 4 else "rejected", reviewer="bench"
            )


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
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        if page != "overview":
            at.run(timeout=300)
            for key, value in params.items():
                at.query_params[key] = value
            at.switch_page(f"pages/{page}.py")
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
        build(path, n)
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
