"""Engine factory and schema upgrades: the one place the database is opened and brought forward."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine

from storage.migrations import migrate, pending

if TYPE_CHECKING:
    from sqlmodel import Session

# SQLModel and the table models load only where a session or the table definitions are needed: opening an
# up-to-date database (e.g. for `status`) costs SQLAlchemy Core alone.

DEFAULT_DB = "mirror.db"


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


def upgrade(engine: Engine) -> list[str]:
    """Create missing tables and apply pending named migrations (storage/migrations.py); returns their names.

    The common case — nothing pending — is one read. SchemaTooNew when the database was upgraded by newer code.
    """
    with engine.connect() as conn:
        if not pending(conn):
            return []
    from sqlmodel import SQLModel

    from storage import models  # noqa: F401  (registers every table on SQLModel.metadata)

    with engine.begin() as conn:
        fresh = not inspect(conn).has_table("dataset")
        return migrate(conn, create_tables=SQLModel.metadata.create_all, fresh=fresh)


@contextmanager
def session_scope(db: str | None = None) -> Iterator["Session"]:
    """A session that commits on success and rolls back on error."""
    from sqlmodel import Session

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
