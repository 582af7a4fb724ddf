"""CLI: ingest — read a dataset directory (unified form or a public layout) into the database."""

import argparse

from core.choices import INGEST_FORMATS
from core.limits import INTERACTIONS


def register(sub) -> None:
    """Add the `ingest` command."""
    p = sub.add_parser(
        "ingest",
        help="read users, items and interactions from files into a dataset",
        description="Read PATH (a directory) in the given format and store it as one dataset, in one transaction: "
        "on bad input nothing is written and the error names file, line and column. Formats: unified (users.*, "
        "items.*, interactions.* as .csv, .jsonl or .parquet), movielens (100K or 1M), movietweetings, amazon "
        "(Reviews 2023 review + meta JSONL), mind (behaviors.tsv + news.tsv), goodbooks (goodbooks-10k).",
    )
    p.add_argument("path", metavar="PATH", help="the directory holding the dataset's files")
    p.add_argument("--dataset", required=True, metavar="NAME", help="name to store the dataset under")
    p.add_argument(
        "--format",
        required=True,
        dest="fmt",
        metavar="{" + ",".join(INGEST_FORMATS) + "}",
        help="layout of the files in PATH",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace an existing dataset of that name, deleting its scenes, rationales, reviews and "
        "edits (the counts are printed)",
    )
    p.add_argument(
        "--min-interactions",
        type=INTERACTIONS.arg,
        default=5,
        metavar="N",
        help="drop users with fewer interactions (default 5)",
    )
    p.add_argument(
        "--max-interactions", type=INTERACTIONS.arg, default=None, metavar="N", help="drop users with more interactions"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Ingest one dataset and print the report."""
    from core.ingest import ingest
    from core.progress import Progress
    from storage.db import get_engine

    report = ingest(
        engine=get_engine(args.db),
        name=args.dataset,
        fmt=args.fmt,
        path=args.path,
        replace=args.replace,
        min_interactions=args.min_interactions,
        max_interactions=args.max_interactions,
        progress=Progress(),
    )
    if report.replaced is not None:
        print(replaced_message(args.dataset, report.replaced))
    print(report.message)
    return 0


def replaced_message(name: str, counts: dict[str, int]) -> str:
    """One line naming what --replace deleted, human work (reviews, edited rationales) first."""
    return (
        f"replaced dataset {name!r}: deleted {counts['scenes']} scenes, {counts['reviews']} reviews, "
        f"{counts['edited_rationales']} edited rationales ({counts['rationales']} rationales, "
        f"{counts['selection_items']} selection items)"
    )
