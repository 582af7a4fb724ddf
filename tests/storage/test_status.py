"""status(): exact DESIGN.md shape, counts from every stage's table, a fixed number of GROUP BY queries."""

import json
import threading
import time

from sqlalchemy import event, text
from sqlmodel import select

from core.cli.main import main
from storage.datasets import delete_dataset
from storage.models import LlmCall, Rationale, Review, Scene, Score, Selection, SelectionItem
from storage.status import refresh_counts, status
from tests.factories import make_dataset, make_rationale, make_scene

ZERO = {
    "users": 0,
    "items": 0,
    "interactions": 0,
    "scenes": {"train": 0, "eval": 0},
    "rationales": {"strong": 0, "weak": 0},
    "predictions": {"strong": 0, "weak": 0},
    "failed_calls": 0,
    "scored": 0,
}


def _score(scene_id: int) -> Score:
    values = dict.fromkeys(
        ["strong_E", "strong_T", "strong_D", "strong_hit", "strong_logloss", "weak_E", "weak_T"], 0.0
    )
    values |= dict.fromkeys(["weak_D", "weak_hit", "weak_logloss", "diff_model", "diff_total", "diff_data"], 0.0)
    return Score(scene_id=scene_id, n_strong=2, n_weak=1, diff_hit=0.0, **values)


def _call(item_key: str | None, status: str, scene_id: int | None) -> LlmCall:
    return LlmCall(
        endpoint="e",
        model="m",
        prompt_hash="h",
        cache_key=f"k{item_key}",
        item_key=item_key,
        scene_id=scene_id,
        status=status,
    )


def build(session) -> None:
    a = make_dataset(session, name="a", n_users=3, n_items=20)
    b = make_dataset(session, name="b", n_users=2, n_items=12)
    s1 = make_scene(session, dataset=a, split="train")
    s2 = make_scene(session, dataset=a, split="train", user_index=1)
    s3 = make_scene(session, dataset=a, split="eval", user_index=2)
    sb = make_scene(session, dataset=b, split="eval")
    r1 = make_rationale(session, scene=s1, role="strong", sample_index=0, probs=[0.7, 0.1, 0.1, 0.1])
    make_rationale(session, scene=s1, role="strong", sample_index=1, probs=[0.4, 0.2, 0.2, 0.2])
    r3 = make_rationale(session, scene=s1, role="weak", sample_index=0)
    make_rationale(session, scene=s2, role="weak", sample_index=0, probs=[0.25] * 4)
    make_rationale(session, scene=sb, role="strong", sample_index=0)
    session.add_all([_score(s1.id), _score(sb.id)])
    session.add_all(
        [
            _call("rat:1:strong:2", "error", s1.id),
            _call("rat:1:strong:2", "ok", s1.id),  # retried and fixed: not failed
            _call("rat:1:weak:1", "error", s1.id),
            _call("rat:1:weak:1", "error", s1.id),  # one item, two failures: counts once
            _call("rat:2:weak:0", "ok", s2.id),
            _call("rat:2:weak:0", "error", s2.id),  # no success after the error: failed
            _call("rat:9:strong:0", "error", sb.id),
            _call("test", "error", None),  # not tied to any dataset
        ]
    )
    top, empty = Selection(name="top", config={}), Selection(name="empty", config={})
    session.add_all([top, empty])
    session.flush()
    session.add_all(
        SelectionItem(selection_id=top.id, scene_id=s, chosen_rationale_id=r1.id, rejected_rationale_id=r3.id, rank=k)
        for k, s in enumerate([s1.id, s2.id, s3.id, sb.id])
    )
    session.add_all(
        [
            Review(scene_id=s1.id, status="approved", reviewer="ann"),
            Review(scene_id=s2.id, status="rejected", reviewer="ann"),
            Review(scene_id=s3.id, status="pending"),
        ]
    )
    session.commit()


EXPECTED = {
    "datasets": {
        "a": {
            "users": 3,
            "items": 20,
            "interactions": 3,
            "scenes": {"train": 2, "eval": 1},
            "rationales": {"strong": 2, "weak": 2},
            "predictions": {"strong": 2, "weak": 1},
            "failed_calls": 2,
            "scored": 1,
        },
        "b": ZERO
        | {"users": 2, "items": 12, "interactions": 1, "scenes": {"train": 0, "eval": 1}}
        | {"rationales": {"strong": 1, "weak": 0}, "failed_calls": 1, "scored": 1},
    },
    "selections": {
        "top": {"scenes": 4, "approved": 1, "rejected": 1, "pending": 2},
        "empty": {"scenes": 0, "approved": 0, "rejected": 0, "pending": 0},
    },
}


TABLE = """\
dataset  users  items  interactions  train  eval  rat.strong  rat.weak  pred.strong  pred.weak  failed  scored
a            3     20             3      2     1           2         2            2          1       2       1
b            2     12             1      0     1           1         0            0          0       1       1

selection  scenes  approved  rejected  pending
top             4         1         1        2
empty           0         0         0        0
"""


def test_empty_workspace(session):
    assert status(conn=session.connection()) == {"datasets": {}, "selections": {}}


