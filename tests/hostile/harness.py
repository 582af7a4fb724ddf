"""The hostile suite's table runner: one Attack per row, run through the CLI in-process, the database dump compared.

A row builds its input under a fresh folder, runs `python -m core` with `{tmp}` and `{db}` filled in, and must exit
with its code and one `error: ...` line containing its fragment, never a traceback. The sha256 of the database's full
SQL dump is taken before and after: a refused attack writes nothing at all (not even a run row).
"""

import gzip
import hashlib
import io
import json
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session

from core.cli.main import main
from core.review import set_review
from storage.db import dispose_engines, get_engine
from tests.factories import make_workspace

Builder = Callable[[Path], None]
DB_NAME = "mirror.db"  # every row works on its own copy of the workspace database, at tmp/mirror.db


@dataclass(frozen=True)
class Attack:
    """One hostile input: build it under tmp, run the command, expect this exit code and message fragment."""

    name: str
    build: Builder | None
    command: list[str]
    code: int
    fragment: str
    check: Callable[[Path], None] | None = None  # extra assertions on files after the run
    env: dict[str, str] = field(default_factory=dict)
    secret: str | None = None  # text that must appear in no output (a password, a key)

    def __str__(self) -> str:
        return self.name


def dump_hash(db: str) -> str:
    """sha256 of the database's full SQL dump (schema and every row)."""
    conn = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def workspace_db(path: Path) -> str:
    """A scored workspace (dataset toy, selection sel with two approved scenes) in a fresh database file."""
    db = str(path)
    engine = get_engine(db)
    with Session(engine, expire_on_commit=False) as s:
        scenes = make_workspace(s)
        for scene in scenes[1:3]:
            set_review(session=s, scene_id=scene.id, status="approved", reviewer="r")
    dispose_engines()
    return db


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `python -m core ARGV` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusals
            code = exc.code if isinstance(exc.code, int) else 1
    dispose_engines()
    return code, out.getvalue(), err.getvalue()


def run_attack(attack: Attack, *, template: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copy the workspace database to tmp/mirror.db, build, run, and assert the exit code, the one-line message and
    the unchanged database."""
    db = str(tmp / DB_NAME)
    shutil.copy(template, db)
    monkeypatch.delenv("MIRROR_DB", raising=False)
    for name, value in attack.env.items():
        monkeypatch.setenv(name, value)
    if attack.build is not None:
        attack.build(tmp)
    argv = [part.format(tmp=tmp, db=db) for part in ["--db", "{db}", *attack.command]]
    before = dump_hash(db)
    code, out, err = run_cli(argv)
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert (code, len(errors)) == (attack.code, 1), (code, out, err)
    assert attack.fragment in errors[0], errors[0]
    if attack.secret is not None:
        assert attack.secret not in out + err, "a secret was printed"
    assert dump_hash(db) == before, "the database changed"
    if attack.check is not None:
        attack.check(tmp)


def params(attacks: list[Attack]) -> list:
    """pytest parameters, one per row, named after the attack."""
    names = [a.name for a in attacks]
    assert len(set(names)) == len(names), "attack names must be unique"
    return [pytest.param(a, id=a.name) for a in attacks]


# -- input builders ---------------------------------------------------------------------------------------------

USERS = "user_id,age\nu1,20\nu2,30\n"
ITEMS = "item_id,title\ni1,A\ni2,B\ni3,C\n"
INTERACTIONS = "user_id,item_id,timestamp\nu1,i1,1000\nu1,i2,2000\nu1,i3,3000\nu2,i1,4000\n"


def write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def unified(
    users: str = USERS, items: str = ITEMS, interactions: str = INTERACTIONS, ext: str = "csv", folder: str = "in"
) -> Builder:
    """A unified-form folder tmp/FOLDER with the three files as given (text in the file's own format)."""

    def build(tmp: Path) -> None:
        for kind, text in (("users", users), ("items", items), ("interactions", interactions)):
            write(tmp / folder / f"{kind}.{ext}", text)

    return build


def with_interaction(cell: str, column: str = "timestamp") -> Builder:
    """The good unified CSV folder plus interaction u2,i2 at 5000 whose COLUMN cell is exactly CELL."""
    if column == "timestamp":
        return unified(interactions=INTERACTIONS + f"u2,i2,{cell}\n")
    header, *rows = INTERACTIONS.splitlines()
    lines = [f"{header},{column}", *(f"{row},1" for row in rows), f"u2,i2,5000,{cell}"]
    return unified(interactions="\n".join(lines) + "\n")


def parquet_folder(users: pd.DataFrame, items: pd.DataFrame, interactions: pd.DataFrame) -> Builder:
    """A unified-form folder of Parquet files written from these frames."""

    def build(tmp: Path) -> None:
        (tmp / "in").mkdir(parents=True, exist_ok=True)
        for kind, frame in (("users", users), ("items", items), ("interactions", interactions)):
            frame.to_parquet(tmp / "in" / f"{kind}.parquet", index=False)

    return build


def files(**named: str | bytes) -> Builder:
    """Files under tmp/in by name (a double underscore in a name stands for a path separator)."""

    def build(tmp: Path) -> None:
        for name, data in named.items():
            write(tmp / "in" / name.replace("__", "/"), data)

    return build


def jsonl(*rows: object) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def both(*builders: Builder) -> Builder:
    def build(tmp: Path) -> None:
        for b in builders:
            b(tmp)

    return build
