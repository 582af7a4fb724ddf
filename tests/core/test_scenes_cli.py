"""`python -m core scenes`: output, exit codes, nothing written on bad input."""

from sqlmodel import Session, func, select

from core.cli.main import main
from storage.models import Scene
from tests.factories import make_interaction_dataset


def scene_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Scene)).one()


def test_scenes_command_builds_and_reports(engine, db_path, capsys):
    with Session(engine) as session:
        make_interaction_dataset(session, seed=1)
    code = main(
        ["--db", db_path, "scenes", "--dataset", "synth", "--count", "25", "--seed", "4", "--max-exposure", "5"]
    )
    assert code == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["built 25 of 25 requested train scenes for dataset 'synth'"]
    assert scene_count(engine) == 25
    with Session(engine) as session:
        assert {s.seed for s in session.exec(select(Scene))} == {4}
        assert max(s.choice_cnt for s in session.exec(select(Scene))) <= 5


def test_scenes_command_with_one_scorer_and_eval_split(engine, db_path, capsys):
    with Session(engine) as session:
        make_interaction_dataset(session, seed=2)
    args = ["--db", db_path, "scenes", "--dataset", "synth", "--count", "5", "--split", "eval", "--scorers", "random"]
    assert main(args) == 0
    with Session(engine) as session:
        scenes = list(session.exec(select(Scene)))
    assert {s.split for s in scenes} == {"eval"} and {x for s in scenes for x in s.option_sources} == {
        "target",
        "random",
    }


def test_bad_input_exits_2_and_writes_nothing(engine, db_path, capsys):
    with Session(engine) as session:
        make_interaction_dataset(session, seed=3)
    cases = [
        (["--dataset", "nope", "--count", "5"], "error: dataset 'nope' not found"),
        (["--dataset", "synth", "--count", "0"], "error: argument --count: must be a whole number from 1 to 10,000,"),
        (["--dataset", "synth", "--count", "5", "--max-exposure", "30"], "--max-exposure: must be a whole number"),
        (["--dataset", "synth", "--count", "5", "--min-exposure", "9", "--max-exposure", "3"], "range [9, 3]"),
        (["--dataset", "synth", "--count", "5", "--scorers", "random,nope"], "unknown scorer(s) nope"),
    ]
    for args, message in cases:
        assert main(["--db", db_path, "scenes", *args]) == 2
        assert message in capsys.readouterr().err
    assert scene_count(engine) == 0
