"""Benchmark double review and the word diff in real Chromium (issue 14's performance section).

    python -m bench.bench_agreement            # 2,000 double-reviewed scenes
    python -m bench.bench_agreement --scale    # 20,000 double-reviewed scenes (the issue's size)
    python -m bench.bench_agreement --scale --db /tmp/agree.db   # keep the database and reuse it next time

Targets: Overview with agreement over 20,000 double reviews, navigation <= 0.5 s and a fresh tab <= 1.2 x a bare
Streamlit page's; a diff of two 2,000-word versions <= 0.5 s. Scenes come from bench/data.py (one rationale per role);
the blind verdicts of four reviewers (pairs rotating, 80 % agreeing, seeded) go straight into the tables with
executemany.

Navigation is a sidebar click from Samples to Overview until the agreement figures and the last table are drawn and
the app is idle (bench_browser's IDLE: no running indicator, nothing stale, no skeleton). A fresh tab is a new browser
context (cache empty) opening Overview until the same. The floor it is divided by is a fresh tab on a bare one-line
Streamlit page (bench_browser.BARE), served beside the app and opened in turn with it, one bare tab before each
Overview tab: both see the same load. (Measured one after the other, the load drifting between the two halves moved
the ratio by 0.2-0.3 between runs minutes apart.) Prints the figures, the median of the per-pair ratios and the load.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlmodel import Session, select

from bench import ROOT
from bench.bench_browser import BARE, IDLE, VIEWPORT, fresh_tab
from bench.data import workspace
from storage.db import dispose_engines, get_engine
from storage.models import Rationale, utcnow

REVIEWERS = ("ann", "bob", "cy", "dee")
FLOOR = "bare page fresh tab (the floor)"


def add_double_reviews(path: str, n: int, seed: int = 0) -> None:
    """n scenes marked for double review, each with two blind verdicts (the pair rotates over four reviewers)."""
    engine = get_engine(path)
    rng = np.random.default_rng(seed)
    with Session(engine) as s:
        ids = s.exec(text("SELECT id FROM scene ORDER BY id LIMIT :n").bindparams(n=n)).scalars().all()
        now = utcnow().replace(tzinfo=None).isoformat(sep=" ")
        first = rng.choice(["approved", "rejected"], size=len(ids), p=[0.7, 0.3])
        flip = rng.random(len(ids)) > 0.8
        second = np.where(flip, np.where(first == "approved", "rejected", "approved"), first)
        s.execute(
            text("INSERT INTO doublereview (scene_id, marked_by, created_at) VALUES (:s, 'bench', :t)"),
            [{"s": sid, "t": now} for sid in ids],
        )
        pairs = [(x, y) for i, x in enumerate(REVIEWERS) for y in REVIEWERS[i + 1 :]]
        rows = []
        for k, sid in enumerate(ids):  # bench data only: one pair of rows per scene
            a, b = pairs[k % len(pairs)]
            rows.append({"s": sid, "r": a, "v": str(first[k]), "t": now})
            rows.append({"s": sid, "r": b, "v": str(second[k]), "t": now})
        s.execute(
            text("INSERT INTO blindverdict (scene_id, reviewer, status, created_at) VALUES (:s, :r, :v, :t)"), rows
        )
        s.commit()


def long_text(seed: int) -> str:
    rng = np.random.default_rng(0)
    weights = 1 / np.arange(1, 501)
    body = [str(w) for w in rng.choice([f"w{k}" for k in range(500)], size=2000, p=weights / weights.sum())]
    if seed:
        body[::10] = [f"edited{k}" for k in range(0, 2000, 10)]
    return "Stimulus: " + " ".join(body) + "\nBehavior: [A]"


def two_long_versions(path: str) -> tuple[int, int]:
    """(scene, rationale) of the first scene's strong rationale, edited into two 2,000-word versions."""
    from core.review import edit_rationale

    with Session(get_engine(path)) as s:
        rat = s.exec(select(Rationale).where(Rationale.role == "strong").order_by(Rationale.id)).first()
        edit_rationale(session=s, rationale_id=rat.id, text=long_text(0), author="ann", expected_version=1)
        edit_rationale(session=s, rationale_id=rat.id, text=long_text(1), author="ann", expected_version=2)
        return rat.scene_id, rat.id


# The adjudication queue, the page's last table: a data grid (before) or a markdown table of links to Review (now).
QUEUE = '[data-testid="stDataFrame"], [data-testid="stMarkdownContainer"] a[href*="review?scene="]'


def overview_drawn(page) -> None:
    """Overview with its agreement figures and the adjudication queue drawn, the app idle."""
    page.get_by_text("Krippendorff's alpha").wait_for()
    page.get_by_text("Adjudication queue").wait_for()
    page.locator(QUEUE).last.wait_for()
    page.wait_for_function(IDLE, polling=20)


