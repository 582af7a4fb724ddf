"""Benchmark: page times as a person sees them, in Debian's Chromium (Playwright) against `streamlit run`.

Over a workspace of N scenes (bench.data: 2 roles x 10 rationales, scored, a 10,000-scene selection) it times:
a fresh tab on each page (navigation start to the page's content drawn and the app idle), sidebar navigation from
Overview to each page (and to Filter again, once the tab has loaded the plotly chunk), Samples sorted by another
column, Review "Next" and Review "Approve" (the verdict, then the next scene shown), Review "Next" again with the
scene's plots opened (their expander stays open from scene to scene), and a Filter threshold moved with the keyboard
until the plots are redrawn. In the same run, a
fresh tab on a bare one-line Streamlit page gives the framework's floor on this machine; each page's fresh tabs are
opened in turn with a bare page's (both servers up), and its ratio is the median of those pairs, so both sides see the
same load (measured one after the other, load drift moved a page's ratio by 0.1-0.3 between runs).

Targets (issue 15): a fresh tab <= 1.2 x the floor; every navigation and interaction <= 0.5 s.

A fresh tab is a new browser context by default: an empty cache, as on a first visit, so every JavaScript chunk an
element needs (plotly.js for a chart, the data grid for st.dataframe) is fetched and compiled again. --warm opens the
fresh tabs in one context instead, as a new tab of a browser that has shown the app before (cached chunks). Beside the
bare floor it times bare pages that add one kind of element each (a selectbox, six kinds of widget, a small
st.dataframe, st.code, a small plotly chart), paired with bare tabs like the pages: what any Streamlit page that draws
them pays on this machine, the part of a page's time that no app code can remove.

    python -m bench.bench_browser            # 2,000 scenes
    python -m bench.bench_browser --scale    # 100,000 scenes (the issue's size; the database takes minutes)
    python -m bench.bench_browser --warm     # fresh tabs with the browser's cache warm
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.data import finish, workspace
from storage.db import dispose_engines
from tests.e2e.app_server import CHROMIUM, CHROMIUM_ARGS, app_server

PAGES = {  # url path -> title
    "": "Overview",
    "samples": "Samples",
    "review": "Review",
    "filter": "Filter",
    "export": "Export",
    "evaluate": "Evaluate",
    "settings": "Settings",
}
# Drawn and idle: the script run finished (the app root's script state, as Streamlit's own browser tests wait on it),
# no running indicator, nothing stale (an element left from the previous run), the skeleton gone. The state matters:
# on a new page nothing is stale and the running indicator shows only after a delay, so without it a page counted as
# done once its heading was drawn, with the rest of its script still running.
IDLE = (
    "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
    " && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " && !document.querySelector('[data-stale=\"true\"]')"
    " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
)
DONE = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR)  # not "early for a rerun"


class Runs:
    """Counts the app's finished script runs from the server's messages on the page's websocket, so an interaction
    waits for the run it caused: a threshold moved on Filter leaves its plots in place and the slider sends its value
    after a debounce, and a short run can turn the app's script state to running and back within one browser frame."""

    def __init__(self, page) -> None:
        self.finished = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            msg = ForwardMsg.FromString(payload)
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished in DONE:
                self.finished += 1

    def wait_after(self, page, before: int, timeout: float = 120.0) -> None:
        deadline = time.perf_counter() + timeout
        while self.finished <= before:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no script run finished within {timeout:.0f} s of the action")
            page.wait_for_timeout(10)  # Playwright delivers the websocket events while it waits


REPEATS = 3
FRESH_REPEATS = 5  # fresh tabs per page, each right after a bare page's: the ratio is the median of the pairs
VERBOSE = bool(os.environ.get("BENCH_VERBOSE"))


def _ready(page, title: str) -> None:
    page.get_by_role("heading", name=title, exact=True).first.wait_for()
    page.wait_for_function(IDLE, polling=20)


def _settle(page) -> None:
    """Between measurements: let the last run finish for sure (the status widget shows only after a delay)."""
    page.wait_for_timeout(800)
    page.wait_for_function(IDLE, polling=50)


VIEWPORT = {"width": 1400, "height": 1000}


def fresh_tab(browser, url: str, title: str) -> float:
    """browser: a Browser (each page its own context, cache empty) or a BrowserContext (cache shared)."""
    page = browser.new_page() if hasattr(browser, "browser") else browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(120_000)
    try:
        started = time.perf_counter()
        page.goto(url)
        _ready(page, title)
        seconds = time.perf_counter() - started
        if VERBOSE:
            print(f"  fresh tab {url}: {seconds:.2f} s", flush=True)
        return seconds
    finally:
        page.close()


