"""Batch-job files: `--batch-out F` writes OpenAI Batch API JSONL with the bodies the live calls send; the results,
run through a local OpenAI-compatible server, come back with `import --format batch-results` and the stage then
finishes with no call. A bad results file is refused naming its line, nothing imported."""

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.cli.main import main
from storage.llm import add_endpoint
from storage.models import Endpoint
from tests.factories import make_dataset, make_scene
from tests.fault_server import FaultServer

SCENES, N = 3, 2


@pytest.fixture
def server():
    server = FaultServer().start()
    yield server
    server.stop()


def _count(engine, sql: str) -> int:
    with Session(engine) as session:
        return int(session.execute(text(sql)).scalar_one())


def _workspace(engine, server: FaultServer) -> None:
    with Session(engine) as session:
        dataset = make_dataset(session, n_users=1)
        for k in range(SCENES):
            make_scene(session, dataset=dataset, profile=f"user {k}", timestamp=1_700_000_000 + k)
        for k in range(SCENES):
            make_scene(session, dataset=dataset, split="eval", profile=f"eval {k}", timestamp=1_800_000_000 + k)
        # a key variable that is not set: writing a batch file needs no key
        endpoint = Endpoint(name="remote", base_url=server.url, model="m", api_key_env="BATCH_TEST_KEY")
        add_endpoint(session=session, endpoint=endpoint)
        session.commit()


def _run_through_server(server: FaultServer, requests: Path, results: Path) -> list[dict]:
    """What a batch runner does: each line's body POSTed to the server, one result line per request."""
    lines = [json.loads(line) for line in requests.read_text().splitlines()]
    out = []
    with httpx.Client(base_url=server.url) as client:
        for i, line in enumerate(lines):
            assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
            reply = client.post("/chat/completions", json=line["body"])
            response = {"status_code": reply.status_code, "request_id": f"req_{i}", "body": reply.json()}
            out.append({"id": f"batch_req_{i}", "custom_id": line["custom_id"], "response": response, "error": None})
    results.write_text("".join(json.dumps(row) + "\n" for row in out))
    return lines


STAGES = {
    "rationales": (["rationales", "--role", "strong", "--n", str(N)], SCENES * N),
    # the server answers every rationale of a scene alike: one request serves a scene's N predictions
    "predict": (["predict", "--role", "strong"], SCENES),
    "evaluate": (["evaluate", "--mode", "direct", "--repeat", "2", "--name", "e"], SCENES),
}


def test_round_trip_through_a_server_then_the_stage_makes_no_call(engine, tmp_path, server, capsys, monkeypatch):
    _workspace(engine, server)
    for stage, (args, lines_expected) in STAGES.items():
        requests, results = tmp_path / f"{stage}.jsonl", tmp_path / f"{stage}-results.jsonl"
        calls_before = _count(engine, "SELECT COUNT(*) FROM llmcall")
        assert main([*args, "--endpoint", "remote", "--batch-out", str(requests)]) == 0, stage
        assert sum(server.body_counts.values()) == calls_before  # writing the file called nothing
        lines = _run_through_server(server, requests, results)
        assert len(lines) == lines_expected == len({line["custom_id"] for line in lines})
        assert main(["import", "--format", "batch-results", "--path", str(results)]) == 0
        assert f"{lines_expected} answers cached, 0 errors logged, 0 already imported" in capsys.readouterr().out
        assert _count(engine, "SELECT COUNT(*) FROM llmcall WHERE run_id IS NULL AND status = 'ok'") == (
            calls_before + lines_expected
        )
        monkeypatch.setenv("BATCH_TEST_KEY", "sk-test")
        served = sum(server.body_counts.values())
        assert main([*args, "--endpoint", "remote"]) == 0, stage
        out = capsys.readouterr().out
        assert sum(server.body_counts.values()) == served  # finished from the imported answers
        last_run = "SELECT MAX(id) FROM run"
        assert _count(engine, f"SELECT COUNT(*) FROM llmcall WHERE run_id = ({last_run})") == 0
        if stage == "evaluate":
            assert f"{SCENES * 2} rows scored, 0 scenes skipped (prompt too long), 0 failed" in out
        else:
            assert f"{SCENES * N} done, 0 failed, {SCENES * N} cached, of {SCENES * N}" in out
        monkeypatch.delenv("BATCH_TEST_KEY")
        assert main(["import", "--format", "batch-results", "--path", str(results)]) == 0  # a second time: nothing
        assert f"0 answers cached, 0 errors logged, {lines_expected} already imported" in capsys.readouterr().out
    assert _count(engine, "SELECT COUNT(*) FROM rationale") == SCENES * N
    assert _count(engine, "SELECT COUNT(*) FROM prediction") == SCENES * N
    assert _count(engine, "SELECT COUNT(*) FROM evalrow") == SCENES * 2
    assert server.duplicates() == {}


