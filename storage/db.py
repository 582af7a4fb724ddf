"""Engine factory and schema versioning: the one place the database is opened and upgraded."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, create_engine

from storage import models  # noqa: F401  (registers every table on SQLModel.metadata)

SCHEMA_VERSION = 1
DEFAULT_DB = "mirror.db"

# Numbered upgrades: MIGRATIONS[n] takes a connection at version n-1 to version n.
MIGRATIONS: dict[int, Callable] = {}


def database_url(db: str | None = None) -> str:
    """A SQLAlchemy URL from a path or URL; defaults to env MIRROR_DB, else ./mirror.db."""
    db = db or os.environ.get("MIRROR_DB") or DEFAULT_DB
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_ENGINES: dict[str, Engine] = {}


def get_engine(db: str | None = None, *, create: bool = True) -> Engine:
    """One engine per URL: SQLite gets WAL, a busy timeout and foreign keys; any SQLAlchemy URL works."""
    url = database_url(db)
    if url in _ENGINES:
        return _ENGINES[url]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if create:
        upgrade(engine)
    _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, forked workers)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def schema_version(engine: Engine) -> int:
    """The stored schema version, 0 for an empty database."""
    with engine.connect() as conn:
        has_meta = engine.dialect.has_table(conn, "meta")
        if not has_meta:
            return 0
        row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
        return int(row[0]) if row else 0


def upgrade(engine: Engine) -> int:
    """Create missing tables and run numbered migrations up to SCHEMA_VERSION; returns the version."""
    current = schema_version(engine)
    if current == SCHEMA_VERSION:
        return current
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        for version in range(max(current, 1) + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](conn)
        conn.execute(
            text(
                "INSERT INTO meta (key, value) VALUES ('schema_version', :v) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            {"v": str(SCHEMA_VERSION)},
        )
    return SCHEMA_VERSION


@contextmanager
def session_scope(db: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(db), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def bulk_transaction(*, engine: Engine, cache_kib: int = 262_144, foreign_keys: bool = True) -> Iterator[Connection]:
    """One write transaction on one connection for bulk loads. On SQLite the page cache is enlarged so index pages
    stay in memory, and per-row foreign-key checks can be switched off where the caller assigns every id itself;
    both go back to their previous values afterwards, also on error (pooled connections keep their pragmas)."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                yield conn
            return
        cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
        checks = int(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
        conn.commit()
        try:
            conn.exec_driver_sql(f"PRAGMA cache_size = -{int(cache_kib)}")
            if not foreign_keys:  # only takes effect outside a transaction
                conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            conn.commit()
            with conn.begin():
                yield conn
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")
            conn.exec_driver_sql(f"PRAGMA foreign_keys = {checks}")
            conn.commit()
