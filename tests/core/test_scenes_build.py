"""build_scenes end to end on random synthetic datasets: the DESIGN.md §2 properties over many seeds."""

import re

import numpy as np
import pytest
from sqlmodel import Session, select

from core.errors import BadInput, NotFound
from core.scenes import build_scenes
from storage.db import get_engine
from storage.models import Dataset, Interaction, Item, Run, Scene
from storage.scenes import get_scene, split_counts
from tests.factories import make_interaction_dataset

SEEDS = range(30)


def fresh_engine(tmp_path, tag: str, **data):
    engine = get_engine(str(tmp_path / f"{tag}.db"))
    with Session(engine) as session:
        make_interaction_dataset(session, **data)
    return engine


def scenes_of(engine) -> list[Scene]:
    with Session(engine) as session:
        return list(session.exec(select(Scene).order_by(Scene.id)))


def facts(engine):
    with Session(engine) as session:
        inter = [(i.id, i.user_id, i.item_id, i.timestamp, i.impressions) for i in session.exec(select(Interaction))]
        release = {i.id: i.release_ts for i in session.exec(select(Item))}
    return inter, release


def content(scene: Scene) -> tuple:
    return (
        scene.interaction_id,
        scene.split,
        scene.profile,
        tuple(scene.history),
        tuple(scene.history_item_ids),
        tuple(scene.exposure_item_ids),
        tuple(scene.options),
        tuple(scene.option_sources),
        scene.item_pos,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_scene_properties_hold_for_every_seed(tmp_path, seed):
    engine = fresh_engine(tmp_path, f"s{seed}", seed=seed, n_users=12, n_items=60, impression_share=0.15)
    report = build_scenes(engine=engine, dataset="synth", count=40, seed=seed, min_exposure=3, max_exposure=9)
    scenes = scenes_of(engine)
    assert report.created == len(scenes) == 40 and report.requested == 40
    inter, release = facts(engine)
    by_id = {row[0]: row for row in inter}
    for scene in scenes:
        _, user, item, ts, impressions = by_id[scene.interaction_id]
        assert (scene.user_id, scene.item_id, scene.timestamp) == (user, item, ts)
        mine = sorted((t, i, it) for i, u, it, t, _ in inter if u == user)
        earlier = [(t, i, it) for t, i, it in mine if t < ts]
        assert len(earlier) >= 3
        # history: strictly before the target time, the most recent k, oldest first
        assert 2 <= len(scene.history_item_ids) == len(scene.history) <= 10
        assert scene.history_item_ids == [it for _, _, it in earlier[-len(scene.history_item_ids) :]]
        # the true item exactly once, at item_pos
        exposure = scene.exposure_item_ids
        assert exposure.count(item) == 1 and exposure[scene.item_pos] == item
        assert scene.option_sources[scene.item_pos] == "target" and scene.option_sources.count("target") == 1
        assert scene.choice_cnt == len(exposure) == len(scene.options) == len(scene.option_sources)
        assert 3 <= scene.choice_cnt <= 9
        if impressions:
            assert set(scene.option_sources) == {"target", "impression"}
            full = list(dict.fromkeys(impressions))
            assert exposure == (full if len(full) <= 9 else [i for i in full if i in exposure])
            assert len(exposure) == min(9, len(full))
            continue
        ever = {it for _, u, it, _, _ in inter if u == user}
        assert not (set(exposure) - {item}) & ever
        assert all(release[i] is None or release[i] <= ts for i in exposure if i != item)
        assert set(scene.option_sources) - {"target"} <= {"random", "popularity", "collaborative", "content"}
        assert len(set(exposure)) == len(exposure)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_seed_same_scenes_other_seed_different(tmp_path, seed):
    runs = {}
    for tag, build_seed in (("a", seed), ("b", seed), ("c", seed + 100)):
        engine = fresh_engine(tmp_path, f"{tag}{seed}", seed=5, impression_share=0.1)
        build_scenes(engine=engine, dataset="synth", count=60, seed=build_seed)
        runs[tag] = [content(s) for s in scenes_of(engine)]
    assert runs["a"] == runs["b"] and len(runs["a"]) == 60
    assert runs["a"] != runs["c"]


def test_real_impressions_are_the_exposure_in_their_order(tmp_path):
    # 400 items, few interactions: most shown items were never interacted with and must still be shown
    engine = fresh_engine(tmp_path, "imp", seed=3, n_items=400, impression_share=1.0)
    build_scenes(engine=engine, dataset="synth", count=50, seed=0, max_exposure=26)
    inter, _ = facts(engine)
    shown = {row[0]: row[4] for row in inter}
    scenes = scenes_of(engine)
    assert len(scenes) == 50
    for scene in scenes:
        assert scene.exposure_item_ids == list(dict.fromkeys(shown[scene.interaction_id]))
        assert scene.item_pos == shown[scene.interaction_id].index(scene.item_id)


def test_long_impressions_are_sampled_keeping_their_order(tmp_path):
    engine = fresh_engine(tmp_path, "imp", seed=4, impression_share=1.0)
    build_scenes(engine=engine, dataset="synth", count=50, seed=0, max_exposure=4, min_exposure=2)
    inter, _ = facts(engine)
    shown = {row[0]: row[4] for row in inter}
    for scene in scenes_of(engine):
        full = list(dict.fromkeys(shown[scene.interaction_id]))
        assert scene.exposure_item_ids == [i for i in full if i in scene.exposure_item_ids]
        assert scene.choice_cnt == min(4, len(full))


def test_splits_never_share_a_target_and_asking_too_much_says_why(tmp_path):
    engine = fresh_engine(tmp_path, "split", seed=9, n_users=5, n_items=40, per_user=(6, 8))
    first = build_scenes(engine=engine, dataset="synth", count=10, split="train", seed=0)
    second = build_scenes(engine=engine, dataset="synth", count=1000, split="eval", seed=0)
    scenes = scenes_of(engine)
    assert first.created == 10 and second.created == len(scenes) - 10 == second.eligible < 1000
    assert len({s.interaction_id for s in scenes}) == len(scenes)
    assert second.message == (
        f"built {second.created} of 1000 requested eval scenes for dataset 'synth'; only {second.eligible} "
        "eligible targets (interactions with at least 3 earlier interactions by the same user, "
        "not already the target of a scene)"
    )
    with Session(engine) as session:
        assert split_counts(session=session) == {"train": 10, "eval": second.created}
        assert get_scene(session=session, scene_id=scenes[0].id).interaction_id == scenes[0].interaction_id
        assert get_scene(session=session, scene_id=10**9) is None
    again = build_scenes(engine=engine, dataset="synth", count=5, split="train", seed=1)
    assert again.created == 0 and "only 0 eligible targets" in again.message


def test_scorer_choice_and_rendered_options(tmp_path):
    engine = fresh_engine(tmp_path, "one", seed=2)
    build_scenes(
        engine=engine, dataset="synth", count=20, seed=0, scorers=["popularity"], min_exposure=5, prompt_style="studio"
    )
    with Session(engine) as session:
        titles = {i.id: i.title for i in session.exec(select(Item))}
    for scene in scenes_of(engine):
        assert set(scene.option_sources) == {"target", "popularity"}
        assert re.fullmatch(
            r"Gender: (female|male); Age: 25-34\. \d+ earlier ratings since 2001; "
            r"favourite genres: [A-Za-z-]+(, [A-Za-z-]+){0,2}; mean rating \d(\.\d\d?)?/5",
            scene.profile,
        ), scene.profile
        for item, text in zip(scene.exposure_item_ids, scene.options, strict=True):
            assert text.startswith(f"{titles[item]} (1990) | genres: ")
        assert all(" | rated " in entry for entry in scene.history)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"count": 0}, "--count must be a whole number from 1 to 10,000,000 (got 0)"),
        ({"split": "test"}, "--split must be train or eval (got 'test')"),
        ({"min_exposure": 1}, "exposure length range [1, 12] is invalid: need 2 <= min <= max <= 26"),
        ({"min_exposure": 8, "max_exposure": 4}, "exposure length range [8, 4] is invalid: need 2 <= min <= max <= 26"),
        (
            {"scorers": ["random", "magic"]},
            "unknown scorer(s) magic; choose from random, popularity, collaborative, content",
        ),
    ],
)
def test_bad_options_write_nothing(tmp_path, kwargs, message):
    engine = fresh_engine(tmp_path, "bad", seed=1)
    with pytest.raises(BadInput) as err:
        build_scenes(engine=engine, dataset="synth", **{"count": 5, **kwargs})
    assert str(err.value) == message
    assert scenes_of(engine) == []


