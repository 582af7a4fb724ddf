"""A throwaway PostgreSQL cluster for the tests: initdb into a temp dir as a non-root user, served on loopback.

The server runs as the `postgres` user Debian's package creates when the tests run as root (PostgreSQL refuses to
run as root), with durability switched off (fsync, synchronous_commit, full_page_writes): a test cluster only has
to be fast, and it is deleted with its directory when stopped.
"""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

USER = "mirror"  # the cluster's superuser
PASSWORD = "pg-test-secret"  # asked on loopback (scram-sha-256), so URLs carry a password the messages must mask


def find_bindir() -> Path | None:
    """The directory of initdb/pg_ctl: MIRROR_PG_BINDIR, the PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    if os.environ.get("MIRROR_PG_BINDIR"):
        return Path(os.environ["MIRROR_PG_BINDIR"])
    if found := shutil.which("initdb"):
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    """One cluster in a temp directory; start() then url(name); stop() kills it and removes the directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="mirror-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._as_user: dict = {}
        if os.geteuid() == 0:  # run the server as an unprivileged user
            account = pwd.getpwnam(os.environ.get("MIRROR_PG_USER", "postgres"))
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True, cwd=self.root, **self._as_user
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> "PgCluster":
        """initdb and start the server on a free loopback port; waits until it accepts connections. A SIGTERM to this
        process from now on raises KeyboardInterrupt, so the caller's finally (or pytest's teardown) still stops it:
        the server is a daemon of its own and would outlive a killed parent."""
        signal.signal(signal.SIGTERM, _interrupt)
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if self._as_user:
            os.chown(pwfile, self._as_user["user"], self._as_user["group"])
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}", "--auth-host=scram-sha-256",
            "--auth-local=trust", "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        for _ in range(3):  # the free port may be taken between choosing and binding it
            self.port = _free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            try:
                log = str(self.root / "server.log")
                self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")
                return self
            except RuntimeError:
                time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not start: {(self.root / 'server.log').read_text()[-2000:]}")

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database of this cluster."""
        return f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection:
        """An autocommit connection to the maintenance database (CREATE/DROP DATABASE)."""
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new database (a copy of template when given); returns its URL."""
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever is still connected to it."""
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server at once and delete the cluster (safe to call twice)."""
        if self.data.exists():
            with contextlib.suppress(RuntimeError):  # not running (never started, or already stopped)
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
