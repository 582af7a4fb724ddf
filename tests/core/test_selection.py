"""Selection: hand-worked behaviour sampling, stratified quotas with exact scene ids, thresholds, CLI exit codes."""

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from core.cli.main import main
from core.errors import BadInput
from core.scoring import score
from core.selection import SelectionConfig, candidates, preview_selection, save_selection
from storage.models import Selection, SelectionItem
from tests.factories import make_dataset, make_rationale, make_scene

P_HIGH = [0.8, 0.1, 0.1]  # H = 0.922 bits
P_MID = [0.6, 0.2, 0.2]  # H = 1.371
P_FLAT = [0.4, 0.3, 0.3]  # H = 1.571


def scene_with(session, ds, strong: list[tuple[list, int]], weak: list[tuple[list, int]], **kw):
    """A scene with the true item at A and rationales given as (probs, sampled behaviour index); returns ids."""
    scene = make_scene(session, dataset=ds, choice_cnt=len((strong or weak)[0][0]), item_pos=0, **kw)
    ids = {}
    for role, specs in (("strong", strong), ("weak", weak)):
        for j, (probs, behaviour) in enumerate(specs):
            rat = make_rationale(session, scene=scene, role=role, sample_index=j, probs=probs, behavior_index=behaviour)
            ids[role, j] = rat.id
    return scene.id, ids


@pytest.fixture
def sampling(session, engine):
    """Five scenes, one per behaviour-sampling outcome."""
    ds = make_dataset(session)
    s1 = scene_with(
        session,
        ds,
        strong=[(P_MID, 0), (P_HIGH, 0), ([0.1, 0.8, 0.1], 1)],
        weak=[(P_FLAT, 1), ([0.34, 0.33, 0.33], 2)],
    )
    s2 = scene_with(session, ds, strong=[(P_HIGH, 1)], weak=[(P_FLAT, 2)])
    s3 = scene_with(session, ds, strong=[(P_HIGH, 2)], weak=[(P_MID, 0)])
    s4 = scene_with(session, ds, strong=[(P_HIGH, 0)], weak=[(P_MID, 0)])
    s5 = scene_with(session, ds, strong=[(P_MID, 0), (P_MID, 0)], weak=[(P_FLAT, 1), (P_FLAT, 2)])
    score(engine=engine)
    return s1, s2, s3, s4, s5


def test_behaviour_sampling_picks_lowest_entropy_pairs_and_names_each_drop(sampling, engine):
    (s1, ids1), (s2, _), (s3, _), (s4, _), (s5, ids5) = sampling
    result = preview_selection(engine=engine, config=SelectionConfig(target=100))
    pairs = {r.scene_id: (r.chosen_rationale_id, r.rejected_rationale_id) for r in result.kept.itertuples()}
    # s1: chosen = strong #1 (H .922 < 1.371); rejected = the wrong strong #2 (H .922) beats both wrong weak ones
    # s5: equal entropies everywhere -> the lower rationale id wins
    assert pairs == {s1: (ids1["strong", 1], ids1["strong", 2]), s5: (ids5["strong", 0], ids5["weak", 0])}
    assert result.drops == {"no correct rationale": 1, "no chosen": 1, "no rejected": 1, "over quota": 0}
    assert result.notes == ["1 scenes had correct rationales only among weak ones (no chosen)"]
    assert result.considered == 5
    assert {s2, s3, s4}.isdisjoint(pairs)


def test_preview_writes_nothing_and_save_is_deterministic(sampling, engine, session):
    preview_selection(engine=engine, config=SelectionConfig(name="p", target=100))
    assert session.exec(select(func.count()).select_from(Selection)).one() == 0
    first = save_selection(engine=engine, config=SelectionConfig(name="p", target=100))
    items = session.exec(select(SelectionItem.scene_id, SelectionItem.rank).order_by(SelectionItem.rank)).all()
    again = save_selection(engine=engine, config=SelectionConfig(name="p", target=100), replace=True)
    assert first.kept["scene_id"].tolist() == again.kept["scene_id"].tolist()
    assert session.exec(select(SelectionItem.scene_id, SelectionItem.rank).order_by(SelectionItem.rank)).all() == items
    stored = session.exec(select(Selection)).one()
    assert stored.config["target"] == 100 and stored.report["drops"]["no chosen"] == 1
    assert again.selection_id == first.selection_id == stored.id


