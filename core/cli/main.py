"""Entry point: global options, dispatch, and the exit-code contract (0 done, 2 bad input, 1 failure)."""

import argparse
import importlib
import sys

from core import __version__
from core.errors import MirrorError
from core.settings import load_settings
from core.text_checks import text_problem

# Each module defines register(subparsers); order is the order of `--help`.
COMMAND_MODULES = [
    "core.cli.ingest_cmd",
    "core.cli.scenes_cmd",
    "core.cli.endpoints_cmd",
    "core.cli.llm_cmd",
    "core.cli.score_cmd",
    "core.cli.review_cmd",
    "core.cli.evaluate_cmd",
    "core.cli.export_cmd",
    "core.cli.import_cmd",
    "core.cli.status_cmd",
    "core.cli.demo_cmd",
]


def plain_text(value: str) -> str:
    """argparse type of every text option: refuse NUL, lone surrogates (undecodable bytes) and control characters,
    which no database stores faithfully or which would rewrite the terminal printing them."""
    if problem := text_problem(value, controls=True):
        raise argparse.ArgumentTypeError(f"{problem}; use plain printable text")
    return value


class _Parser(argparse.ArgumentParser):
    def add_argument(self, *args, **kwargs):
        """Text options (no type of their own) are checked by plain_text while parsing."""
        if kwargs.get("type") is None and kwargs.get("action", "store") in ("store", "append"):
            kwargs["type"] = plain_text
        return super().add_argument(*args, **kwargs)

    def error(self, message: str) -> None:  # argparse's own exit code is already 2
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every subcommand."""
    parser = _Parser(
        prog="python -m core",
        description="Mirror Studio pipeline: raw feedback -> scenes -> rationales -> scores -> selection -> export.",
    )
    parser.add_argument("--db", help="database path or SQLAlchemy URL (default: env MIRROR_DB, else ./mirror.db)")
    parser.add_argument("--version", action="version", version=f"mirror-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def open_database(db: str) -> None:
    """Open (and upgrade) the database once up front, so a wrong --db is bad input, not a traceback."""
    from storage.db import open_engine

    open_engine(db)


def environment_failure(exc: Exception, db: str) -> MirrorError | None:
    """The one-line failure (exit 1) for what the machine refused — a read-only or full database, a failing disk, a
    denied write — or None for anything else (a bug keeps its traceback). A busy database is busy_is_an_error's."""
    from sqlalchemy.exc import OperationalError

    from storage.db import display_url

    if isinstance(exc, OperationalError):
        reason = str(getattr(exc, "orig", None) or exc)
        for clue, what in (
            ("readonly", "is read-only: open a writable copy"),
            ("disk is full", "cannot grow: the disk is full"),
            ("disk I/O error", "cannot be written: disk I/O error"),
        ):
            if clue in reason:
                return MirrorError(f"database {display_url(db)} {what}")
        return None
    if isinstance(exc, OSError) and exc.strerror:
        return MirrorError(f"{exc.filename or 'the system'}: {exc.strerror}")
    return None


def main(argv: list[str] | None = None) -> int:
    """Run one command; expected failures print one message and return their exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a refused option (exit 2, checked before anything is opened), --help, --version
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from storage.db import busy_is_an_error

    args.db = args.db or load_settings().db  # resolved once; every command passes args.db down
    try:
        open_database(args.db)
        try:
            with busy_is_an_error():
                return int(args.func(args) or 0)
        except Exception as exc:
            failure = environment_failure(exc, args.db)
            if failure is None:
                raise
            raise failure from None
    except MirrorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
    except Exception as exc:
        from storage.db import database_failure

        failure = database_failure(exc, args.db)  # e.g. the server went away mid-run
        if failure is None:
            raise
        print(f"error: {failure}", file=sys.stderr)
        return failure.exit_code
