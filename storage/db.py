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

from core.errors import BadInput, DatabaseBusy, MirrorError
from storage import dialect
from storage.migrations import TABLES, migrate, pending

if TYPE_CHECKING:
    from sqlmodel import Session

# SQLModel and the table models load only where a session or the table definitions are needed: opening an
# up-to-date database (e.g. for `status`) costs SQLAlchemy Core alone.


def database_url(db: str) -> str:
    """A SQLAlchemy URL from a path (a SQLite file, made absolute) or a URL (kept as it is)."""
    if "://" in db:
        scheme, rest = db.split("://", 1)
        # psycopg 3 is the PostgreSQL driver we install; SQLAlchemy's bare postgresql:// would mean psycopg2
        return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else db
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


def _reason(exc: BaseException, db: str) -> str:
    """The driver's own message on one line, the URL's password masked wherever it appears."""
    text = " ".join(str(getattr(exc, "orig", None) or exc).split())
    try:
        password = make_url(database_url(db)).password
    except ArgumentError:
        password = None
    return text.replace(str(password), "***") if password else text


def open_engine(db: str) -> Engine:
    """get_engine for a database a person named. A wrong URL, a driver that is not installed, a server that cannot
    be reached, a wrong password or a missing database is BadInput: one line, password masked, nothing written;
    a SQLite file another writer keeps locked is DatabaseBusy."""
    from sqlalchemy.exc import DatabaseError, InterfaceError

    try:
        with busy_is_an_error():
            return get_engine(db)
    except (DatabaseError, InterfaceError, ArgumentError, ImportError) as exc:  # ImportError: driver not installed
        raise BadInput(f"cannot open database {display_url(db)}: {_reason(exc, db)}") from None


def database_failure(exc: BaseException, db: str) -> MirrorError | None:
    """A database lost in the middle of a run (server stopped, connection dropped) as one MirrorError line, password
    masked; None when exc is something else."""
    from sqlalchemy.exc import InterfaceError

    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    return MirrorError(f"database {display_url(db)} failed during the run: {_reason(exc, db)}")


def _connect_args(url: str) -> dict:
    # a server that does not answer is an error after 10 s, not a hang
    return {"connect_timeout": 10} if url.startswith("postgresql+psycopg") else {}


_ENGINES: dict[str, Engine] = {}


def get_engine(db: str, *, create: bool = True) -> Engine:
    """One engine per URL: SQLite gets WAL, a busy timeout and foreign keys; any SQLAlchemy URL works."""
    url = database_url(db)
    if url in _ENGINES:
        return _ENGINES[url]
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", dialect.sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, connect_args=_connect_args(url))
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

    The common case — nothing pending, no table missing — is two reads. A table added to the models since the
    database was last upgraded is created even when no migration is pending. SchemaTooNew when the database was
    upgraded by newer code.
    """
    with engine.connect() as conn:
        if not pending(conn) and set(dialect.table_names(conn)) >= TABLES:
            return []
    from sqlmodel import SQLModel

    from storage import audit_models, double_models, draft_models, models  # noqa: F401  (registers every table on SQLModel.metadata)

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
    """One write transaction on one connection for bulk loads (storage.bulk). On SQLite the page cache is enlarged so
    index pages stay in memory, and per-row foreign-key checks can be switched off where the caller assigns every id
    itself (storage.dialect.sqlite_bulk_pragmas)."""
    with (
        engine.connect() as conn,
        dialect.sqlite_bulk_pragmas(conn, cache_kib=cache_kib, foreign_keys=foreign_keys),
        conn.begin(),
    ):
        yield conn
