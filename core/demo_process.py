"""The demo build as a process of its own, for the app: it outlives the browser tab (and the app) that started it.

The build records itself as a run of kind "demo" (core/demo.py), so every tab follows it from the database; a build
whose process ended early shows as interrupted and is resumed by starting the same command again.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.choices import DEMO_RUN
from core.errors import MirrorError
from storage.models import Run
from storage.runs import latest_run, pid_alive

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "out"  # git-ignored
LOG_NAME = "demo-build.log"


def build_command(*, db: str) -> list[str]:
    """The command line of a build on that database (what the app starts, and what a user can run instead); a
    relative database path is made absolute, since the build runs from the project folder."""
    if "://" not in db:
        db = str(Path(db).resolve())
    return [sys.executable, "-m", "core", "--db", db, "demo"]


def start_demo_build(*, db: str, log_dir: Path | None = None) -> int:
    """Start `python -m core demo` on `db` in a new session (a closed tab or a stopped app does not stop it); its pid.

    Output goes to log_dir/demo-build.log (appended). A thread waits for the process so that it does not linger as a
    zombie that would look alive to the run table's pid check.
    """
    log_dir = log_dir or LOG_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / LOG_NAME, "ab") as log:
        proc = subprocess.Popen(
            build_command(db=db),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    threading.Thread(target=proc.wait, name=f"demo-build-{proc.pid}", daemon=True).start()
    return proc.pid


def log_tail(*, log_dir: Path | None = None, lines: int = 5) -> str:
    """The last non-blank lines of the build log ('' when there is none); progress-bar redraws count as lines."""
    try:
        text = ((log_dir or LOG_DIR) / LOG_NAME).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join([line for line in text.replace("\r", "\n").splitlines() if line.strip()][-lines:])


def wait_for_build(*, engine: Engine, pid: int, timeout: float = 30.0, log_dir: Path | None = None) -> Run:
    """The run record the build started as `pid` makes (it writes one within a second or two of starting).

    A process that ends first (a wrong database, a build already running) is a MirrorError quoting its log.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            run = latest_run(session=session, kind=DEMO_RUN)
        if run is not None and run.pid == pid:
            return run
        if not pid_alive(pid):
            tail = log_tail(log_dir=log_dir, lines=3)
            raise MirrorError(f"the demo build ended before it began: {tail or 'no output'}")
        time.sleep(0.25)
    log = (log_dir or LOG_DIR) / LOG_NAME
    raise MirrorError(f"the demo build (process {pid}) has not started after {timeout:.0f} s; see {log}")
