"""The app's listing queries: filters, presets, search escaping, SQL paging and sorting, neighbours, one scene."""

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from core.errors import BadInput
from storage.browse import (
    SceneFilter,
    SceneOrder,
    count_scenes,
    like_pattern,
    list_scenes,
    neighbours,
    score_ranges,
)
from storage.browse_detail import scene_detail
from storage.models import Review, Scene, Score
from tests.factories import make_dataset, make_scene, make_workspace


@pytest.fixture
def ids(session) -> list[int]:
    return [scene.id for scene in make_workspace(session)]


def test_filters_and_presets_count_exactly(session, ids):
    session.add(Review(scene_id=ids[2], status="approved"))
    session.commit()
    assert count_scenes(session=session, flt=SceneFilter()) == 8
    assert count_scenes(session=session, flt=SceneFilter(choice_cnt=4)) == 4
    assert count_scenes(session=session, flt=SceneFilter(status="approved")) == 1
    assert count_scenes(session=session, flt=SceneFilter(status="pending")) == 7
    assert count_scenes(session=session, flt=SceneFilter(selection="sel")) == 4
    assert count_scenes(session=session, flt=SceneFilter(selection="missing")) == 0
    page = list_scenes(session=session, flt=SceneFilter(preset="strong right, weak wrong"))
    assert page.rows["scene_id"].tolist() == [ids[k] for k in (1, 2, 5, 6)]
    assert list_scenes(session=session, flt=SceneFilter(preset="both wrong")).rows["scene_id"].tolist() == [
        ids[3],
        ids[7],
    ]
    flt = SceneFilter(ranges={"diff_model": (0.5, None)})
    assert list_scenes(session=session, flt=flt).rows["scene_id"].tolist() == [ids[5], ids[6], ids[7]]


def test_paging_and_sorting_happen_in_sql(session, ids):
    order = SceneOrder(column="diff_model", descending=True)
    page = list_scenes(session=session, flt=SceneFilter(), order=order, offset=2, limit=3)
    assert page.total == 8
    assert page.rows["scene_id"].tolist() == [ids[6], ids[3], ids[4]]
    assert page.rows["status"].tolist() == ["pending"] * 3
    with pytest.raises(BadInput, match="cannot sort by 'profile; drop table'"):
        list_scenes(session=session, flt=SceneFilter(), order=SceneOrder(column="profile; drop table"))
    with pytest.raises(BadInput, match="unknown score column 'nope'"):
        count_scenes(session=session, flt=SceneFilter(ranges={"nope": (0, 1)}))


def test_unscored_scenes_sort_last_both_ways(session, ids):
    extra = make_scene(session, dataset=make_dataset(session, name="other"), profile="unscored")
    for descending in (False, True):
        page = list_scenes(session=session, flt=SceneFilter(), order=SceneOrder("diff_model", descending), limit=20)
        assert page.rows["scene_id"].tolist()[-1] == extra.id
    assert count_scenes(session=session, flt=SceneFilter(preset="unscored")) == 1


def test_pages_in_a_score_order_cross_from_scored_to_unscored_scenes(session, ids):
    other = make_dataset(session, name="other")
    extra = [make_scene(session, dataset=other, profile=f"unscored {k}").id for k in range(3)]
    scores = dict(session.exec(select(Score.scene_id, Score.diff_model)).all())
    for descending in (False, True):
        scored = sorted(scores, key=lambda sid: (scores[sid], sid), reverse=descending)
        expected = scored + sorted(extra, reverse=descending)  # unscored last, by id in the same direction
        order = SceneOrder("diff_model", descending)
        pages = [list_scenes(session=session, flt=SceneFilter(), order=order, offset=k, limit=3) for k in (0, 3, 6, 9)]
        assert [sid for page in pages for sid in page.rows["scene_id"].tolist()] == expected
        assert pages[2].rows["diff_model"].isna().tolist() == [False, False, True]
        only_long = list_scenes(session=session, flt=SceneFilter(choice_cnt=4), order=order, offset=1, limit=2)
        four = set(session.exec(select(Scene.id).where(Scene.choice_cnt == 4)).all())
        long_ids = [sid for sid in expected if sid in four]
        assert only_long.rows["scene_id"].tolist() == long_ids[1:3]


def test_sorting_by_time_or_length_walks_an_index(session, ids, backend):
    if backend != "sqlite":
        pytest.skip("the query plan is SQLite's")
    for column, index in (("timestamp", "ix_scene_time"), ("choice_cnt", "ix_scene_len")):
        page = list_scenes(session=session, flt=SceneFilter(), order=SceneOrder(column, True), limit=3)
        expected = session.exec(select(Scene.id).order_by(getattr(Scene, column).desc(), Scene.id.desc()).limit(3))
        assert page.rows["scene_id"].tolist() == list(expected.all())
        plan = " ".join(
            str(row[-1])
            for row in session.exec(
                text(f"EXPLAIN QUERY PLAN SELECT id FROM scene ORDER BY {column} DESC, id DESC LIMIT 3")
            ).all()
        )
        assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan


def test_search_escapes_wildcards_and_reads_json_text(session):
    ds = make_dataset(session)
    plain = make_scene(session, dataset=ds, profile="likes 100% cotton")
    other = make_scene(session, dataset=ds, profile="likes 1000 things")
    quoted = make_scene(session, dataset=ds, profile="p")
    quoted.history = ['Watched "Amélie" twice']
    session.add(quoted)
    session.commit()
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"
    found = lambda term: list_scenes(session=session, flt=SceneFilter(search=term)).rows["scene_id"].tolist()  # noqa: E731
    assert found("100%") == [plain.id]
    assert found("likes 1") == [plain.id, other.id]
    assert found("_") == []
    assert found('"Amélie"') == [quoted.id]
    assert found("Item 3") == [plain.id, other.id, quoted.id]  # options of every scene hold "Item 3"