def test_counts_every_stage_exactly(session):
    build(session)
    assert status(conn=session.connection()) == EXPECTED


def test_a_dataset_without_anything_built_has_every_key_at_zero(session):
    make_dataset(session, name="fresh", n_users=0, n_items=0)
    assert status(conn=session.connection()) == {"datasets": {"fresh": ZERO}, "selections": {}}


def _statements(engine, run) -> list[str]:
    statements: list[str] = []

    def listen(*args) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return statements


def test_query_count_does_not_grow_with_data(session, engine):
    make_dataset(session, name="one")
    small = _statements(engine, lambda: status(conn=session.connection()))
    build(session)
    big = _statements(engine, lambda: status(conn=session.connection()))
    # dataset names, 4 per-dataset, scenes, the snapshot, 3 fingerprints, 3 full counts (no snapshot stored), selections
    assert len(big) == len(small) == 14


def test_a_stored_snapshot_spares_the_big_counts(session, engine):
    build(session)
    refresh_counts(conn=session.connection())
    session.commit()
    statements = _statements(engine, lambda: status(conn=session.connection()))
    assert status(conn=session.connection()) == EXPECTED
    assert not [sql for sql in statements if "GROUP BY scene_id, role" in sql or "JOIN scene s ON s.id = sc" in sql]
    assert len(statements) == 11


def test_rows_added_after_the_snapshot_are_counted_alone(session, engine):
    build(session)
    refresh_counts(conn=session.connection())
    session.commit()
    scene = session.get(Scene, 2)
    make_rationale(session, scene=scene, role="strong", sample_index=5, probs=[0.25] * 4)
    statements = _statements(engine, lambda: status(conn=session.connection()))
    counts = status(conn=session.connection())["datasets"]["a"]
    assert (counts["rationales"], counts["predictions"]) == ({"strong": 3, "weak": 2}, {"strong": 3, "weak": 1})
    assert [sql for sql in statements if "WHERE x.id >" in sql] != []
    assert not [sql for sql in statements if "GROUP BY scene_id, role" in sql]


def test_a_deletion_since_the_snapshot_is_recounted(session, engine):
    build(session)
    refresh_counts(conn=session.connection())
    session.commit()
    # the newest rationale goes and another takes its id, role and count: the snapshot must not be trusted
    newest = session.exec(select(Rationale).order_by(Rationale.id.desc())).first()
    replaced_id, scene = newest.id, session.get(Scene, 1)
    for table, column in (("prediction", "rationale_id"), ("rationaleversion", "rationale_id"), ("rationale", "id")):
        session.connection().exec_driver_sql(f"DELETE FROM {table} WHERE {column} = {replaced_id}")
    session.commit()
    session.add(Rationale(id=replaced_id, scene_id=scene.id, role="weak", sample_index=7, text="x"))
    session.commit()
    counts = status(conn=session.connection())["datasets"]
    assert counts["a"]["rationales"] == {"strong": 2, "weak": 3}
    assert counts["b"]["rationales"] == {"strong": 0, "weak": 0}


def test_a_dataset_deleted_after_the_snapshot_disappears_from_the_counts(session):
    build(session)
    refresh_counts(conn=session.connection())
    session.commit()
    delete_dataset(conn=session.connection(), dataset_id=2)
    session.commit()
    assert status(conn=session.connection()) == {
        "datasets": {"a": EXPECTED["datasets"]["a"]},
        "selections": {
            "top": {"scenes": 3, "approved": 1, "rejected": 1, "pending": 1},
            "empty": {"scenes": 0, "approved": 0, "rejected": 0, "pending": 0},
        },
    }


def test_cli_status_json_and_table(session, capsys):
    build(session)
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == EXPECTED
    assert main(["status"]) == 0
    assert capsys.readouterr().out == TABLE


def test_two_runs_storing_the_first_snapshot_at_once_both_succeed(session, engine):
    """Two workers finishing together: the second waits for the first's uncommitted snapshot row, then replaces it
    (on PostgreSQL an UPDATE-then-INSERT found no row in either and the second INSERT failed on the key)."""
    build(session)
    session.commit()
    failures: list[BaseException] = []
    with engine.connect() as first:
        refresh_counts(conn=first)  # its row inserted, not yet committed

        def second() -> None:
            try:
                with engine.connect() as conn:
                    refresh_counts(conn=conn)
                    conn.commit()
            except BaseException as exc:  # reported by the assertion below
                failures.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second is now waiting on the first's row (PostgreSQL) or write lock (SQLite)
        first.commit()
        thread.join(timeout=30)
    assert not thread.is_alive() and failures == []
    rows = session.connection().execute(text("SELECT key, value FROM meta WHERE key = 'status_counts'")).all()
    assert len(rows) == 1
    stored = json.loads(rows[0].value)["rationales"]["rows"]  # [dataset id, role, count]
    assert sorted((role, n) for _, role, n in stored) == [("strong", 1), ("strong", 2), ("weak", 2)]
    assert status(conn=session.connection()) == EXPECTED