def test_unknown_dataset(tmp_path):
    engine = fresh_engine(tmp_path, "none", seed=1)
    with pytest.raises(NotFound, match="dataset 'nope' not found"):
        build_scenes(engine=engine, dataset="nope", count=5)


def test_items_released_later_are_never_offered(tmp_path):
    engine = fresh_engine(tmp_path, "rel", seed=6, release_share=1.0)
    build_scenes(engine=engine, dataset="synth", count=80, seed=0)
    _, release = facts(engine)
    scenes = scenes_of(engine)
    assert scenes and all(release[i] <= s.timestamp for s in scenes for i in s.exposure_item_ids if i != s.item_id)
    assert np.mean([s.choice_cnt for s in scenes]) > 2


def test_targets_without_enough_candidates_are_replaced_or_reported(tmp_path):
    engine = fresh_engine(tmp_path, "dense", seed=8, n_users=20, n_items=10, per_user=(5, 9), release_share=0.0)
    report = build_scenes(engine=engine, dataset="synth", count=1000, seed=0, min_exposure=4, max_exposure=6)
    scenes = scenes_of(engine)
    assert report.created == len(scenes) == report.eligible - report.skipped and report.skipped > 0
    assert all(4 <= s.choice_cnt <= 6 for s in scenes)
    assert report.message.endswith(
        f"; {report.skipped} targets skipped: fewer than 4 options left after removing items the user interacted "
        "with and items released after the target time (or a shorter impression list)"
    )