def test_neighbours_follow_filter_and_order(session, ids):
    flt = SceneFilter(preset="strong right, weak wrong")
    assert neighbours(session=session, scene_id=ids[2], flt=flt) == (ids[1], ids[5])
    assert neighbours(session=session, scene_id=ids[1], flt=flt) == (None, ids[2])
    order = SceneOrder("diff_model", descending=True)  # 5: 0.754, 6: 0.706, 1: 0.279, 2: 0.276
    assert neighbours(session=session, scene_id=ids[6], flt=flt, order=order) == (ids[5], ids[1])
    assert neighbours(session=session, scene_id=ids[2], flt=flt, order=order) == (ids[1], None)
    assert neighbours(session=session, scene_id=999_999, flt=flt) == (None, None)


def test_scene_detail_has_everything_review_shows(session, ids):
    detail = scene_detail(session=session, scene_id=ids[1])
    assert detail.dataset == "toy"
    assert [(r["rationale"].role, r["rationale"].sample_index) for r in detail.rationales] == [
        ("strong", 0),
        ("strong", 1),
        ("weak", 0),
        ("weak", 1),
    ]
    strong = detail.rationales[0]
    assert strong["probs"] == pytest.approx([0.12, 0.64, 0.12, 0.12])
    assert strong["behavior_index"] == 1
    assert detail.pairs == [
        {
            "selection": "sel",
            "chosen": detail.rationales[0]["rationale"].id,
            "rejected": detail.rationales[2]["rationale"].id,
        }
    ]
    stored = session.exec(select(Score).where(Score.scene_id == ids[1])).one()
    assert detail.score["diff_model"] == stored.diff_model
    assert detail.review is None
    assert scene_detail(session=session, scene_id=999_999) is None
    assert score_ranges(session=session)["strong_hit"] == (0.0, 1.0)


def test_format_problems_preset_and_counts(session, ids):
    from storage.models import Rationale

    rats = session.exec(select(Rationale).where(Rationale.scene_id == ids[3]).order_by(Rationale.id)).all()
    rats[0].problems = ["missing stage: Knowledge"]
    rats[1].problems = ["behavior letter [Z] is not an option"]
    rats[2].problems = None
    session.add_all(rats)
    session.commit()
    page = list_scenes(session=session, flt=SceneFilter(preset="format problems"))
    assert page.rows["scene_id"].tolist() == [ids[3]]
    assert page.rows["problems"].tolist() == [2]
    assert list_scenes(session=session, flt=SceneFilter(choice_cnt=4)).rows["problems"].tolist() == [0, 2, 0, 0]


def _plans(session, run) -> list[str]:
    """SQLite's query plan of every statement run() executes, with its bound values."""
    seen = []
    engine = session.get_bind()

    def record(conn, cursor, statement, params, context, executemany):
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    raw = session.connection().connection.driver_connection
    return [
        " · ".join(str(r[-1]) for r in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        for sql, params in seen
        if "ORDER BY" in sql  # the walks (not the whole-table counts, which SQLite answers from a b-tree)
    ]


@pytest.mark.parametrize("order", [SceneOrder(), SceneOrder("id", True), SceneOrder("diff_model"),
                                   SceneOrder("diff_model", True), SceneOrder("timestamp")])  # fmt: skip
def test_neighbours_search_an_index_range(session, ids, backend, order):
    """Each neighbour is one index range walk: `key > v OR (key = v AND id > i)` with bound values made SQLite scan
    the table (24 ms at 100k scenes); a row-value comparison does not."""
    if backend != "sqlite":
        pytest.skip("the query plan is SQLite's")
    everything = list(list_scenes(session=session, flt=SceneFilter(), order=order, limit=100).rows["scene_id"])
    k = 3
    plans = _plans(session, lambda: neighbours(session=session, scene_id=everything[k], flt=SceneFilter(), order=order))
    assert neighbours(session=session, scene_id=everything[k], flt=SceneFilter(), order=order) == (
        everything[k - 1],
        everything[k + 1],
    )
    steps = [step for plan in plans for step in plan.split(" · ") if " scene" in step or " score" in step]
    assert steps and not [step for step in steps if step.startswith("SCAN")], plans


def test_score_values_can_carry_each_rows_dataset(session):
    """One query for every dataset: Review's percentiles are computed per dataset from it."""
    from storage.browse_detail import score_values

    first = make_workspace(session, n_scenes=3, name="first", selection="s1")
    second = make_workspace(session, n_scenes=2, name="second", selection="s2")
    expected = sorted(
        (
            float(scene.dataset_id),
            float(session.get(Score, scene.id).diff_model),
            float(session.get(Score, scene.id).strong_E),
        )
        for scene in [*first, *second]
    )
    got = score_values(session=session, columns=["diff_model", "strong_E"], with_dataset=True)
    assert got.shape == (5, 3) and sorted(map(tuple, got.tolist())) == expected
    only = score_values(session=session, columns=["diff_model"], dataset_id=second[0].dataset_id)
    assert sorted(only[:, 0].tolist()) == sorted(row[1] for row in expected if row[0] == second[0].dataset_id)