@pytest.fixture
def groups(session, engine):
    """10 scenes with valid pairs in 3 groups; diff_model set by hand. Returns {label: scene_id}."""
    toy, other = make_dataset(session, name="toy"), make_dataset(session, name="toy2")
    values = {"a1": 0.9, "a2": 0.8, "a3": 0.7, "a4": 0.6, "a5": 0.5, "a6": 0.4, "b1": 0.95, "b2": 0.3, "b3": 0.2}
    values["c1"] = 0.1
    ids = {}
    for label in values:
        ds, cnt = (other, 2) if label[0] == "c" else (toy, 2 if label[0] == "a" else 3)
        probs = [0.7, 0.3] if cnt == 2 else [0.7, 0.2, 0.1]
        scene_id, _ = scene_with(session, ds, strong=[(probs, 0)], weak=[(probs, 1)])
        ids[label] = scene_id
    score(engine=engine)
    for label, value in values.items():
        session.execute(text("UPDATE score SET diff_model = :v WHERE scene_id = :s"), {"v": value, "s": ids[label]})
    session.commit()
    return ids


def kept_labels(result, ids):
    back = {v: k for k, v in ids.items()}
    return [back[s] for s in result.kept["scene_id"]]


def test_stratified_quotas_cut_the_deepest_places_first(groups, engine):
    # N = 10, target 5: quotas ceil(6/10*5)=3, ceil(3/10*5)=2, ceil(1/10*5)=1 -> 6; the one extra is a3 (depth 3)
    result = preview_selection(engine=engine, config=SelectionConfig(target=5))
    assert kept_labels(result, groups) == ["b1", "a1", "a2", "b2", "c1"]
    assert result.kept["rank"].tolist() == [1, 2, 3, 4, 5]
    assert result.drops["over quota"] == 5
    assert result.kept_by_group == {("toy", 2): 2, ("toy", 3): 2, ("toy2", 2): 1}
    # every considered scene's outcome, for the Filter histogram: "" = kept, else its drop reason
    assert result.reasons.value_counts().to_dict() == {"": 5, "over quota": 5}
    kept_ids = set(result.kept["scene_id"])
    assert kept_ids == set(result.reasons.index[result.reasons == ""].map(candidates(engine=engine)["scene_id"]))
    # target 7: quotas 5, 3, 1 -> 9; levels 0-2 hold exactly 7, so a4 and a5 (depths 3, 4) are cut
    result = preview_selection(engine=engine, config=SelectionConfig(target=7))
    assert kept_labels(result, groups) == ["b1", "a1", "a2", "a3", "b2", "b3", "c1"]


def test_ascending_ranking_and_thresholds(groups, engine):
    result = preview_selection(engine=engine, config=SelectionConfig(target=5, ascending=True))
    assert kept_labels(result, groups) == ["c1", "b3", "b2", "a6", "a5"]
    config = SelectionConfig(target=100, mins={"diff_model": 0.25}, maxs={"diff_model": 0.9})
    result = preview_selection(engine=engine, config=config)
    assert kept_labels(result, groups) == ["a1", "a2", "a3", "a4", "a5", "a6", "b2"]
    assert result.drops["below min diff_model"] == 2 and result.drops["above max diff_model"] == 1
    assert result.reasons.value_counts().to_dict() == {"": 7, "below min diff_model": 2, "above max diff_model": 1}
    assert result.kept["rank_value"].tolist() == [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]


def test_equal_rank_values_go_to_the_lower_scene_id(groups, engine, session):
    session.execute(text("UPDATE score SET diff_model = 0.5"))
    session.commit()
    result = preview_selection(engine=engine, config=SelectionConfig(name="tie", target=100, mins={"n_weak": 1}))
    assert result.kept["scene_id"].tolist() == sorted(groups.values())