BARE = 'import streamlit as st\n\nst.title("Bare")\nst.write("hello")\n'
# What one kind of element adds to a bare page's fresh tab (its JavaScript chunk, fetched and compiled per tab).
ELEMENTS = {
    "one selectbox": 'st.selectbox("s", ["a", "b"])\n',
    "six kinds of widget": 'st.selectbox("s", ["a"])\nst.text_input("t")\nst.button("b")\nst.toggle("g")\n'
    'st.radio("r", ["x", "y"])\nst.number_input("n", 1, 9, 2)\n',
    "a 50-row st.dataframe": 'st.dataframe({"a": list(range(50)), "b": [f"x{i}" for i in range(50)]})\n',
    "st.code": 'st.code("python -m core demo", language="bash")\n',
    "one plotly chart": "import plotly.graph_objects as go\n\nst.plotly_chart(go.Figure(go.Bar(x=[1, 2], y=[3, 1])))\n",
}


def bare_floor(browser, tmp: Path) -> float:
    """Median fresh tab on `st.write("hello")`: what any Streamlit page costs here."""
    script = tmp / "bare.py"
    script.write_text(BARE)
    with app_server(log_path=tmp / "bare.log", env={}, script=str(script), cwd=tmp) as base:
        fresh_tab(browser, base, "Bare")  # the server's first page pays its imports: not counted
        return statistics.median(fresh_tab(browser, base, "Bare") for _ in range(REPEATS))


def paired(tabs, bare_base: str, url: str, title: str) -> tuple[float, float, float]:
    """FRESH_REPEATS fresh tabs on url, each right after one on the bare page: (median s, bare median s, median of
    the ratios)."""
    pairs = [(fresh_tab(tabs, bare_base, "Bare"), fresh_tab(tabs, url, title)) for _ in range(FRESH_REPEATS)]
    bare, page = (statistics.median(side) for side in zip(*pairs, strict=True))
    return page, bare, statistics.median(tab / bare_tab for bare_tab, tab in pairs)


def element_costs(tabs, bare_base: str, tmp: Path) -> None:
    """Print each ELEMENTS page's fresh tab against the bare page's, paired."""
    for k, (label, snippet) in enumerate(ELEMENTS.items()):
        script = tmp / f"element{k}.py"
        script.write_text(BARE + snippet)
        with app_server(log_path=tmp / f"{script.stem}.log", env={}, script=str(script), cwd=tmp) as base:
            fresh_tab(tabs, base, "Bare")  # the server's first page pays its imports: not counted
            page, bare, ratio = paired(tabs, bare_base, base, "Bare")
        print(f"{'bare page + ' + label:<36} {page:>6.2f} {bare:>7.2f} {ratio:>7.2f}", flush=True)


def timed(page, runs: Runs, action, until, label: str = "") -> float:
    """Seconds from the action to `until`, the run it caused finished, and the page drawn."""
    before = runs.finished
    started = time.perf_counter()
    action()
    until()
    runs.wait_after(page, before)
    page.wait_for_function(IDLE, polling=20)
    seconds = time.perf_counter() - started
    if VERBOSE:
        print(f"  {label}: {seconds:.2f} s", flush=True)
    return seconds


def interactions(browser, base: str, scene: int) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)
    runs = Runs(page)
    figures: dict[str, list[float]] = {}
    nav = page.get_by_test_id("stSidebarNav")
    for path, title in PAGES.items():
        if not path:
            continue
        for _ in range(REPEATS):
            page.goto(base)
            _ready(page, "Overview")
            _settle(page)
            link = nav.get_by_role("link", name=title, exact=True)
            figures.setdefault(f"sidebar -> {title}", []).append(
                timed(page, runs, link.click, lambda t=title: _heading(page, t), title)
            )
        _report(figures, f"sidebar -> {title}")
    # Filter again in the same tab (Overview between): the tab has loaded and compiled the plotly chunk on its first
    # visit, so this is the page's own time; the first visit above adds the chunk's (~0.35 s here).
    again = "sidebar -> Filter, again in the tab"
    for _ in range(REPEATS):
        _settle(page)
        home = nav.get_by_role("link", name="Overview", exact=True)
        timed(page, runs, home.click, lambda: _heading(page, "Overview"))
        _settle(page)
        link = nav.get_by_role("link", name="Filter", exact=True)
        figures.setdefault(again, []).append(timed(page, runs, link.click, lambda: _heading(page, "Filter"), again))
    _report(figures, again)

    page.goto(f"{base}/samples")
    _ready(page, "Samples")
    for column in ("timestamp", "choice_cnt", "diff_model"):
        _settle(page)
        box = page.get_by_label("Sort by", exact=True)
        box.click()
        box.press("ArrowDown")  # a click may only focus the combobox
        option = page.get_by_role("option", name=column, exact=True)
        option.first.wait_for(timeout=10_000)
        if option.count() == 0:
            page.keyboard.press("Escape")
            continue
        figures.setdefault("samples: sort", []).append(
            timed(page, runs, option.click, lambda c=column: page.wait_for_url(f"**sort={c}**"), f"sort {column}")
        )
    _report(figures, "samples: sort")

    page.goto(f"{base}/review?scene={scene}")
    _ready(page, "Review")
    _scene_moves(page, runs, figures, "review: Next", "next_scene")
    _scene_moves(page, runs, figures, "review: Approve -> next scene", "approve")
    page.get_by_text("Plots: this scene", exact=False).click()  # the figure, drawn from now on scene after scene
    page.locator(".js-plotly-plot").first.wait_for()
    _scene_moves(page, runs, figures, "review: Next, plots open", "next_scene")

    page.goto(f"{base}/filter")
    _ready(page, "Filter")
    page.locator(".js-plotly-plot").first.wait_for()
    for _ in range(REPEATS):
        _settle(page)
        thumb = page.get_by_role("slider").first
        thumb.focus()
        figures.setdefault("filter: threshold -> plots", []).append(
            timed(
                page,
                runs,
                lambda t=thumb: t.press("ArrowRight"),
                page.locator(".js-plotly-plot").first.wait_for,
                "slider",
            )
        )
    _report(figures, "filter: threshold -> plots")
    page.close()
    return {label: statistics.median(values) for label, values in figures.items()}


