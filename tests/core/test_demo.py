"""The demo workspace end to end on the embedded model (slow: starts llama.cpp once)."""

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.demo import DEMO_DATASET, DEMO_SELECTION, DemoConfig, build_demo
from storage.status import status


@pytest.mark.slow
def test_demo_builds_a_scored_selected_reviewed_workspace_and_a_rerun_makes_no_call(engine):
    config = DemoConfig(train_scenes=3, eval_scenes=1, n=2, max_tokens=24, reviews=3)
    seen: list[tuple[int, int, str]] = []
    from core.progress import Progress

    build_demo(engine=engine, config=config, progress=Progress(callback=lambda d, t, label: seen.append((d, t, label))))
    with Session(engine) as session:
        first = status(session=session)
    ds = first["datasets"][DEMO_DATASET]
    assert ds["scenes"] == {"train": 3, "eval": 1}
    assert ds["rationales"] == {"strong": 8, "weak": 8}
    with engine.connect() as conn:
        failed_predictions = conn.execute(
            text("SELECT COUNT(DISTINCT item_key) FROM llmcall WHERE stage = 'predict' AND status = 'error'")
        ).scalar()
        calls = conn.execute(text("SELECT COUNT(*) FROM llmcall")).scalar()
        # strong and weak sample at different temperatures, so no rationale answer is shared through the cache
        rationale_calls = conn.execute(
            text("SELECT COUNT(DISTINCT cache_key) FROM llmcall WHERE stage = 'rationale' AND status = 'ok'")
        ).scalar()
        reviews = conn.execute(text("SELECT status FROM review ORDER BY id")).scalars().all()
    assert ds["predictions"]["strong"] + ds["predictions"]["weak"] + failed_predictions == 16
    assert rationale_calls == 16
    assert DEMO_SELECTION in first["selections"]
    kept = first["selections"][DEMO_SELECTION]["scenes"]
    expected = ["approved"] * min(kept, 3)
    if len(expected) > 1:
        expected[-1] = "rejected"
    assert reviews == expected
    assert [label for _, _, label in seen if label in ("ingest", "scores", "reviews")] == [
        "ingest",
        "scores",
        "reviews",
    ]

    build_demo(engine=engine, config=config)
    with Session(engine) as session:
        second = status(session=session)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM llmcall WHERE status = 'ok'")).scalar() <= calls
        assert conn.execute(text("SELECT COUNT(*) FROM scene")).scalar() == 4
    assert second["datasets"] == first["datasets"]
