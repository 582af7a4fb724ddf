"""Output files written safely: check the target first, then write a temporary file beside it and move it into place.

A target is refused when it is (or would overwrite) the database or one of its -wal/-shm/-journal files, when it is
anything but a regular file (symbolic link, folder, named pipe, socket, device), and when it already exists unless
the caller forces it. The temporary file is created exclusively in the target's folder, so a killed writer leaves
the old file untouched (and at most a hidden `.NAME.*.tmp` beside it).
"""

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine

from core.errors import BadInput, MirrorError

# The database file and the files SQLite keeps beside it, with what they are called in messages.
DATABASE_FILES = {
    "": "the database",
    "-wal": "the database's write-ahead log",
    "-shm": "the database's shared-memory file",
    "-journal": "the database's rollback journal",
}
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def database_files(engine: Engine) -> dict[Path, str]:
    """The SQLite database file of this engine and its companions -> their description ({} for other backends)."""
    url = engine.url
    name = url.database or ""
    if url.get_backend_name() != "sqlite" or name in ("", ":memory:"):
        return {}
    if name.startswith("file:"):  # a URI filename (sqlite:///file:PATH?mode=ro&uri=true)
        name = name.removeprefix("file:").split("?", 1)[0]
    base = Path(name).expanduser().resolve()
    return {base.with_name(base.name + suffix): what for suffix, what in DATABASE_FILES.items()}


def _same_file(path: Path, other: Path) -> bool:
    try:
        return os.path.samefile(path, other)
    except (OSError, ValueError):
        return False


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a name too long, a folder in the way that is a file, no permission
        raise BadInput(f"cannot write {str(path)!r}: {exc.strerror}") from None


def check_target(path: str | Path, *, protected: dict[Path, str], force: bool) -> Path:
    """The target as a Path; BadInput when it is a protected file, not a regular file, or exists without force."""
    if not str(path).strip():
        raise BadInput("the output path is empty; give a file path")
    if "\0" in str(path):
        raise BadInput("the output path contains a NUL byte")
    if str(path).endswith(os.sep):
        raise BadInput(f"output path {str(path)!r} names a directory; give a file path")
    target = Path(path).expanduser()
    parent = target.parent
    if not parent.is_dir():
        if parent.exists() or any(p.is_file() for p in parent.parents):
            raise BadInput(f"cannot write {str(target)!r}: {str(parent)!r} is not a directory")
        raise BadInput(f"output directory {str(parent)!r} does not exist")
    resolved = parent.resolve() / target.name
    for guarded, what in protected.items():
        if resolved == guarded or _same_file(target, guarded):
            raise BadInput(f"output path {str(target)!r} is {what}; choose another file")
    info = _lstat(target)
    if info is None:
        return target
    for is_kind, kind in _KINDS:
        if is_kind(info.st_mode):
            raise BadInput(f"output path {str(target)!r} is {kind}; only a regular file can be written")
    if not force:
        raise BadInput(f"{str(target)!r} already exists; pass --force to overwrite it")
    return target


def _umask() -> int:
    """The process umask, read without changing it (os.umask would race with other threads)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        return 0o022


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A fresh temporary file beside target to write; it is removed when the block fails."""
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise MirrorError(f"cannot write in {str(target.parent)!r}: {exc.strerror}") from None
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def commit(tmp: Path, target: Path, *, force: bool) -> None:
    """Move a complete temporary file into place: flushed to disk first; without force never over an existing file
    (a file that appeared since the check is refused, the temporary removed)."""
    with tmp.open("rb+") as handle:
        os.fsync(handle.fileno())
    try:
        if force:
            os.replace(tmp, target)
            return
        try:
            os.link(tmp, target)  # atomic and refuses an existing name, unlike rename
        except FileExistsError:
            raise BadInput(f"{str(target)!r} already exists; pass --force to overwrite it") from None
        except OSError:  # a filesystem without hard links: the name was checked free just before
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
