"""`scenes --position`: the uniform default, and the reference's biased placement of the true item, exactly."""

from collections import Counter

import pytest
from sqlmodel import Session, select

from core.cli.main import main
from core.errors import BadInput
from core.scenes import build_scenes
from storage.models import Scene
from tests.factories import make_interaction_dataset


def _positions(engine) -> Counter:
    with Session(engine) as session:
        return Counter((s.choice_cnt, s.item_pos) for s in session.exec(select(Scene)))


def test_the_reference_position_is_never_last_and_always_a_with_two_options(engine, db_path):
    with Session(engine) as session:
        make_interaction_dataset(session, seed=5, n_users=40, per_user=(8, 25))
    base = ["--db", db_path, "scenes", "--dataset", "synth", "--count", "120", "--scorers", "random,popularity"]
    assert main([*base, "--min-exposure", "2", "--max-exposure", "5", "--position", "reference"]) == 0
    got = _positions(engine)
    assert sum(got.values()) == 120
    assert all(pos <= cnt - 2 for cnt, pos in got)  # randint(0, L-2): never the last option
    assert {pos for cnt, pos in got if cnt == 2} == {0}
    assert {pos for cnt, pos in got if cnt == 5} == {0, 1, 2, 3}
    with Session(engine) as session:
        assert all(s.option_sources[s.item_pos] == "target" for s in session.exec(select(Scene)))


def test_the_uniform_default_puts_the_truth_anywhere(engine, db_path):
    with Session(engine) as session:
        make_interaction_dataset(session, seed=5, n_users=40, per_user=(8, 25))
    args = ["--db", db_path, "scenes", "--dataset", "synth", "--count", "120", "--scorers", "random,popularity"]
    assert main([*args, "--min-exposure", "2", "--max-exposure", "5"]) == 0
    got = _positions(engine)
    assert {pos for cnt, pos in got if cnt == 2} == {0, 1}
    assert any(pos == cnt - 1 for cnt, pos in got)


def test_an_unknown_position_is_bad_input(engine, db_path, capsys):
    with Session(engine) as session:
        make_interaction_dataset(session, seed=5)
    with pytest.raises(BadInput, match="unknown position 'last'; use one of: uniform, reference"):
        build_scenes(engine=engine, dataset="synth", count=3, position="last")
    assert main(["--db", db_path, "scenes", "--dataset", "synth", "--count", "3", "--position", "last"]) == 2
    assert capsys.readouterr().err == "error: unknown position 'last'; use one of: uniform, reference\n"
    assert sum(_positions(engine).values()) == 0
