"""Engine factory and named schema migrations (on both backends; the pragma tests are about SQLite itself)."""

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text

from core.errors import DatabaseBusy
from storage import dialect, migrations
from storage.db import database_file, database_url, display_url, dispose_engines, get_engine, session_scope, upgrade
from storage.migrations import MIGRATIONS, SchemaTooNew, add_column
from storage.status import table_counts
from tests.factories import make_dataset, make_rationale, make_scene

FIRST_RELEASE = Path(__file__).parent / "data" / "first_release.sql"


@pytest.mark.sqlite_only
def test_engine_uses_wal_foreign_keys_and_busy_timeout(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def _applied(engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, applied_at FROM _migrations ORDER BY name")).all()
    assert all(at is not None for _, at in rows)
    return [name for name, _ in rows]


def test_a_fresh_database_records_every_migration_with_its_time_and_upgrade_is_idempotent(engine):
    assert _applied(engine) == sorted(m.name for m in MIGRATIONS)
    assert upgrade(engine) == []
    assert _applied(engine) == sorted(m.name for m in MIGRATIONS)


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    with engine.connect() as conn:
        counts = table_counts(conn=conn)
    engine.dispose()
    counts.pop("_migrations", None)
    return counts


def _first_release_db(tmp_path, empty_db: str) -> str:
    """The stored first-release database; on PostgreSQL the same schema and rows, copied from it into empty_db."""
    path = str(tmp_path / "old.db")
    con = sqlite3.connect(path)
    con.executescript(FIRST_RELEASE.read_text())
    con.close()
    if "://" not in empty_db:
        return path
    old, new = create_engine(f"sqlite:///{path}"), create_engine(empty_db)
    schema = MetaData()
    schema.reflect(old)
    for table in schema.tables.values():
        for column in table.columns:
            column.type = column.type.as_generic()
    schema.create_all(new)
    with old.connect() as src, new.begin() as dst:
        for table in schema.sorted_tables:
            rows = [dict(row._mapping) for row in src.execute(select(table))]
            if rows:
                dst.execute(insert(table), rows)
        dialect.sync_sequences(dst, [t.name for t in schema.sorted_tables if "id" in t.columns])
    old.dispose(), new.dispose()
    return empty_db


def test_a_first_release_database_is_upgraded_with_nothing_lost(tmp_path, empty_db):
    path = _first_release_db(tmp_path, empty_db)
    before = _counts(path)
    assert before["rationale"] == 32 and before["review"] == 1 and before["llmcall"] == 1
    engine = get_engine(path)
    assert _applied(engine) == sorted(m.name for m in MIGRATIONS)
    after = _counts(path)
    assert {t: after[t] for t in before} == before  # every old row is still there
    with engine.connect() as conn:
        assert conn.execute(text("SELECT note, reviewer FROM review")).one() == ("fine", "alice")
        assert conn.execute(text("SELECT author FROM rationaleversion WHERE version = 2")).scalar_one() == "alice"
        # scenes built before the prompt style was recorded were built with the studio text
        styles = conn.execute(text("SELECT DISTINCT prompt_style, system_prompt FROM scene")).all()
        assert styles == [("studio", None)]
    with engine.begin() as conn:  # 64-bit instants and seeds on PostgreSQL too (its INTEGER stopped at 2038)
        conn.execute(text("UPDATE scene SET timestamp = 253402300799, seed = 9223372036854775807"))
        conn.execute(text("UPDATE interaction SET timestamp = -62135596800"))
        conn.execute(text("UPDATE item SET release_ts = -377705116800"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT DISTINCT timestamp, seed FROM scene")).all() == [(253402300799, 2**63 - 1)]
        assert conn.execute(text("SELECT DISTINCT timestamp FROM interaction")).all() == [(-62135596800,)]
        assert conn.execute(text("SELECT DISTINCT release_ts FROM item")).all() == [(-377705116800,)]
    with engine.connect() as conn:  # predictions made before the conditioning was recorded say nothing about it
        assert conn.execute(text("SELECT DISTINCT conditioning FROM prediction")).all() == [(None,)]
    dispose_engines()


def test_a_pending_migration_runs_once_on_an_old_database_and_is_recorded(tmp_path, empty_db, monkeypatch):
    path = _first_release_db(tmp_path, empty_db)
    calls = []

    def m999_dataset_licence(conn):
        calls.append(1)
        add_column(conn, table="dataset", column="licence", ddl="VARCHAR DEFAULT 'unknown' NOT NULL")

    monkeypatch.setattr(
        migrations, "MIGRATIONS", [*MIGRATIONS, migrations.Migration("m999_dataset_licence", m999_dataset_licence)]
    )
    engine = get_engine(path)
    assert calls == [1]
    assert "m999_dataset_licence" in _applied(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, licence FROM dataset")).all() == [("toy", "unknown")]
    assert upgrade(engine) == [] and calls == [1]
    dispose_engines()


def test_a_database_from_newer_code_is_refused_and_left_alone(db_path):
    engine = get_engine(db_path)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO _migrations (name, applied_at) VALUES ('m900_from_the_future', '2027-01-01')"))
    dispose_engines()
    with pytest.raises(SchemaTooNew, match="m900_from_the_future.*never downgraded"):
        get_engine(db_path)
    engine = get_engine(db_path, create=False)
    assert "m900_from_the_future" in _applied(engine)
    assert "dataset" in inspect(engine).get_table_names()


def test_engine_is_cached_per_url(db_path):
    assert get_engine(db_path) is get_engine(db_path)


def test_factories_build_a_scene_with_rationales(session):
    ds = make_dataset(session)
    scene = make_scene(session, dataset=ds, choice_cnt=3, item_pos=1)
    rat = make_rationale(session, scene=scene, role="strong", sample_index=0, behavior="B", probs=[0.1, 0.8, 0.1])
    assert scene.options == ["Item 0", "Item 1", "Item 2"]
    assert scene.option_sources == ["random", "target", "random"]
    assert rat.text.endswith("Behavior: [B]")


@pytest.mark.sqlite_only
def test_bulk_transaction_restores_the_pooled_connection_even_after_an_error(engine):
    from storage.db import bulk_transaction

    def pragmas():
        with engine.connect() as conn:
            return conn.execute(text("PRAGMA foreign_keys")).scalar(), conn.execute(text("PRAGMA cache_size")).scalar()

    before = pragmas()
    with bulk_transaction(engine=engine, foreign_keys=False, cache_kib=4096) as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 0
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -4096
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('k', 'v')"))
    assert pragmas() == before == (1, -2000)
    try:
        with bulk_transaction(engine=engine, foreign_keys=False) as conn:
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('k2', 'v')"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert pragmas() == before
    with engine.connect() as conn:  # the first transaction committed, the failed one left nothing
        assert conn.execute(text("SELECT key FROM meta WHERE key LIKE 'k%' ORDER BY key")).scalars().all() == ["k"]


def test_database_names_are_resolved_from_the_argument_only(tmp_path, monkeypatch):
    monkeypatch.setenv("MIRROR_DB", str(tmp_path / "env.db"))
    assert database_url("x/../a.db") == f"sqlite:///{Path('a.db').resolve()}"
    assert database_file(str(tmp_path / "a.db")) == tmp_path / "a.db"
    assert database_file(f"sqlite:///{tmp_path}/b.db") == tmp_path / "b.db"
    assert database_file("postgresql://u:p@h/x") is None and database_file("sqlite://") is None
    assert display_url("postgresql://bob:hunter2@h/x") == "postgresql+psycopg://bob:***@h/x"  # psycopg 3


def test_a_locked_database_is_database_busy(tmp_path):
    engine = get_engine(str(tmp_path / "busy.db"))
    holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        busy = pytest.raises(DatabaseBusy, match="the database is busy: another run is writing to it")
        with busy, session_scope(engine) as session:
            session.connection().exec_driver_sql("PRAGMA busy_timeout = 0")  # this connection only: no 30 s wait
            session.connection().exec_driver_sql("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    finally:
        holder.rollback()
        holder.close()
        dispose_engines()


def test_processes_upgrading_one_empty_database_at_once_create_it_once(empty_db):
    url = empty_db if "://" in empty_db else f"sqlite:///{empty_db}"
    engines = [create_engine(url) for _ in range(3)]
    start, applied, errors = threading.Barrier(len(engines)), [], []

    def run(engine):
        start.wait()
        try:
            applied.append(upgrade(engine))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert sorted(applied, key=len) == [[], [], [m.name for m in MIGRATIONS]]
    assert _applied(engines[0]) == sorted(m.name for m in MIGRATIONS)
    for engine in engines:
        engine.dispose()


def test_ids_written_by_a_bulk_load_leave_the_next_insert_a_free_id(session):
    """A bulk load assigns ids itself; the next ordinary insert (PostgreSQL: from the sequence) must not collide."""
    from storage import bulk
    from storage.models import User

    ds = make_dataset(session)
    conn = session.connection()
    with bulk.id_block(conn=conn, tables=("user",)) as ids:
        first = ids.take("user", 3)
        bulk.write_users(conn=conn, rows=[(first + k, ds.id, f"bulk{k}", "{}") for k in range(3)])
    session.commit()
    user = User(dataset_id=ds.id, external_id="next")  # the ordinary way: the database picks the id
    session.add(user)
    session.commit()
    assert user.id == first + 3


def test_writing_scenes_does_not_wait_for_a_reader_of_the_scene_table(engine, session):
    """The app and workers read scenes while a build writes them: the build must not need a lock readers hold
    (PostgreSQL: dropping the foreign keys for a set-based check takes ACCESS EXCLUSIVE; only ingest/import may)."""
    from storage.models import Scene
    from storage.scenes import add_scenes

    ds = make_dataset(session)
    template = make_scene(session, dataset=ds)
    row = {c: getattr(template, c) for c in Scene.model_fields if c != "id"}
    with engine.connect() as reader:
        reader.begin()
        assert reader.execute(text("SELECT COUNT(*) FROM scene")).scalar_one() == 1  # read lock held until rollback
        if not dialect.is_sqlite(reader):
            session.connection().exec_driver_sql("SET LOCAL lock_timeout = '5s'")  # fail instead of hanging
        assert add_scenes(session=session, rows=[dict(row, seed=1, interaction_id=None)]) == 1
        session.commit()
        reader.rollback()
    assert sorted(session.execute(select(Scene.seed)).scalars().all()) == [0, 1]


def test_the_table_list_of_the_up_to_date_check_is_every_table_of_the_models():
    from sqlmodel import SQLModel

    from storage import audit_models, models  # noqa: F401

    assert sorted(migrations.TABLES) == sorted(SQLModel.metadata.tables)


def test_a_table_added_to_the_models_after_the_last_upgrade_is_created_with_no_migration_pending(engine):
    """A database upgraded by the previous version has every migration recorded but lacks a table added since."""
    with engine.begin() as conn:
        conn.execute(text('DROP TABLE "evalskip"'))
    assert "evalskip" not in dialect.table_names(engine.connect())
    assert upgrade(engine) == []  # no migration was pending
    with engine.connect() as conn:
        assert "evalskip" in dialect.table_names(conn)
        assert conn.execute(text('SELECT COUNT(*) FROM "evalskip"')).scalar_one() == 0