@pytest.mark.parametrize(
    "config, message",
    [
        (SelectionConfig(column="nope"), "unknown score column 'nope' in ranking column; valid columns: n_strong"),
        (SelectionConfig(mins={"bogus": 1}), "unknown score column 'bogus' in min"),
        (SelectionConfig(mins={"diff_model": 0.5}, maxs={"diff_model": 0.1}), "min diff_model=0.5 is greater than"),
        (SelectionConfig(target=0), r"target must be a whole number from 1 to 10,000,000 \(got 0\)"),
    ],
)
def test_bad_configs_raise_bad_input(groups, engine, config, message):
    with pytest.raises(BadInput, match=message):
        save_selection(engine=engine, config=config)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--max", "foo=1"], "unknown score column 'foo' in max"),
        (["--min", "diff_model=0.5", "--max", "diff_model=0.1"], "min diff_model=0.5 is greater than max"),
        (["--min", "diff_model"], "--min 'diff_model': expected COLUMN=VALUE"),
        (["--min", "diff_model=high"], "'high' is not a number"),
        (["--column", "weak"], "unknown score column 'weak'"),
    ],
)
def test_cli_bad_thresholds_exit_2_and_change_nothing(groups, session, capsys, argv, message):
    assert main(["select", "--name", "kept", "--target", "3"]) == 0
    before = session.exec(select(SelectionItem.scene_id).order_by(SelectionItem.rank)).all()
    capsys.readouterr()
    assert main(["select", "--name", "kept", "--replace", *argv]) == 2
    assert message in capsys.readouterr().err
    session.expire_all()
    assert session.exec(select(SelectionItem.scene_id).order_by(SelectionItem.rank)).all() == before
    assert session.exec(select(Selection.config)).one()["target"] == 3


def test_cli_select_prints_groups_and_drops_and_needs_replace(groups, capsys):
    assert main(["select", "--name", "s", "--target", "5"]) == 0
    out = capsys.readouterr().out
    assert "kept 5 of 10 scored scenes" in out
    assert "  toy\t2\t2\n  toy\t3\t2\n  toy2\t2\t1\n" in out
    assert "  no correct rationale: 0\n" in out and "  over quota: 5\n" in out
    assert main(["select", "--name", "s", "--target", "2"]) == 2
    assert "selection 's' already exists; use --replace" in capsys.readouterr().err
    assert main(["select", "--name", "s", "--target", "2", "--replace"]) == 0


def test_preview_uses_the_callers_frame_until_it_reads_again(sampling, engine, session):
    (s1, ids1), *_ = sampling
    held = candidates(engine=engine)
    before = preview_selection(engine=engine, config=SelectionConfig(target=100), frame=held)
    assert s1 in before.kept["scene_id"].tolist()
    # scene 1's strong rationales now all sample a wrong option (its weak ones already did): no correct rationale
    session.execute(text("UPDATE prediction SET behavior_index = 2 WHERE scene_id = :s AND role = 'strong'"), {"s": s1})
    session.commit()
    score(engine=engine)
    assert preview_selection(engine=engine, config=SelectionConfig(target=100), frame=held).kept.equals(before.kept)
    after = preview_selection(engine=engine, config=SelectionConfig(target=100))
    assert s1 not in after.kept["scene_id"].tolist() and after.drops["no correct rationale"] == 2


def test_selection_reads_the_pairs_stored_by_score_not_the_predictions(sampling, engine, session):
    (s1, ids1), *_ = sampling
    before = preview_selection(engine=engine, config=SelectionConfig(target=100))
    session.execute(text("DELETE FROM prediction"))
    session.commit()
    assert preview_selection(engine=engine, config=SelectionConfig(target=100)).kept.equals(before.kept)
    stored = session.execute(
        text("SELECT chosen_rationale_id, rejected_rationale_id FROM score WHERE scene_id = :s"), {"s": s1}
    ).one()
    assert tuple(stored) == (ids1["strong", 1], ids1["strong", 2])


def test_a_running_score_run_does_not_change_the_cache_version(sampling, engine, session):
    from storage.runs import finish_run, start_run
    from storage.scores import data_version

    done = data_version(session=session)
    run = start_run(session=session, kind="score", total=3)
    assert data_version(session=session) == done
    finish_run(session=session, run_id=run.id)
    assert data_version(session=session) == (run.id,) != done
