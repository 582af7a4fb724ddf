"""Entry point: global options, dispatch, and the exit-code contract (0 done, 2 bad input, 1 failure)."""

import argparse
import importlib
import sys

from core import __version__
from core.errors import MirrorError
from core.settings import load_settings

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


class _Parser(argparse.ArgumentParser):
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
        with busy_is_an_error():
            return int(args.func(args) or 0)
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
