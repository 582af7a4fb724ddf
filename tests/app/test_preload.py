"""pages/preload.py: the app server's start-up loads what the pages use and freezes it, so Streamlit's collection
after every run (runner.postScriptGC) no longer walks the libraries' objects (0.4-1 s per click at 100k scenes)."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import app
from pages.preload import HELPERS, lifespan

ROOT = Path(__file__).resolve().parents[2]

# Run in a child process: freezing the test process would keep its objects from ever being collected.
CHILD = """
import gc, json
from streamlit.testing.v1 import AppTest
from pages.preload import preload
frozen = preload()
after_preload = len(gc.get_objects(generation=2))
for page in ("overview", "samples", "review", "filter", "export", "evaluate", "settings"):
    at = AppTest.from_file("pages/frame.py", default_timeout=60)
    at.run()
    at.switch_page(f"{page}.py").run()
    assert not at.exception, (page, [e.value for e in at.exception])
    del at
gc.collect()
print(json.dumps({"frozen": frozen, "after_preload": after_preload, "unfrozen": len(gc.get_objects(generation=2))}))
"""


def _page_scripts() -> set[str]:
    """The page files frame.py hands to st.navigation (st.Page("x.py", ...))."""
    tree = ast.parse((ROOT / "pages" / "frame.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args
    }


def test_every_module_of_pages_that_is_not_a_page_is_preloaded():
    scripts = _page_scripts()
    assert scripts == {f"{p}.py" for p in ("overview", "samples", "review", "filter", "export", "evaluate", "settings")}
    modules = {p.name for p in (ROOT / "pages").glob("*.py")} - scripts - {"frame.py", "preload.py", "__init__.py"}
    assert {f"pages.{Path(m).stem}" for m in modules} == set(HELPERS)


def test_the_app_server_runs_preload_at_start_up():
    assert app.app._user_lifespan is lifespan


def test_after_preload_the_pages_leave_few_objects_for_the_full_collection(workspace, db_path):
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env={**os.environ, "MIRROR_DB": db_path, "MIRROR_WARM_MODEL": "0"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["after_preload"] == 0  # everything alive at start-up is frozen
    # Every page shown once leaves what it built lazily (SQL compiled statements, plotly validators, AppTest's own
    # objects) — measured about 20,000 — against about 300,000 frozen; a heavy library left out of HELPERS would add
    # its tens of thousands.
    assert counts["frozen"] > 200_000
    assert counts["unfrozen"] < counts["frozen"] // 8, counts
