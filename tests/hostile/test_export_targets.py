"""Hostile export targets (issue 11 item 1): the database, its -wal/-shm/-journal, links, special files, folders and
existing files are refused with exit 2 and left exactly as they were; --force overwrites a regular file only."""

import os
import socket
import stat
from pathlib import Path

import pytest

from tests.hostile.harness import DB_NAME, Attack, params, run_attack, write

DPO = ["export", "--selection", "sel", "--format", "dpo"]
VICTIM = b"precious data\n"


def _victim(tmp: Path) -> Path:
    path = tmp / "victim.txt"
    path.write_bytes(VICTIM)
    return path


def _symlink(name: str, to: str) -> object:
    def build(tmp: Path) -> None:
        _victim(tmp)
        os.symlink(to.format(tmp=tmp), tmp / name)

    return build


def _fifo(tmp: Path) -> None:
    os.mkfifo(tmp / "pipe")


def _socket(tmp: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp / "sock"))
    sock.close()


def _device(tmp: Path) -> None:
    try:
        os.mknod(tmp / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("this machine does not allow mknod")


def _existing(name: str) -> object:
    def build(tmp: Path) -> None:
        write(tmp / name, VICTIM)

    return build


def _hard_link(tmp: Path) -> None:
    os.link(tmp / DB_NAME, tmp / "hard.jsonl")


def _db_folder_link(tmp: Path) -> None:
    (tmp / "sub").mkdir()
    os.symlink(tmp, tmp / "sub" / "up")


def _victim_intact(tmp: Path) -> None:
    assert (tmp / "victim.txt").read_bytes() == VICTIM


def _link_intact(name: str, to: str) -> object:
    def check(tmp: Path) -> None:
        assert os.readlink(tmp / name) == to.format(tmp=tmp)
        _victim_intact(tmp)
        assert not list(tmp.glob(".*.tmp")), "a temporary file was left behind"

    return check


def _kind_intact(name: str, is_kind) -> object:
    def check(tmp: Path) -> None:
        assert is_kind(os.lstat(tmp / name).st_mode)
        assert not (tmp / f"{name}.manifest.json").exists()

    return check


def _bytes_intact(name: str) -> object:
    def check(tmp: Path) -> None:
        assert (tmp / name).read_bytes() == VICTIM

    return check


def _nothing_named(name: str) -> object:
    def check(tmp: Path) -> None:
        assert not (tmp / name).exists()

    return check


ATTACKS = [
    Attack("out-is-the-database", None, [*DPO, "--out", "{tmp}/mirror.db"], 2, "is the database"),
    Attack("out-is-the-database-parquet", None, [*DPO, "--parquet", "--out", "{tmp}/mirror.db"], 2, "is the database"),
    Attack("out-is-the-wal", None, [*DPO, "--out", "{tmp}/mirror.db-wal"], 2, "database's write-ahead log"),
    Attack("out-is-the-shm", None, [*DPO, "--out", "{tmp}/mirror.db-shm"], 2, "database's shared-memory file"),
    Attack("out-is-the-journal", None, [*DPO, "--out", "{tmp}/mirror.db-journal"], 2, "database's rollback journal"),
    Attack(
        "eval-out-is-the-database",
        None,
        ["export", "--format", "eval", "--out", "{tmp}/mirror.db"],
        2,
        "is the database",
    ),
    Attack(
        "scores-out-is-the-wal",
        None,
        ["export", "--format", "scores", "--out", "{tmp}/mirror.db-wal"],
        2,
        "write-ahead log",
    ),
    Attack("out-is-a-hard-link-to-the-database", _hard_link, [*DPO, "--out", "{tmp}/hard.jsonl"], 2, "is the database"),
    Attack(
        "out-reaches-the-database-through-a-linked-folder",
        _db_folder_link,
        [*DPO, "--out", "{tmp}/sub/up/mirror.db"],
        2,
        "is the database",
    ),
    Attack(
        "out-is-the-database-by-a-dotted-path",
        lambda tmp: (tmp / "x").mkdir(),
        [*DPO, "--out", "{tmp}/./x/../mirror.db"],
        2,
        "is the database",
    ),
    Attack(
        "out-is-a-symlink-to-a-file",
        _symlink("link.jsonl", "{tmp}/victim.txt"),
        [*DPO, "--out", "{tmp}/link.jsonl"],
        2,
        "is a symbolic link",
        check=_link_intact("link.jsonl", "{tmp}/victim.txt"),
    ),
    Attack(
        "out-is-a-symlink-to-the-database",
        _symlink("db.jsonl", "{tmp}/mirror.db"),
        [*DPO, "--out", "{tmp}/db.jsonl"],
        2,
        "is the database",
        check=_link_intact("db.jsonl", "{tmp}/mirror.db"),
    ),
    Attack(
        "out-is-a-dangling-symlink",
        _symlink("dangling.jsonl", "{tmp}/not-yet.txt"),
        [*DPO, "--out", "{tmp}/dangling.jsonl"],
        2,
        "is a symbolic link",
        check=_link_intact("dangling.jsonl", "{tmp}/not-yet.txt"),
    ),
    Attack(
        "out-is-a-symlink-even-with-force",
        _symlink("forced.jsonl", "{tmp}/victim.txt"),
        [*DPO, "--force", "--out", "{tmp}/forced.jsonl"],
        2,
        "is a symbolic link",
        check=_link_intact("forced.jsonl", "{tmp}/victim.txt"),
    ),
    Attack(
        "out-is-a-fifo",
        _fifo,
        [*DPO, "--force", "--out", "{tmp}/pipe"],
        2,
        "is a named pipe",
        check=_kind_intact("pipe", stat.S_ISFIFO),
    ),
    Attack(
        "out-is-a-socket",
        _socket,
        [*DPO, "--force", "--out", "{tmp}/sock"],
        2,
        "is a socket",
        check=_kind_intact("sock", stat.S_ISSOCK),
    ),
    Attack(
        "out-is-a-device",
        _device,
        [*DPO, "--force", "--out", "{tmp}/null"],
        2,
        "is a device",
        check=_kind_intact("null", stat.S_ISCHR),
    ),
    Attack("out-is-a-directory", None, [*DPO, "--out", "{tmp}"], 2, "is a directory"),
    Attack("out-is-dot", None, [*DPO, "--out", "."], 2, "is a directory"),
    Attack("out-ends-with-a-slash", None, [*DPO, "--out", "{tmp}/new/"], 2, "names a directory"),
    Attack("out-is-empty", None, [*DPO, "--out", ""], 2, "the output path is empty"),
    Attack("out-is-blank", None, [*DPO, "--out", "   "], 2, "the output path is empty"),
    Attack("out-folder-missing", None, [*DPO, "--out", "{tmp}/no/such/out.jsonl"], 2, "does not exist"),
    Attack(
        "out-folder-is-a-file",
        _existing("plain.txt"),
        [*DPO, "--out", "{tmp}/plain.txt/out.jsonl"],
        2,
        "is not a directory",
        check=_bytes_intact("plain.txt"),
    ),
    Attack("out-name-too-long", None, [*DPO, "--out", "{tmp}/" + "x" * 300], 2, "name too long"),
    Attack(
        "out-exists-without-force",
        _existing("old.jsonl"),
        [*DPO, "--out", "{tmp}/old.jsonl"],
        2,
        "already exists; pass --force",
        check=_bytes_intact("old.jsonl"),
    ),
    Attack(
        "manifest-exists-without-force",
        _existing("fresh.jsonl.manifest.json"),
        [*DPO, "--out", "{tmp}/fresh.jsonl"],
        2,
        "fresh.jsonl.manifest.json' already exists; pass --force",
        check=lambda tmp: (_bytes_intact("fresh.jsonl.manifest.json")(tmp), _nothing_named("fresh.jsonl")(tmp)),
    ),
    Attack(
        "manifest-is-a-directory",
        lambda tmp: (tmp / "m.jsonl.manifest.json").mkdir(),
        [*DPO, "--force", "--out", "{tmp}/m.jsonl"],
        2,
        "is a directory",
        check=_nothing_named("m.jsonl"),
    ),
    Attack(
        "manifest-is-a-symlink",
        _symlink("s.jsonl.manifest.json", "{tmp}/victim.txt"),
        [*DPO, "--force", "--out", "{tmp}/s.jsonl"],
        2,
        "is a symbolic link",
        check=lambda tmp: (
            _link_intact("s.jsonl.manifest.json", "{tmp}/victim.txt")(tmp),
            _nothing_named("s.jsonl")(tmp),
        ),
    ),
    Attack(
        "out-is-the-database-opened-read-only",
        None,
        ["--db", "sqlite:///file:{tmp}/mirror.db?mode=ro&uri=true", *DPO, "--out", "{tmp}/mirror.db"],
        2,
        "is the database",
    ),
]


@pytest.mark.parametrize("attack", params(ATTACKS))
def test_export_target(attack, template, tmp_path, monkeypatch):
    run_attack(attack, template=template, tmp=tmp_path, monkeypatch=monkeypatch)
