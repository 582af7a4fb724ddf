"""Shared by the LLM benches: the loopback fault server (a separate process) and the concurrency they run at."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 32
LATENCY = 0.1  # seconds the fault server waits before each answer


def start_server(latency: float = LATENCY) -> tuple[subprocess.Popen, str]:
    """Start tests/fault_server.py with a fixed latency; (the process, its base URL)."""
    command = [sys.executable, str(ROOT / "tests" / "fault_server.py"), "--latency", str(latency)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    return server, server.stdout.readline().strip()