def test_the_batch_body_is_the_live_request_body(engine, tmp_path, server):
    _workspace(engine, server)
    out = tmp_path / "requests.jsonl"
    assert main(["rationales", "--role", "strong", "--n", "1", "--endpoint", "remote", "--batch-out", str(out)]) == 0
    written = {json.dumps(json.loads(line)["body"], sort_keys=True) for line in out.read_text().splitlines()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BATCH_TEST_KEY", "sk-test")
        assert main(["rationales", "--role", "strong", "--n", "1", "--endpoint", "remote"]) == 0
    assert set(server.body_counts) == written and len(written) == SCENES


def _bad_files(custom_ids: list[str]) -> dict[str, tuple[list[str], str]]:
    good = [
        json.dumps({"custom_id": c, "response": {"status_code": 200, "body": _completion()}, "error": None})
        for c in custom_ids
    ]
    return {
        "unknown id": ([good[0], good[1].replace(custom_ids[1], "nope")], "line 2: unknown custom_id 'nope'"),
        "duplicate": ([good[0], good[1], good[0]], "line 3: custom_id"),
        "not json": ([good[0], "{not json"], "line 2: not a JSON line"),
        "an array": ([good[0], "[1, 2]"], "line 2: not a batch result"),
        "no body": ([json.dumps({"custom_id": custom_ids[0], "response": {"status_code": 200}})], "line 1:"),
        "neither": ([json.dumps({"custom_id": custom_ids[0]})], "line 1: neither a response"),
        "empty": ([], "holds no result lines"),
    }


def _completion() -> dict:
    message = {"role": "assistant", "content": "Stimulus: x"}
    return {"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": message}]}


def test_a_bad_results_file_is_refused_naming_the_line_and_nothing_is_imported(engine, tmp_path, server, capsys):
    _workspace(engine, server)
    out = tmp_path / "requests.jsonl"
    assert main(["rationales", "--role", "strong", "--n", "1", "--endpoint", "remote", "--batch-out", str(out)]) == 0
    custom_ids = [json.loads(line)["custom_id"] for line in out.read_text().splitlines()]
    for case, (lines, message) in _bad_files(custom_ids).items():
        path = tmp_path / f"{case}.jsonl"
        path.write_text("".join(line + "\n" for line in lines))
        capsys.readouterr()
        assert main(["import", "--format", "batch-results", "--path", str(path)]) == 2, case
        assert message in capsys.readouterr().err, case
        assert _count(engine, "SELECT COUNT(*) FROM llmcache") == 0, case
        assert _count(engine, "SELECT COUNT(*) FROM llmcall") == 0, case
    # An error result is no malformed line: logged as a failed call, nothing cached, the stage asks again later.
    errors = tmp_path / "errors.jsonl"
    error = {"code": "rate_limit_exceeded", "message": "slow down"}
    errors.write_text(json.dumps({"custom_id": custom_ids[0], "response": None, "error": error}) + "\n")
    assert main(["import", "--format", "batch-results", "--path", str(errors)]) == 0
    assert _count(engine, "SELECT COUNT(*) FROM llmcall WHERE status = 'error'") == 1
    assert _count(engine, "SELECT COUNT(*) FROM llmcache") == 0


def test_batch_out_refuses_an_existing_file_the_database_and_local(engine, db_path, tmp_path, server, capsys):
    _workspace(engine, server)
    existing = tmp_path / "there.jsonl"
    existing.write_text("keep\n")
    base = ["rationales", "--role", "strong", "--n", "1", "--endpoint"]
    cases = [
        ([*base, "remote", "--batch-out", str(existing)], "exists"),
        ([*base, "remote", "--batch-out", str(tmp_path / "no" / "f.jsonl")], "does not exist"),
        ([*base, "local", "--batch-out", str(tmp_path / "f.jsonl")], "stored endpoint"),
        (["evaluate", "--baseline", "random", "--batch-out", str(tmp_path / "f.jsonl")], "a baseline makes none"),
    ]
    if not db_path.startswith("postgresql"):
        cases.append(([*base, "remote", "--batch-out", db_path], "is the database"))
    for args, message in cases:
        capsys.readouterr()
        assert main(args) == 2, args
        assert message in capsys.readouterr().err, args
    assert existing.read_text() == "keep\n"
    assert _count(engine, "SELECT COUNT(*) FROM run") == 0  # refused before any run row