def _scene_moves(page, runs: Runs, figures: dict[str, list[float]], label: str, key: str) -> None:
    """REPEATS clicks of Review's button `key`, each timed until another scene is shown and its run has finished."""
    for _ in range(REPEATS):
        _settle(page)
        shown = _scene_heading(page)
        figures.setdefault(label, []).append(
            timed(page, runs, _button(page, key).click, lambda s=shown: _moved(page, s), label)
        )
    _report(figures, label)


def _report(figures: dict[str, list[float]], label: str) -> None:
    print(f"{label:<36} {statistics.median(figures[label]):>6.2f}", flush=True)


def _heading(page, title: str) -> None:
    page.get_by_role("heading", name=title, exact=True).wait_for()


def _button(page, key: str):
    """A button by its widget key (its accessible name carries the shortcut hint)."""
    return page.locator(f".st-key-{key} button")


def _scene_heading(page) -> str:
    return page.get_by_role("heading", name="Scene ", exact=False).first.inner_text()


def _moved(page, shown: str) -> None:
    page.wait_for_function(
        "(shown) => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('Scene ')"
        " && h.innerText !== shown)",
        arg=shown,
        polling=20,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true", help="100,000 scenes (default 2,000)")
    parser.add_argument("--scenes", type=int, help="explicit scene count")
    parser.add_argument("--db", help="reuse/keep this database file (built when missing)")
    parser.add_argument("--warm", action="store_true", help="fresh tabs share one browser cache (default: empty)")
    args = parser.parse_args()
    n = args.scenes or (100_000 if args.scale else 2_000)
    tmp = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    path = args.db or str(tmp / "bench.db")
    if not Path(path).exists():
        started = time.perf_counter()
        workspace(path, scenes=n, rationales=10)
        finish(path)
        print(f"built {n:,} scenes in {time.perf_counter() - started:.0f} s")
    dispose_engines()

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tabs = browser.new_context(viewport=VIEWPORT) if args.warm else browser
        print(f"fresh tabs: {'one context, cache warm' if args.warm else 'a new context each, cache empty'}")
        floor = bare_floor(tabs, tmp)
        env = {"MIRROR_DB": path, "MIRROR_WARM_MODEL": "0"}
        bare = app_server(log_path=tmp / "bare-paired.log", env={}, script=str(tmp / "bare.py"), cwd=tmp)
        with bare as bare_base, app_server(log_path=tmp / "app.log", env=env) as base:
            fresh_tab(tabs, bare_base, "Bare")
            fresh_tab(tabs, base, "Overview")  # the server's first page pays its imports: not counted
            print(f"bare Streamlit page, fresh tab (the floor): {floor:.2f} s; target per page <= {1.2 * floor:.2f} s")
            print(f"{'fresh tab (in turn with a bare tab)':<36} {'s':>6} {'bare s':>7} {'x bare':>7}", flush=True)
            element_costs(tabs, bare_base, tmp)
            for p, title in PAGES.items():
                page, floor_now, ratio = paired(tabs, bare_base, f"{base}/{p}", title)
                print(f"{title:<36} {page:>6.2f} {floor_now:>7.2f} {ratio:>7.2f}", flush=True)
            print(f"{'navigation / interaction':<36} {'s':>6}   (target <= 0.5 s)", flush=True)
            interactions(browser, base, scene=n // 2)
        browser.close()
    print(f"{n:,} scenes; load average (1, 5, 15 min) {os.getloadavg()}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
