"""The demo workspace end to end on the embedded model (slow: starts llama.cpp once)."""

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.demo import DEMO_DATASET, DEMO_SELECTION, DemoConfig, DemoReport, build_demo
from core.review import set_review
from storage.reviews import get_review
from storage.status import status

STAGES = ("ingest", "scenes", "model start", "strong rationales", "weak rationales", "predictions", "model stop")
STAGES += ("scores", "reviews")


def test_the_demo_prints_each_stage_time_and_the_total():
    report = DemoReport(seconds={"ingest": 0.25, "model start": 6.0, "strong rationales": 80.04})
    assert report.times() == "stage times: ingest 0.2 s, model start 6.0 s, strong rationales 80.0 s; total 86.3 s"


@pytest.mark.slow
@pytest.mark.sqlite_only  # minutes of embedded-model work: once; the pipeline on PostgreSQL is the fault-server tests
def test_demo_builds_a_scored_selected_reviewed_workspace_and_a_rerun_only_retries_failures(engine):
    config = DemoConfig(train_scenes=3, eval_scenes=1, n=2, max_tokens=100, reviews=3)
    seen: list[tuple[int, int, str]] = []
    from core.progress import Progress

    report = build_demo(
        engine=engine, config=config, progress=Progress(callback=lambda d, t, label: seen.append((d, t, label)))
    )
    assert list(report.seconds) == list(STAGES) and all(v >= 0 for v in report.seconds.values())
    with Session(engine) as session:
        first = status(conn=session.connection())
    ds = first["datasets"][DEMO_DATASET]
    assert ds["scenes"] == {"train": 3, "eval": 1}
    assert ds["rationales"] == {"strong": 6, "weak": 6}  # train scenes only: the eval scene stays untouched
    with engine.connect() as conn:
        failed_predictions = conn.execute(
            text("SELECT COUNT(DISTINCT item_key) FROM llmcall WHERE stage = 'predict' AND status = 'error'")
        ).scalar()
        # strong and weak sample at different temperatures, so no rationale answer is shared through the cache
        rationale_calls = conn.execute(
            text("SELECT COUNT(DISTINCT cache_key) FROM llmcall WHERE stage = 'rationale' AND status = 'ok'")
        ).scalar()
        reviews = conn.execute(text("SELECT status FROM review ORDER BY id")).scalars().all()
        on_eval = conn.execute(
            text("SELECT COUNT(*) FROM rationale r JOIN scene s ON s.id = r.scene_id WHERE s.split = 'eval'")
        ).scalar()
    assert ds["predictions"]["strong"] + ds["predictions"]["weak"] + failed_predictions == 12
    assert rationale_calls == 12 and on_eval == 0
    # decoding was constrained to the scenes' format on the embedded model: (nearly) every rationale parses cleanly
    with engine.connect() as conn:
        decoded = conn.execute(text("SELECT decoding, problems FROM rationale")).all()
    assert {decoding for decoding, _ in decoded} == {"format"}
    clean = sum(1 for _, problems in decoded if problems in ("[]", [], None))
    assert clean / len(decoded) >= 0.95, [problems for _, problems in decoded]
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

    # a human overrules the demo's first verdict; the rerun must keep it and make no new call
    with Session(engine) as session:
        scene_id = session.execute(
            text("SELECT COALESCE((SELECT scene_id FROM review ORDER BY id LIMIT 1), (SELECT MIN(id) FROM scene))")
        ).scalar()
        review = get_review(session=session, scene_id=scene_id)
        set_review(
            session=session,
            scene_id=scene_id,
            status="rejected",
            reviewer="ada",
            note="wrong pair",
            expected_version=review.version if review else 0,
        )
    with engine.connect() as conn:
        last_call = conn.execute(text("SELECT MAX(id) FROM llmcall")).scalar()
        failed_items = set(
            conn.execute(text("SELECT item_key FROM llmcall WHERE status = 'error'")).scalars().all()
        ) - set(conn.execute(text("SELECT item_key FROM llmcall WHERE status = 'ok'")).scalars().all())
        reviews_before = conn.execute(text("SELECT scene_id, status, reviewer, note FROM review ORDER BY id")).all()

    build_demo(engine=engine, config=config)
    with Session(engine) as session:
        second = status(conn=session.connection())
    with engine.connect() as conn:
        # only items that had failed are asked again; finished ones come from the database
        rerun_items = conn.execute(text("SELECT item_key FROM llmcall WHERE id > :last"), {"last": last_call})
        assert set(rerun_items.scalars().all()) <= failed_items
        assert conn.execute(text("SELECT COUNT(*) FROM scene")).scalar() == 4
        reviews_after = conn.execute(text("SELECT scene_id, status, reviewer, note FROM review ORDER BY id")).all()
    assert reviews_after == reviews_before
    assert (scene_id, "rejected", "ada", "wrong pair") in reviews_after
    if not failed_items:
        assert second["datasets"] == first["datasets"]
        assert second["selections"][DEMO_SELECTION]["scenes"] == kept
