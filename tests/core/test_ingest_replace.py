"""--replace removes everything built on the old dataset, keeps other datasets and the LLM call log."""

from pathlib import Path

from sqlalchemy import text

from core.ingest import ingest
from storage.datasets import get_dataset, list_datasets
from storage.models import LlmCall, Review, Selection, SelectionItem
from tests.factories import make_dataset, make_rationale, make_scene

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def count(engine, table: str, where: str = "1 = 1") -> int:
    with engine.connect() as conn:
        return conn.execute(text(f'SELECT COUNT(*) FROM "{table}" WHERE {where}')).scalar()


def test_replace_drops_scenes_rationales_reviews_and_keeps_the_rest(engine, session):
    ingest(engine=engine, name="mt", fmt="movietweetings", path=SAMPLE)
    other = make_dataset(session, name="other")
    mt = get_dataset(session=session, name="mt")
    scene = make_scene(session, dataset=mt)
    kept_scene = make_scene(session, dataset=other)
    chosen = make_rationale(session, scene=scene, role="strong", sample_index=0, probs=[0.7, 0.1, 0.1, 0.1])
    rejected = make_rationale(session, scene=scene, role="weak", sample_index=0, probs=[0.1, 0.7, 0.1, 0.1])
    make_rationale(session, scene=kept_scene, role="strong", sample_index=0, probs=[0.7, 0.1, 0.1, 0.1])
    selection = Selection(name="sel", config={})
    session.add(selection)
    session.flush()
    session.add(
        SelectionItem(
            selection_id=selection.id,
            scene_id=scene.id,
            chosen_rationale_id=chosen.id,
            rejected_rationale_id=rejected.id,
            rank=0,
        )
    )
    session.add(Review(scene_id=scene.id, status="approved", reviewer="ann"))
    session.add(LlmCall(endpoint="e", model="m", prompt_hash="h", cache_key="k", scene_id=scene.id))
    session.commit()
    assert count(engine, "interaction", f"dataset_id = {mt.id}") == 4614 + 1

    report = ingest(engine=engine, name="mt", fmt="movietweetings", path=SAMPLE, replace=True, min_interactions=10)

    new = get_dataset(session=session, name="mt")
    assert [d.name for d in list_datasets(session=session)] == ["other", "mt"]
    assert new.id != mt.id and new.options == {"min_interactions": 10, "max_interactions": None}
    assert count(engine, "interaction", f"dataset_id = {new.id}") == report.interactions
    assert count(engine, "interaction", f"dataset_id = {mt.id}") == 0
    assert count(engine, "scene") == 1 and count(engine, "scene", f"id = {kept_scene.id}") == 1
    assert count(engine, "rationale") == 1 and count(engine, "rationaleversion") == 1
    assert count(engine, "prediction") == 1
    assert count(engine, "review") == 0 and count(engine, "selectionitem") == 0
    assert count(engine, "selection") == 1
    assert count(engine, "llmcall", "scene_id IS NULL") == 1
    assert count(engine, "user", f"dataset_id = {other.id}") == 3


def test_replace_reports_the_human_work_it_deletes(engine, session, capsys):
    from core.cli.ingest_cmd import replaced_message
    from core.cli.main import main
    from core.review import edit_rationale, set_review
    from core.verdicts import mark_rationale, set_pair
    from storage.datasets import delete_dataset
    from storage.db import bulk_transaction

    ingest(engine=engine, name="mt", fmt="movietweetings", path=SAMPLE)
    mt = get_dataset(session=session, name="mt")
    scenes = [make_scene(session, dataset=mt, user_index=k, timestamp=1_700_000_000 + k) for k in range(3)]
    rats = [
        make_rationale(session, scene=scene, role=role, sample_index=0, probs=[0.7, 0.1, 0.1, 0.1])
        for scene in scenes
        for role in ("strong", "weak")
    ]
    edit_rationale(session=session, rationale_id=rats[0].id, text="Evaluation: mine.\nBehavior: [A]", author="ann",
                   expected_version=1)  # fmt: skip
    edit_rationale(session=session, rationale_id=rats[3].id, text="Evaluation: too.\nBehavior: [B]", author="bo",
                   expected_version=1)  # fmt: skip
    set_review(session=session, scene_id=scenes[0].id, status="approved", reviewer="ann")
    set_review(session=session, scene_id=scenes[1].id, status="rejected", reviewer="ann")
    mark_rationale(session=session, rationale_id=rats[1].id, verdict="bad", reviewer="ann", reason="other")
    set_pair(session=session, scene_id=scenes[0].id, chosen_id=rats[0].id, rejected_id=rats[1].id, reviewer="ann")
    selection = Selection(name="sel", config={})
    session.add(selection)
    session.flush()
    session.add(SelectionItem(selection_id=selection.id, scene_id=scenes[0].id, chosen_rationale_id=rats[0].id,
                              rejected_rationale_id=rats[1].id, rank=0))  # fmt: skip
    session.commit()
    n_interactions = count(engine, "interaction", f"dataset_id = {mt.id}")
    expected = {
        "edited_rationales": 2, "selection_items": 1, "predictions": 6, "rationale_versions": 6 + 2,
        "rationale_verdicts": 1, "human_pairs": 1,
        "rationales": 6, "reviews": 2, "scores": 0, "scenes": 3, "interactions": n_interactions,
        "users": 503, "items": 3096,
    }  # fmt: skip
    assert n_interactions == 4614 + 3
    report = ingest(engine=engine, name="mt", fmt="movietweetings", path=SAMPLE, replace=True)
    assert report.replaced == expected
    assert replaced_message("mt", report.replaced) == (
        "replaced dataset 'mt': deleted 3 scenes, 2 reviews, 2 edited rationales (6 rationales, 1 selection items)"
    )
    assert count(engine, "scene") == count(engine, "review") == count(engine, "rationale") == 0

    assert main(["ingest", str(SAMPLE), "--dataset", "mt", "--format", "movietweetings", "--replace"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "replaced dataset 'mt': deleted 0 scenes, 0 reviews, 0 edited rationales (0 rationales, 0 selection items)"
    )
    assert out[1].startswith("ingested 'mt' (movietweetings)")
    assert count(engine, "scene") == count(engine, "review") == count(engine, "rationale") == 0

    new = get_dataset(session=session, name="mt")
    with bulk_transaction(engine=engine) as conn:
        deleted = delete_dataset(conn=conn, dataset_id=new.id)
    assert deleted == expected | {
        "edited_rationales": 0, "selection_items": 0, "predictions": 0, "rationale_versions": 0, "rationales": 0,
        "rationale_verdicts": 0, "human_pairs": 0,
        "reviews": 0, "scenes": 0, "interactions": 4614,
    }  # fmt: skip
    assert count(engine, "dataset") == 0