def fresh_overview(browser, base: str) -> float:
    """A new browser context (empty cache) opening Overview, until drawn and idle."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(120_000)
    try:
        started = time.perf_counter()
        page.goto(base)
        overview_drawn(page)
        return time.perf_counter() - started
    finally:
        page.close()


def browser_figures(path: str, scene: int, repeats: int) -> dict[str, list[float]]:
    """The figures of every round but the first (it warms), the floor's fresh tabs among them."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.app_server import CHROMIUM, CHROMIUM_ARGS, app_server
    from tests.e2e.conftest import wait_idle

    figures: dict[str, list[float]] = {FLOOR: [], "overview fresh tab": [], "overview navigation": []}
    figures["diff of two 2,000-word versions"] = []
    tmp = Path(tempfile.mkdtemp())
    (tmp / "bare.py").write_text(BARE)
    env = {"MIRROR_DB": path, "MIRROR_REVIEWER": "ann", "MIRROR_WARM_MODEL": "0"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        bare = app_server(log_path=tmp / "bare.log", env={}, script=str(tmp / "bare.py"), cwd=tmp)
        with bare as floor_base, app_server(log_path=tmp / "streamlit.log", env=env) as base:
            for _ in range(repeats + 1):  # in turn: a bare tab, then an Overview tab
                figures[FLOOR].append(fresh_tab(browser, floor_base, "Bare"))
                figures["overview fresh tab"].append(fresh_overview(browser, base))
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(120_000)
            page.goto(base)
            overview_drawn(page)
            wait_idle(page)
            for _ in range(repeats + 1):  # the first round warms the other page
                page.get_by_role("link", name="Samples").click()
                page.get_by_role("heading", name="Samples").wait_for()
                wait_idle(page)
                started = time.perf_counter()
                page.get_by_role("link", name="Overview").click()
                overview_drawn(page)
                figures["overview navigation"].append(time.perf_counter() - started)
                wait_idle(page)
            page.goto(f"{base}/review?scene={scene}")
            page.get_by_text(f"Scene {scene}", exact=True).wait_for()
            wait_idle(page)
            page.get_by_role("tab", name="strong").click()
            box = page.get_by_test_id("stExpander").filter(has_text="#0").first
            box.locator("summary").click()
            box.get_by_text("History", exact=True).click()
            box.get_by_text("Version 3 against version 1").first.wait_for()
            wait_idle(page)
            for k in range(repeats + 1):
                against, caption = (("the previous version", "Version 3 against version 2"),
                                    ("the model's original", "Version 3 against version 1"))[k % 2]  # fmt: skip
                started = time.perf_counter()
                box.get_by_text(against, exact=True).click()
                box.get_by_text(caption).first.wait_for()
                figures["diff of two 2,000-word versions"].append(time.perf_counter() - started)
                wait_idle(page)
        browser.close()
    return {name: values[1:] for name, values in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="20,000 double-reviewed scenes (default 2,000)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", help="keep the database in this file; reused (not rebuilt) when it exists")
    args = parser.parse_args()
    n = 20_000 if args.scale else 2_000
    path = args.db or str(Path(tempfile.mkdtemp()) / "bench.db")
    if Path(path).exists():
        with Session(get_engine(path)) as s:
            n = s.execute(text("SELECT COUNT(*) FROM doublereview")).scalar_one()
            scene = s.exec(select(Rationale.scene_id).where(Rationale.version == 3)).first()
        print(f"reusing {path}: {n:,} double-reviewed scenes")
    else:
        started = time.perf_counter()
        workspace(path, scenes=n, rationales=1)
        add_double_reviews(path, n)
        scene, _ = two_long_versions(path)
        print(f"built {n:,} scenes with 2 blind verdicts each in {time.perf_counter() - started:.1f} s")
    from core.agreement import agreement

    with Session(get_engine(path)) as s:
        started = time.perf_counter()
        found = agreement(session=s)
        computed = time.perf_counter() - started
    print(f"agreement over {found.scenes:,} scenes (SQL aggregates + numpy): {computed:.3f} s; alpha {found.alpha:.3f}")
    dispose_engines()
    os.chdir(ROOT)
    figures = browser_figures(path, scene, args.repeats)
    for name, values in figures.items():
        print(f"{name:<36} median {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
    pairs = [tab / floor for floor, tab in zip(figures[FLOOR], figures["overview fresh tab"], strict=True)]
    print(
        f"overview fresh tab / floor: {statistics.median(pairs):.2f} x, median of {len(pairs)} pairs "
        f"(min {min(pairs):.2f}, max {max(pairs):.2f}; target <= 1.2 x); navigation target <= 0.5 s"
    )
    print(f"load average (1, 5, 15 min) {os.getloadavg()}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
