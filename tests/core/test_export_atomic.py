"""Export writes a temporary file and moves it into place: a killed or failing export leaves the old file as it was,
--force replaces a regular file, a file that appears meanwhile is never overwritten without --force."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import core.export
from core.errors import BadInput
from core.export import export, manifest_path
from tests.hostile.harness import workspace_db

ROOT = Path(__file__).resolve().parents[2]
OLD = b'{"old": true}\n'


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    monkeypatch.delenv("MIRROR_DB", raising=False)
    return workspace_db(tmp_path / "mirror.db")


def _engine(db: str):
    from storage.db import get_engine

    return get_engine(db)


def _files(folder: Path) -> list[str]:
    """Every file name in the folder but the database's."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("mirror.db"))


def _old_export(tmp_path: Path) -> Path:
    out = tmp_path / "dpo.jsonl"
    out.write_bytes(OLD)
    manifest_path(out).write_bytes(OLD)
    return out


KILLER = """
import os, signal, sys
import core.export
from core.cli.main import main

def half_then_die(rows, tmp, parquet):
    tmp.write_text("{\\"half\\": ")
    os.kill(os.getpid(), signal.SIGKILL)

core.export._write = half_then_die
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_export_leaves_the_old_file_untouched(db, tmp_path):
    out = _old_export(tmp_path)
    argv = ["--db", db, "export", "--selection", "sel", "--format", "dpo", "--out", str(out), "--force"]
    proc = subprocess.run([sys.executable, "-c", KILLER, *argv], cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert out.read_bytes() == OLD and manifest_path(out).read_bytes() == OLD
    leftovers = sorted(p.name for p in tmp_path.glob(".dpo.jsonl.*.tmp"))
    assert len(leftovers) == 2  # the data file's and the manifest's temporary files, hidden beside the target


def test_a_failing_export_leaves_the_old_file_and_no_temporary(db, tmp_path, monkeypatch):
    out = _old_export(tmp_path)

    def fail(rows, tmp, parquet):
        tmp.write_text("partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(core.export, "_write", fail)
    with pytest.raises(OSError, match="No space left"):
        export(engine=_engine(db), fmt="dpo", out=out, selection="sel", force=True)
    assert out.read_bytes() == OLD and manifest_path(out).read_bytes() == OLD
    assert _files(tmp_path) == ["dpo.jsonl", "dpo.jsonl.manifest.json"]


def test_force_replaces_a_regular_file_and_its_manifest(db, tmp_path):
    out = _old_export(tmp_path)
    os.chmod(out, 0o600)
    result = export(engine=_engine(db), fmt="dpo", out=out, selection="sel", force=True)
    assert result.rows == 2 and len(out.read_text().splitlines()) == 2
    assert json.loads(manifest_path(out).read_text())["sha256"] == result.sha256
    assert _files(tmp_path) == ["dpo.jsonl", "dpo.jsonl.manifest.json"]
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_file_that_appears_during_the_export_is_not_overwritten(db, tmp_path, monkeypatch):
    out = tmp_path / "race.jsonl"
    write = core.export._write

    def someone_else_writes_first(rows, tmp, parquet):
        write(rows, tmp, parquet)
        out.write_bytes(OLD)

    monkeypatch.setattr(core.export, "_write", someone_else_writes_first)
    with pytest.raises(BadInput, match="already exists; pass --force"):
        export(engine=_engine(db), fmt="dpo", out=out, selection="sel")
    assert out.read_bytes() == OLD
    assert _files(tmp_path) == ["race.jsonl"]


def test_a_link_planted_at_a_guessable_temporary_name_is_not_followed(db, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(OLD)
    for pid in range(os.getpid() - 5, os.getpid() + 5):  # the old name was .NAME.<pid>.tmp
        os.symlink(victim, tmp_path / f".out.jsonl.{pid}.tmp")
    export(engine=_engine(db), fmt="dpo", out=tmp_path / "out.jsonl", selection="sel")
    assert victim.read_bytes() == OLD
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
