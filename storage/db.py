"""Engine factory, sessions and schema upgrades: the one place the database is opened and brought forward.

Which database is the caller's to say (core/settings.py resolves MIRROR_DB; the CLI's --db overrides it): every
function here takes it as an argument and none reads the environment.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from core.errors import DatabaseBusy
from storage.migrations import migrate, pending

if TYPE_CHECKING:
    from sqlmodel import Session

# SQLModel and the table models load only where a session or the table definitions are needed: opening an
# up-to-date database (e.g. for `status`) costs SQLAlchemy Core alone.


def database_url(db: str) -> str:
    """A SQLAlchemy URL from a path (a SQLite file, made absolute) or a URL (kept as it is)."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def database_file(db: str) -> Path | None:
    """The file of a SQLite database given as a path or URL; None for a server database or an in-memory one."""
    try:
        url = make_url(database_url(db))
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def display_url(db: str) -> str:
    """The database's URL as shown to the user: any password masked."""
    url = database_url(db)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@contextmanager
def busy_is_an_error() -> Iterator[None]:
    """SQLite's "database is locked" (another writer held the lock past the busy timeout) raised as DatabaseBusy."""
    try:
        yield
    except OperationalError as exc:
        if "database is locked" not in str(exc):
            raise
        raise DatabaseBusy() from None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_ENGINES: dict[str, Engine] = {}


def get_engine(db: str, *, create: bool = True) -> Engine:
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
def session_scope(engine: Engine) -> Iterator["Session"]:
    """A session that commits on success and rolls back on error; a lock held too long is DatabaseBusy."""
    from sqlmodel import Session

    with busy_is_an_error(), Session(engine, expire_on_commit=False) as session:
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
