"""evaluate and export --format evalresults on bad input: exit 2, one message naming the problem, nothing written."""

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.cli.main import main
from tests.factories import make_dataset, make_scene

TABLES = ("evalrun", "evalrow", "evalskip", "run", "llmcall")


@pytest.fixture
def scenes(session):
    ds = make_dataset(session)
    make_scene(session, dataset=ds, split="eval")
    make_scene(session, dataset=ds, split="train", timestamp=1)
    return ds


def _counts(engine) -> dict[str, int]:
    with Session(engine) as s:
        return {t: s.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["--endpoint", "nope", "--mode", "direct"],
            "unknown endpoint 'nope': add it with `python -m core endpoints add nope ...`",
        ),
        (["--endpoint", "local"], "--mode is required with --endpoint: direct or thought"),
        (
            ["--endpoint", "local", "--mode", "direct", "--baseline", "random"],
            "evaluate needs either --endpoint NAME --mode {direct,thought} or --baseline NAME",
        ),
        ([], "evaluate needs either --endpoint NAME --mode {direct,thought} or --baseline NAME"),
        (["--baseline", "random", "--mode", "direct"], "--mode applies to an endpoint; a baseline has none"),
        (["--baseline", "random", "--repeat", "0"], "--repeat must be at least 1 (got 0)"),
        (["--baseline", "random", "--dataset", "other"], "unknown dataset 'other'"),
        (["--baseline", "random", "--split", "train", "--dataset", "toy", "--limit", "1", "--name", "t"], None),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(engine, scenes, capsys, args, message):
    before = _counts(engine)
    code = main(["evaluate", *args])
    if message is None:  # the control: the same database takes a good command
        assert code == 0
        return
    assert code == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert _counts(engine) == before


@pytest.mark.parametrize(
    "args,said",
    [
        (["--endpoint", "local", "--mode", "sideways"], "invalid choice"),
        (["--baseline", "oracle"], "invalid choice"),
        (["--split", "test", "--baseline", "random"], "invalid choice"),
        (
            ["--baseline", "random", "--seed", "-1"],
            "--seed: must be a whole number from 0 to 9,223,372,036,854,775,807",
        ),
        (["--baseline", "random", "--limit", "0"], "--limit: must be a whole number from 1 to 2,147,483,647 (got '0')"),
        (
            ["--endpoint", "local", "--mode", "thought", "--max-tokens", "0"],
            "--max-tokens: must be a whole number from 1",
        ),
        (
            ["--endpoint", "local", "--mode", "direct", "--samples", "1001"],
            "--samples: must be a whole number from 1 to",
        ),
    ],
)
def test_unknown_choices_and_numbers_out_of_range_are_refused_by_the_parser(engine, scenes, capsys, args, said):
    before = _counts(engine)
    assert main(["evaluate", *args]) == 2  # the parser's refusal, returned like every other exit 2
    assert said in capsys.readouterr().err
    assert _counts(engine) == before


def test_no_eval_scenes(engine, session, capsys):
    ds = make_dataset(session)
    make_scene(session, dataset=ds, split="train")
    assert main(["evaluate", "--baseline", "popularity"]) == 2
    assert capsys.readouterr().err == (
        "error: no eval scenes in the database: build them with `python -m core scenes --dataset NAME --count N "
        "--split eval`\n"
    )
    assert _counts(engine) == dict.fromkeys(TABLES, 0)


def test_a_missing_api_key_is_named_before_anything_is_written(engine, scenes, capsys, monkeypatch):
    from storage.llm import add_endpoint
    from storage.models import Endpoint

    monkeypatch.delenv("EVAL_TEST_KEY", raising=False)
    with Session(engine) as s:
        add_endpoint(
            session=s,
            endpoint=Endpoint(name="keyed", base_url="http://127.0.0.1:9/v1", model="m", api_key_env="EVAL_TEST_KEY"),
        )
        s.commit()
    assert main(["evaluate", "--endpoint", "keyed", "--mode", "direct"]) == 2
    assert capsys.readouterr().err == (
        "error: environment variable EVAL_TEST_KEY (the API key of endpoint 'keyed') is not set\n"
    )
    assert _counts(engine) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--run", "nope"], "evaluation run 'nope' does not exist (runs: none)"),
        ([], "--run is required for the evalresults format"),
        (
            ["--run", "r", "--dataset", "toy"],
            "--selection/--dataset/--split do not apply to evalresults; the run (--run) decides the rows",
        ),
    ],
)
def test_evalresults_export_bad_input(engine, scenes, tmp_path, capsys, args, message):
    out = tmp_path / "out" / "r.jsonl"
    out.parent.mkdir()
    assert main(["export", "--format", "evalresults", "--out", str(out), *args]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert list(out.parent.iterdir()) == []
    assert _counts(engine) == dict.fromkeys(TABLES, 0)


def test_run_applies_to_evalresults_only(engine, scenes, tmp_path, capsys):
    assert main(["export", "--format", "eval", "--run", "r", "--out", str(tmp_path / "e.jsonl")]) == 2
    assert capsys.readouterr().err == "error: --run applies to evalresults only, not to eval\n"
