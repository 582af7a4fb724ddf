"""Benchmark: `import --format usermirrorer` of a generated reference working directory.

Small by default (2,000 scenes); --scale = 100,000 scenes x 2 roles x 10 decisions with probabilities
(target: <= 60 s and <= 2 GB peak RSS). The directory is written first (not timed), then the import runs in a
fresh child process so its peak RSS is its own.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAME = "bench"
LETTERS = "ABCDEFGHIJKL"
STIMULI = ["Boredom", "Curiosity", "Time of Day", "Emotional State", "Day of Week", "Inspiration", "Social Factors"]
KNOWLEDGE = ["Price", "Quality", "Novelty", "Personal Relevance", "Past Experience", "Rating Score", "Emotional Appeal"]
STYLES = ["Logical", "Intuitive", "Impulsive", "Habitual"]
GENRES = ["Comedy", "Drama", "Thriller", "Romance", "Sci-Fi", "Documentary", "Animation"]


def decision(rng: random.Random, row: int, k: int, n: int) -> str:
    """A decision in the reference output format (about 500 characters)."""
    stim = ", ".join(rng.sample(STIMULI, rng.randint(1, 3)))
    know = ", ".join(rng.sample(KNOWLEDGE, rng.randint(2, 4)))
    pick = LETTERS[rng.randrange(n)]
    return (
        f"Thought:\nStimulus: It is evening and after scene {row} I want something to fill an hour ({k}); "
        f"I feel like trying a film that matches my mood.\nStimulus Factors: {stim}\n"
        f"Knowledge: Option {pick} looks like the {rng.choice(GENRES).lower()} films I rated highly, "
        f"while the others seem long or unfamiliar.\nKnowledge Factors: {know}\n"
        f"Evaluation: {pick} fits my taste and my history, so I choose it.\n"
        f"Evaluation Style: {rng.choice(STYLES)}\nBehavior: [{pick}]"
    )


def write_workdir(root: Path, scenes: int, n: int, seed: int = 0) -> int:
    """datasets/, decisions/ and probs/ files of the reference layout; returns the bytes written."""
    rng = random.Random(seed)
    for sub in ("datasets", "decisions", "probs"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    sizes = [rng.randint(2, 12) for _ in range(scenes)]
    items = [rng.randrange(4000) for _ in range(scenes)]
    with (root / "datasets" / f"{NAME}_train.jsonl").open("w") as out:
        for row, size in enumerate(sizes):
            options = [f"Title: Film {rng.randrange(50_000)}, Genres: {rng.choice(GENRES)}" for _ in range(size)]
            history = "\n".join(
                f"Watched Film {rng.randrange(50_000)} and rated it {rng.randint(1, 5)}" for _ in range(5)
            )
            text = {
                "profile": f"Gender: F, Age: 25-34, Occupation: writer (user {row % 6000})",
                "history": history,
                "action_list": options,
            }
            line = {
                "text": text,
                "user_id": row % 6000,
                "item_id": items[row],
                "timestamp": 978300760000,
                "item_pos": rng.randrange(size),
                "choice_cnt": size,
                "dataset": NAME,
            }
            out.write(json.dumps(line) + "\n")
    for role in ("strong", "weak"):
        with (
            (root / "decisions" / f"{NAME}_decisions_{role}.jsonl").open("w") as dec,
            (root / "probs" / f"{NAME}_probs_{role}.jsonl").open("w") as prob,
        ):
            for row, size in enumerate(sizes):
                texts = [decision(rng, row, k, size) for k in range(n)]
                choices = [{"index": k, "message": {"role": "assistant", "content": t}} for k, t in enumerate(texts)]
                body = {"model": f"{role}-model", "choices": choices}
                dec.write(json.dumps({"custom_id": f"{NAME}-{row}", "response": {"status_code": 200, "body": body}}))
                dec.write("\n")
                dists = []
                for _ in range(n):
                    w = [rng.random() + 1e-3 for _ in range(size)]
                    total = sum(w)
                    dists.append({LETTERS[j]: w[j] / total for j in range(size)})
                decision_list = [t.split("Behavior:")[0].strip() for t in texts]
                prob.write(
                    json.dumps(
                        {"user_id": row % 6000, "item_id": items[row], "decision_list": decision_list, "choice": dists}
                    )
                    + "\n"
                )
    return sum(p.stat().st_size for p in root.rglob("*.jsonl"))


def run_import(root: str, db: str) -> None:
    """Child process: the timed import; prints one JSON line."""
    from core.importers import import_usermirrorer
    from storage.db import get_engine

    engine = get_engine(db)
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    report = import_usermirrorer(engine=engine, name=NAME, path=root)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    load_end = os.getloadavg()[0]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT COUNT(*) FROM rationaleversion").scalar_one()
    again = time.perf_counter()
    repeat = import_usermirrorer(engine=engine, name=NAME, path=root)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest parse worker
    print(
        json.dumps(
            {
                "import_s": round(seconds, 1),
                "cpu_s_main": round(cpu, 1),
                "cpu_s_workers": round(children.ru_utime + children.ru_stime, 1),
                "cpu_s_total": round(cpu + children.ru_utime + children.ru_stime, 1),
                "load_avg_1min_at_start": round(load, 1),
                "load_avg_1min_at_end": round(load_end, 1),
                "rationaleversion_rows": versions,
                "totals": report.totals,
                "peak_rss_mb": round(rss),
                "peak_rss_mb_largest_worker": round(workers_rss),
                "reimport_s": round(time.perf_counter() - again, 1),
                "reimport_noop": repeat.already_imported,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true", help="100,000 scenes x 2 roles x 10 decisions")
    parser.add_argument("--scenes", type=int, default=2_000, help="scenes when not --scale")
    parser.add_argument("--n", type=int, default=10, help="decisions per scene and role")
    parser.add_argument("--dir", help="working directory to write (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="keep DIR/work if it was written before (with --dir)")
    parser.add_argument("--run-import", nargs=2, metavar=("DIR", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_import:
        run_import(*args.run_import)
        return
    scenes = 100_000 if args.scale else args.scenes
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        root = Path(args.dir or tmp) / "work"
        t0 = time.perf_counter()
        if args.reuse and args.dir and (root / "datasets" / f"{NAME}_train.jsonl").is_file():
            size = sum(p.stat().st_size for p in root.rglob("*.jsonl"))
            print(f"reusing {root} ({size / 1e6:.0f} MB)")
        else:
            size = write_workdir(root, scenes, args.n)
            print(
                f"wrote {scenes} scenes x 2 roles x {args.n} decisions ({size / 1e6:.0f} MB) in "
                f"{time.perf_counter() - t0:.1f} s"
            )
        db = str(Path(tmp) / "bench.db")
        out = subprocess.run([sys.executable, __file__, "--run-import", str(root), db], capture_output=True, text=True)
        if out.returncode:
            sys.exit(out.stderr)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(figures, indent=1))
        print(f"database: {Path(db).stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
