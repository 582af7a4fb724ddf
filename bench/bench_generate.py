"""Benchmark: the app's Generate on the embedded model. The model is started once (as the app keeps it warm), then
each round streams one new rationale for another small scene (3 options, the format grammar, 160 tokens): the time to
its first words, to the whole text, and to the stored prediction.

Target (issue 15): the first words within 3 s when the model is warm.

    python -m bench.bench_generate [--rounds N]      # --scale = 5 rounds
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from core.llm.warm import WarmModel
from core.rationale_stream import RationaleStream
from storage.db import get_engine
from tests.factories import make_dataset, make_scene


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scale", action="store_true", help="5 rounds")
    args = parser.parse_args()
    rounds = 5 if args.scale else args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        engine = get_engine(str(Path(tmp) / "mirror.db"))
        with Session(engine, expire_on_commit=False) as session:
            dataset = make_dataset(session, n_users=1)
            scenes = [
                make_scene(session, dataset=dataset, choice_cnt=3, profile=f"A film lover in her thirties ({k}).")
                for k in range(rounds)
            ]
        model = WarmModel()
        started = time.monotonic()
        endpoint = model.endpoint()
        print(f"model start (once per app): {time.monotonic() - started:.1f} s, {len(model.pids)} server(s)")
        first, whole, saved = [], [], []
        try:
            for scene in scenes:  # a new scene each round: no answer or whole prompt is reused
                stream = RationaleStream(
                    engine=engine, scene_id=scene.id, role="strong", endpoint=endpoint, max_tokens=160
                )
                t0 = time.monotonic()
                pieces = iter(stream)
                next(pieces)
                first.append(time.monotonic() - t0)
                for _ in pieces:
                    pass
                whole.append(time.monotonic() - t0)
                stream.save()
                saved.append(time.monotonic() - t0)
        finally:
            model.stop()
    print(f"first words: median {statistics.median(first):.2f} s (all: {', '.join(f'{v:.2f}' for v in first)})")
    print(f"whole rationale: median {statistics.median(whole):.1f} s")
    print(f"stored and predicted: median {statistics.median(saved):.1f} s")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
