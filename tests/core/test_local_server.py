"""The embedded llama.cpp endpoint: starts, answers with logprobs, stops; a broken model gives a clear error."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import EndpointError
from core.llm.client import LlmRequest, run_requests
from core.llm.endpoints import open_endpoint
from core.llm.local_server import find_gguf, local_server


@pytest.mark.slow
@pytest.mark.sqlite_only  # about the model server; the database only records its endpoint
def test_embedded_endpoint_answers_with_logprobs_and_stops(engine):
    request = LlmRequest(
        item_key="local:1",
        messages=[{"role": "user", "content": "Which letter comes first, A or B? Answer with one letter."}],
        params={"logprobs": True, "top_logprobs": 5, "max_tokens": 1, "temperature": 0},
    )
    with open_endpoint(engine=engine, name="local") as endpoint:
        assert (endpoint.name, endpoint.kind, endpoint.model) == ("local", "local", find_gguf().stem)
        [result] = run_requests(engine=engine, endpoint=endpoint, requests=[request])
    assert result.ok, result.error
    assert result.usage["completion_tokens"] == 1
    [first] = result.logprobs
    assert first["token"] == result.content
    assert len(first["top_logprobs"]) == 5
    assert all(top["logprob"] <= 0 for top in first["top_logprobs"])


@pytest.mark.slow
def test_stop_leaves_no_process():
    with local_server() as server:
        assert server.healthy()
        pid = server.process.pid
    assert server.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_unloadable_model_is_a_clear_error(tmp_path, monkeypatch):
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"not a gguf file")
    monkeypatch.setenv("MIRROR_LOCAL_MODEL", str(bogus))
    message = r"^the embedded model server exited with code \d+ while starting:\n(.|\n)*broken.gguf"
    with pytest.raises(EndpointError, match=message), local_server(timeout=60):
        pass


def test_missing_model_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRROR_LOCAL_MODEL", str(tmp_path / "absent.gguf"))
    with pytest.raises(EndpointError, match="MIRROR_LOCAL_MODEL points to .*absent.gguf, which is not a file"):
        find_gguf()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state  # a zombie waiting for its reaper is dead


@pytest.mark.slow
def test_server_dies_with_a_killed_parent():
    script = "from core.llm.local_server import local_server\nimport time\n"
    script += "with local_server() as s:\n    print(s.process.pid, flush=True)\n    time.sleep(120)\n"
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=root, stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    assert _alive(pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)
