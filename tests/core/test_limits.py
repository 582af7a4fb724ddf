"""Valid ranges (core/limits.py): exact rules and messages, the Python API refuses out-of-range arguments before any
run row is written, and README's "Valid ranges" table is the module's own."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session, select

from core.errors import BadInput
from core.ingest.tables import years_to_ts
from core.limits import FIRST_RELEASE, LAST_SECOND, LIMITS, SEED, TIMEOUT, TIMESTAMP, YEAR, readme_table
from storage.models import Run
from tests.factories import make_interaction_dataset

README = Path(__file__).resolve().parents[2] / "README.md"


def test_bounds_are_the_calendar_they_claim():
    assert years_to_ts(pd.Series([-9999])).iloc[0] == FIRST_RELEASE
    assert TIMESTAMP.low == years_to_ts(pd.Series([1])).iloc[0]
    assert years_to_ts(pd.Series([10000])).iloc[0] == LAST_SECOND + 1


def test_rules_and_messages_are_exact():
    assert SEED.rule() == "a whole number from 0 to 9,223,372,036,854,775,807"
    assert TIMEOUT.rule() == "a number more than 0 up to 86,400"
    assert TIMESTAMP.rule() == (
        "a number from -62,135,596,800 to 253,402,300,799 (0001-01-01 to 9999-12-31 23:59:59 UTC)"
    )
    with pytest.raises(BadInput) as caught:
        SEED.check(2**63, label="--seed")
    assert str(caught.value) == f"--seed must be {SEED.rule()} (got {2**63})"
    assert [SEED.contains(v) for v in (0, 2**63 - 1, 2**63, -1, 1.0, True, "1")] == [1, 1, 0, 0, 1, 0, 0]
    assert [TIMEOUT.contains(v) for v in (0, 1e-9, 86_400, float("nan"), float("inf"))] == [0, 1, 1, 0, 0]
    values = np.array([-9999, 9999, 10000, 1995.5, np.nan, np.inf])
    assert YEAR.outside(values).tolist() == [False, False, True, True, True, True]


def test_readme_lists_every_valid_range():
    assert readme_table() in README.read_text(encoding="utf-8")
    assert len(LIMITS) == len({(r.doc, r.name) for r in LIMITS})


def _runs(engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(Run)).all())


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda e: _scenes(e, seed=-1), "--seed must be a whole number from 0"),
        (lambda e: _scenes(e, seed=2**63), "--seed must be a whole number from 0"),
        (lambda e: _scenes(e, count=10**12), "--count must be a whole number from 1 to 10,000,000"),
        (lambda e: _scenes(e, history_max=10**6), "--history-max must be a whole number from 1 to 1,000"),
        (lambda e: _rationales(e, n=0), "--n must be a whole number from 1 to 1,000"),
        (lambda e: _rationales(e, temperature=float("nan")), "--temperature must be a number from 0 to 2 (got nan)"),
        (lambda e: _rationales(e, max_tokens=10**9), "--max-tokens must be a whole number from 1 to 1,000,000"),
        (lambda e: _rationales(e, limit=0), "--limit must be a whole number from 1"),
        (lambda e: _predict(e, seed=-5), "--seed must be a whole number from 0"),
        (lambda e: _predict(e, samples=10**6), "--samples must be a whole number from 1 to 1,000"),
    ],
)
def test_stages_refuse_bad_arguments_before_a_run_row(engine, call, message):
    with Session(engine) as s:
        make_interaction_dataset(s, seed=1)
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(engine)
    assert _runs(engine) == 0


def _scenes(engine, **change):
    from core.scenes import build_scenes

    return build_scenes(engine=engine, **{"dataset": "synth", "count": 5, **change})


def _rationales(engine, **change):
    from core.rationales import generate_rationales

    return generate_rationales(engine=engine, **{"role": "strong", "endpoint": "local", **change})


def _predict(engine, **change):
    from core.predict import predict

    return predict(engine=engine, **{"role": "strong", "endpoint": "local", **change})


def test_settings_numbers_outside_their_range_are_refused(monkeypatch):
    from core.settings import load_settings

    monkeypatch.setenv("MIRROR_LOCAL_CTX", "-1")
    with pytest.raises(BadInput) as caught:
        load_settings()
    assert (
        str(caught.value)
        == "environment variable MIRROR_LOCAL_CTX must be a whole number from 256 to 1,048,576 (got -1)"
    )
