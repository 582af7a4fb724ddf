"""`python -m core endpoints ...` through core.cli.main.main: stored rows, exit codes, no key values."""

from sqlmodel import Session

from core.cli.main import main
from storage.llm import get_endpoint, list_endpoints
from tests.fault_server import fault_server  # noqa: F401  (fixture)

ADD = ["endpoints", "add", "gpt", "--base-url", "https://api.example.com/v1", "--model", "gpt-x"]


def names(engine) -> list[str]:
    with Session(engine) as session:
        return [e.name for e in list_endpoints(session=session)]


def test_add_list_remove(engine, capsys):
    assert main([*ADD, "--api-key-env", "OPENAI_API_KEY", "--concurrency", "16", "--timeout", "30"]) == 0
    assert main(["endpoints", "add", "vl", "--base-url", "http://gpu:8000/v1", "--model", "qwen", "--vllm"]) == 0
    with Session(engine) as session:
        gpt = get_endpoint(session=session, name="gpt")
        vl = get_endpoint(session=session, name="vl")
    assert (gpt.base_url, gpt.model, gpt.api_key_env, gpt.kind, gpt.concurrency, gpt.timeout, gpt.retries) == (
        "https://api.example.com/v1",
        "gpt-x",
        "OPENAI_API_KEY",
        "openai",
        16,
        30.0,
        4,
    )
    assert (vl.kind, vl.api_key_env, vl.concurrency) == ("vllm", None, 8)
    assert (
        main(["endpoints", "add", "lc", "--base-url", "http://gpu:8080/v1", "--model", "q", "--kind", "llamacpp"]) == 0
    )
    with Session(engine) as session:
        assert get_endpoint(session=session, name="lc").kind == "llamacpp"
    assert main(["endpoints", "remove", "lc"]) == 0
    capsys.readouterr()

    assert main(["endpoints", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["NAME", "local", "gpt", "vl"]
    assert "OPENAI_API_KEY" in lines[2] and "https://api.example.com/v1" in lines[2]

    assert main(["endpoints", "remove", "gpt"]) == 0
    assert names(engine) == ["vl"]


def test_key_looking_value_is_refused_and_not_echoed(engine, capsys):
    secret = "sk-proj-abcdef0123456789"
    assert main([*ADD, "--api-key-env", secret]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: --api-key-env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), "
        "not the key itself; keys are never stored\n"
    )
    assert main([*ADD, "--api-key-env", "has spaces in it"]) == 2
    assert names(engine) == []


def test_bad_input_exits_2(engine, capsys):
    assert main(["endpoints", "remove", "nope"]) == 2
    assert capsys.readouterr().err == "error: unknown endpoint 'nope'\n"
    assert main(["endpoints", "test", "nope"]) == 2
    assert "unknown endpoint 'nope'" in capsys.readouterr().err
    assert main([*ADD[:2], "local", *ADD[3:]]) == 2
    assert main([*ADD[:4], "ftp://x", *ADD[5:]]) == 2
    assert main([*ADD, "--concurrency", "0"]) == 2
    assert main(ADD) == 0
    assert main(ADD) == 2
    assert capsys.readouterr().err.splitlines()[-1] == "error: endpoint 'gpt' already exists; remove it first"
    assert names(engine) == ["gpt"]


def test_test_command_calls_the_endpoint_once(engine, fault_server, monkeypatch, capsys):  # noqa: F811
    add = ["endpoints", "add", "fs", "--base-url", fault_server.url, "--model", "m", "--api-key-env", "FS_KEY"]
    assert main(add) == 0
    assert main(["endpoints", "test", "fs"]) == 2
    assert capsys.readouterr().err == "error: environment variable FS_KEY (the API key of endpoint 'fs') is not set\n"
    monkeypatch.setenv("FS_KEY", "secret-value-123")
    assert main(["endpoints", "test", "fs"]) == 0
    assert main(["endpoints", "test", "fs"]) == 0  # never answered from the cache
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("fs: ok in ") and out[0].endswith(" ms, model m: 'B'")
    assert fault_server.counts["default"] == 2
    assert fault_server.auth == {"Bearer secret-value-123"}
