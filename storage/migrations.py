"""Named schema migrations, recorded with their time (in the style of simonw/llm's migrations.py).

Why not Alembic: our schema changes are few and additive (a column, an index, a backfill); the tables themselves come
from SQLModel's metadata, so a migration only has to bring an *existing* table forward. A list of named functions,
run in order inside one transaction and recorded in `_migrations`, does that with no generated files, no extra
dependency and the same code on SQLite and PostgreSQL.

How an upgrade runs (storage.db.upgrade):
- a fresh database gets every table from the models and every migration recorded as applied (nothing to bring
  forward);
- an existing one gets its missing tables created from the models, then each migration it has not applied, in
  order; a migration therefore only alters tables that already existed before it (add a column, index, backfill);
- a database that records a migration this code does not know was written by newer code: it is refused, never
  downgraded.

To change the schema: change the model in storage/models.py, then append a function here decorated with
@migration whose name starts with the next number ("m004_scene_prompt_style"). Use add_column / create_index, which
do nothing when the column or index is already there.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from core.errors import BadInput
from storage import dialect

TABLE = "_migrations"
# Every table of the models (storage/models.py, storage/audit_models.py), named here so the up-to-date check stays one
# cheap read without loading the ORM (status). An up-to-date database has them all; a table added since the last
# upgrade is created even when no migration is pending. tests/storage/test_db.py keeps this equal to the models.
TABLES = frozenset(
    {
        *("batchrequest", "bulkaction", "bulkchange", "dataset", "endpoint", "evalrow", "evalrun", "evalskip"),
        *("exportrecord", "interaction", "item", "llmcache", "llmcall", "meta", "pairoverride", "prediction"),
        *("predictionhistory", "doublereview", "blindverdict", "adjudication"),
        *("rationale", "rationaleverdict", "rationaleversion", "review", "reviewer", "run", "scene", "score"),
        *("assignment", "assignchange", "reviewlease", "reviewdraft"),
        *("selection", "selectionitem", "user", "workclaim"),
    }
)


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Connection], None]


MIGRATIONS: list[Migration] = []


class SchemaTooNew(BadInput):
    """The database was upgraded by a newer version of Mirror Studio."""


def migration(fn: Callable[[Connection], None]) -> Callable[[Connection], None]:
    """Register fn as the next migration, named after the function."""
    if any(m.name == fn.__name__ for m in MIGRATIONS):
        raise ValueError(f"migration {fn.__name__} is registered twice")
    MIGRATIONS.append(Migration(fn.__name__, fn))
    return fn


def add_column(conn: Connection, *, table: str, column: str, ddl: str) -> None:
    """ALTER TABLE table ADD COLUMN column ddl, unless the column exists (ddl: type, NULL/default clause)."""
    if column not in {c["name"] for c in inspect(conn).get_columns(table)}:
        conn.execute(text(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}'))


def create_index(conn: Connection, *, name: str, table: str, columns: list[str]) -> None:
    """CREATE INDEX IF NOT EXISTS (SQLite and PostgreSQL both accept it)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    conn.execute(text(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({cols})'))


# ---- the migrations, in order -------------------------------------------------------------------------------------


@migration
def m001_initial(conn: Connection) -> None:
    """The first released schema (schema_version 1): every table as created by the models of that release."""


@migration
def m002_scene_prompt_style(conn: Connection) -> None:
    """scene.prompt_style (scenes built before it used the studio text) and scene.system_prompt."""
    add_column(conn, table="scene", column="prompt_style", ddl="VARCHAR NOT NULL DEFAULT 'studio'")
    add_column(conn, table="scene", column="system_prompt", ddl="VARCHAR")


@migration
def m003_export_reviewer(conn: Connection) -> None:
    """exportrecord.reviewer: who wrote an export. (The team-review tables of storage/audit_models.py are created
    from the models just before this step, as every missing table is.)"""
    add_column(conn, table="exportrecord", column="reviewer", ddl="VARCHAR")


@migration
def m004_bigint_instants(conn: Connection) -> None:
    """interaction.timestamp, scene.timestamp, scene.seed and item.release_ts hold 64 bits on PostgreSQL too (its
    INTEGER stopped at 2038 and at seed 2^31-1); SQLite's INTEGER already does."""
    columns = (("interaction", "timestamp"), ("scene", "timestamp"), ("scene", "seed"), ("item", "release_ts"))
    for table, column in columns:
        dialect.widen_to_bigint(conn, table=table, column=column)


@migration
def m005_prediction_conditioning(conn: Connection) -> None:
    """prediction.conditioning: how each prediction's letter was conditioned on its rationale (NULL = not recorded)."""
    add_column(conn, table="prediction", column="conditioning", ddl="VARCHAR")


@migration
def m006_bulk_review(conn: Connection) -> None:
    """The bulk-verdict tables (bulkaction, bulkchange in storage/audit_models.py): created from the models just
    before this step; recording it makes a database that already applied m005 go through that creation once."""


@migration
def m007_run_workers(conn: Connection) -> None:
    """run.host, run.work_from and run.alive_until: parallel workers of one stage (storage/claims.py)."""
    add_column(conn, table="run", column="host", ddl="VARCHAR")
    add_column(conn, table="run", column="work_from", ddl="FLOAT")
    add_column(conn, table="run", column="alive_until", ddl="FLOAT")


@migration
def m008_rationale_decoding(conn: Connection) -> None:
    """rationale.decoding: constrained to the format or free (NULL for rationales generated before it)."""
    add_column(conn, table="rationale", column="decoding", ddl="VARCHAR")


@migration
def m009_scene_source_fields(conn: Connection) -> None:
    """scene.source_dataset and scene.source_timestamp: an imported scene's own dataset name and time, as given."""
    add_column(conn, table="scene", column="source_dataset", ddl="VARCHAR")
    add_column(conn, table="scene", column="source_timestamp", ddl="BIGINT")


@migration
def m010_review_drafts(conn: Connection) -> None:
    """The reviewers' unsaved drafts (reviewdraft, storage/draft_models.py): created from the models just before this
    step, as every missing table is; recorded so the schema's history names it."""


@migration
def m011_scene_sort_indexes(conn: Connection) -> None:
    """Indexes for the Samples sorts by time and by exposure length (ties by id)."""
    create_index(conn, name="ix_scene_time", table="scene", columns=["timestamp", "id"])
    create_index(conn, name="ix_scene_len", table="scene", columns=["choice_cnt", "id"])


# ---- running them -------------------------------------------------------------------------------------------------


def applied_migrations(conn: Connection) -> dict[str, datetime]:
    """{name: applied_at} of the migrations recorded in this database ({} when it has no record table)."""
    if not inspect(conn).has_table(TABLE):
        return {}
    rows = conn.execute(text(f'SELECT name, applied_at FROM "{TABLE}"')).all()
    return {name: at for name, at in rows}


def pending(conn: Connection) -> list[Migration]:
    """The known migrations this database has not applied; SchemaTooNew when it records unknown ones."""
    applied = applied_migrations(conn)
    unknown = sorted(set(applied) - {m.name for m in MIGRATIONS})
    if unknown:
        raise SchemaTooNew(
            f"the database was upgraded by a newer Mirror Studio (migrations unknown to this version: "
            f"{', '.join(unknown)}); update the code (git pull) — a database is never downgraded"
        )
    return [m for m in MIGRATIONS if m.name not in applied]


def _record(conn: Connection, names: list[str]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    for name in names:
        conn.execute(text(f'INSERT INTO "{TABLE}" (name, applied_at) VALUES (:n, :t)'), {"n": name, "t": now})


def _lock(conn: Connection) -> None:
    """Serialise concurrent upgrades (the app and a CLI run opening one database at once), before any DDL: two
    PostgreSQL sessions creating one table at once collide even with IF NOT EXISTS."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(724270001)"))
    conn.execute(
        text(f'CREATE TABLE IF NOT EXISTS "{TABLE}" (name VARCHAR(200) PRIMARY KEY, applied_at TIMESTAMP NOT NULL)')
    )
    if conn.dialect.name == "sqlite":  # any write statement takes SQLite's write lock for the rest of the transaction
        conn.execute(text(f"DELETE FROM \"{TABLE}\" WHERE name = ''"))


def migrate(conn: Connection, *, create_tables: Callable[[Connection], None], fresh: bool) -> list[str]:
    """Bring the database forward inside conn's transaction; returns the names applied now.

    fresh = the database had none of our tables: create_tables builds the current schema and every migration is
    recorded without running. Otherwise missing tables are created, then each pending migration runs in order.
    """
    _lock(conn)
    todo = pending(conn)  # re-read under the lock: another process may have just upgraded
    create_tables(conn)
    if not fresh:
        for step in todo:
            step.apply(conn)
    _record(conn, [m.name for m in todo])
    return [m.name for m in todo]