def test_a_run_is_recorded(tmp_path):
    engine = fresh_engine(tmp_path, "run", seed=1)
    report = build_scenes(engine=engine, dataset="synth", count=7, seed=0)
    with Session(engine) as session:
        (run,) = session.exec(select(Run)).all()
    assert (run.kind, run.status, run.total, run.done, run.message) == ("scenes", "done", 7, 7, report.message)
    assert run.params["scorers"] == ["random", "popularity", "collaborative", "content"]


def test_empty_dataset_and_items_without_features(tmp_path):
    engine = get_engine(str(tmp_path / "edge.db"))
    with Session(engine) as session:
        ds = Dataset(name="empty", format="unified")
        session.add(ds)
        session.commit()
        session.add(Item(dataset_id=ds.id, external_id="x", title="", features=None))
        session.commit()
        make_interaction_dataset(session, name="few", n_users=2, n_items=4, per_user=(4, 4))
    empty = build_scenes(engine=engine, dataset="empty", count=5)
    assert (empty.created, empty.eligible) == (0, 0)
    few = build_scenes(engine=engine, dataset="few", count=5)
    assert (few.created, few.eligible, few.skipped) == (0, 2, 2)
    assert scenes_of(engine) == []


def test_longer_history_minimum_needs_more_earlier_interactions(tmp_path):
    engine = fresh_engine(tmp_path, "hist", seed=4)
    report = build_scenes(engine=engine, dataset="synth", count=10_000, seed=0, history_min=6, history_max=6)
    scenes = scenes_of(engine)
    assert scenes and all(len(s.history) == 6 for s in scenes)
    assert "at least 6 earlier interactions" in report.message
