"""Engine factory and schema versioning."""

from sqlalchemy import text

from storage.db import SCHEMA_VERSION, get_engine, schema_version, upgrade
from tests.factories import make_dataset, make_rationale, make_scene


def test_engine_uses_wal_foreign_keys_and_busy_timeout(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_schema_version_is_stored_and_upgrade_is_idempotent(engine):
    assert schema_version(engine) == SCHEMA_VERSION
    assert upgrade(engine) == SCHEMA_VERSION
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT key, value FROM meta")).all()
    assert rows == [("schema_version", str(SCHEMA_VERSION))]


def test_engine_is_cached_per_url(db_path):
    assert get_engine(db_path) is get_engine(db_path)


def test_factories_build_a_scene_with_rationales(session):
    ds = make_dataset(session)
    scene = make_scene(session, dataset=ds, choice_cnt=3, item_pos=1)
    rat = make_rationale(session, scene=scene, role="strong", sample_index=0, behavior="B", probs=[0.1, 0.8, 0.1])
    assert scene.options == ["Item 0", "Item 1", "Item 2"]
    assert scene.option_sources == ["random", "target", "random"]
    assert rat.text.endswith("Behavior: [B]")


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
