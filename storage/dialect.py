"""Everything that differs between SQLite and PostgreSQL: the one module with backend-specific SQL.

Every other module writes SQL both accept (quoted "user" and mixed-case column names, no PRAGMA, no json_each) and
asks here for the rest: connection set-up, the fast bulk path (executemany on SQLite, COPY on PostgreSQL), ids a bulk
load assigns itself (and the sequences PostgreSQL keeps for them), INSERT … ON CONFLICT, and JSON reads in SQL.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert


def is_sqlite(conn: Connection) -> bool:
    """Whether conn talks to SQLite (else PostgreSQL)."""
    return conn.dialect.name == "sqlite"


def widen_to_bigint(conn: Connection, *, table: str, column: str) -> None:
    """An INTEGER column made BIGINT on PostgreSQL (rewrites the table once); SQLite's INTEGER is 64-bit already."""
    if not is_sqlite(conn):
        conn.execute(text(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE BIGINT'))


def sqlite_pragmas(dbapi_connection, _record) -> None:
    """Connect hook for SQLite: WAL (the app reads while the pipeline writes), busy timeout, foreign keys."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def sqlite_bulk_pragmas(conn: Connection, *, cache_kib: int, foreign_keys: bool) -> Iterator[None]:
    """On SQLite, a larger page cache (index pages stay in memory) and optionally no per-row foreign-key checks for
    the duration; both go back to their previous values afterwards, also on error (pooled connections keep their
    pragmas). Nothing to do on PostgreSQL."""
    if not is_sqlite(conn):
        yield
        return
    cache = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
    checks = int(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
    conn.commit()
    try:
        conn.exec_driver_sql(f"PRAGMA cache_size = -{int(cache_kib)}")
        if not foreign_keys:  # only takes effect outside a transaction
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.commit()
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")
        conn.exec_driver_sql(f"PRAGMA foreign_keys = {checks}")
        conn.commit()


def insert_on_conflict(conn: Connection, table) -> Insert:
    """The dialect's INSERT that knows ON CONFLICT DO NOTHING / DO UPDATE."""
    return (sqlite.insert if is_sqlite(conn) else postgresql.insert)(table)


def copy_rows(conn: Connection, *, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Append rows (tuples in column order; JSON columns as JSON text) on conn's transaction, the fastest way each
    backend has: executemany on SQLite's raw cursor, COPY … FROM STDIN on PostgreSQL."""
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        if is_sqlite(conn):
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})', rows)
            return
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def lock_for_ids(conn: Connection, tables: Iterable[str]) -> None:
    """Keep other writers out of these tables until conn's transaction ends, so ids from MAX(id) + 1 stay free.

    SQLite's write lock already covers the whole database (the caller has written before). On PostgreSQL readers go
    on; writers wait for the commit, as they would for SQLite's lock."""
    if not is_sqlite(conn):
        names = ", ".join(f'"{t}"' for t in tables)
        conn.exec_driver_sql(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")


@contextmanager
def foreign_keys_checked_at_end(conn: Connection, tables: Iterable[str]) -> Iterator[None]:
    """On PostgreSQL, check the foreign keys of these tables once, set-based, when the load is done, instead of once per
    row (a per-row trigger lookup is most of a COPY's cost): each is dropped and added back, validated, in conn's
    transaction. Meanwhile the tables are closed to readers too (ACCESS EXCLUSIVE) until the commit. SQLite checks
    per row cheaply; nothing to do there."""
    if is_sqlite(conn):
        yield
        return
    listed = ", ".join(f"'{t}'" for t in tables)
    found = conn.exec_driver_sql(
        "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con "
        "JOIN pg_class c ON c.oid = con.conrelid WHERE con.contype = 'f' "
        f"AND c.relnamespace = current_schema()::regnamespace AND c.relname IN ({listed}) ORDER BY con.oid"
    ).all()
    for table, name, _ in found:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    yield
    for table, name, definition in found:
        conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def sync_sequences(conn: Connection, tables: Iterable[str]) -> None:
    """After rows were written with ids of their own: move each table's id sequence past its highest id (PostgreSQL;
    never backwards), so the next ordinary INSERT gets a free id. SQLite has no sequence to move."""
    if is_sqlite(conn):
        return
    for table in tables:
        seq = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('\"{table}\"', 'id')").scalar()
        conn.exec_driver_sql(
            f"SELECT setval('{seq}', GREATEST((SELECT COALESCE(MAX(id), 0) FROM \"{table}\"), "
            f"(SELECT last_value FROM {seq}), 1))"
        )


def timestamp(conn: Connection, when: datetime) -> datetime | str:
    """A DateTime column value for raw writes, as the ORM stores it: naive-UTC text on SQLite, an aware datetime on
    PostgreSQL (timestamptz, whatever the server's time zone)."""
    utc = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return utc.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if is_sqlite(conn) else utc


def table_names(conn: Connection) -> list[str]:
    """Every table of the database, sorted."""
    if is_sqlite(conn):
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    return sorted(name for (name,) in conn.exec_driver_sql(sql))


def json_number(conn: Connection, *, column: str, key: str) -> str:
    """SQL for the number stored under key in a JSON object column (NULL when absent or not a number)."""
    if is_sqlite(conn):
        path = ('$."' + key.replace('"', '\\"') + '"').replace("'", "''")
        kind = f"json_type({column}, '{path}')"
        return f"CASE WHEN {kind} IN ('integer', 'real') THEN json_extract({column}, '{path}') END"
    literal = key.replace("'", "''")
    return (
        f"CASE WHEN json_typeof({column} -> '{literal}') = 'number' "
        f"THEN ({column} ->> '{literal}')::double precision END"
    )


def json_values(conn: Connection, *, table: str, column: str, key: str) -> str:
    """SQL selecting (id, value as text) for each scalar under key of table's JSON object column; a list gives one
    row per element; takes :ds (the dataset id)."""
    literal = key.replace("'", "''")
    if is_sqlite(conn):
        path = ('$."' + key.replace('"', '\\"') + '"').replace("'", "''")
        return (
            f"SELECT t.id, j.value FROM {table} t, json_each(t.{column}, '{path}') AS j "
            "WHERE t.dataset_id = :ds AND j.value IS NOT NULL AND j.type != 'object'"
        )
    value = f"t.{column} -> '{literal}'"
    return (
        f"SELECT t.id, e.value FROM {table} t CROSS JOIN LATERAL json_array_elements_text("
        f"CASE json_typeof({value}) WHEN 'array' THEN {value} ELSE json_build_array({value}) END) AS e(value) "
        f"WHERE t.dataset_id = :ds AND json_typeof({value}) IN ('array', 'string', 'number', 'boolean') "
        "AND e.value IS NOT NULL"
    )
