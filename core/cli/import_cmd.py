"""CLI: import — open the reference UserMirrorer pipeline's artifacts (and its public files) as a dataset."""

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.importers import ImportReport


def register(sub) -> None:
    """Add `import`."""
    parser = sub.add_parser(
        "import",
        help="import the reference UserMirrorer pipeline's files (no LLM call)",
        description=(
            "Reads DIR/datasets/NAME_{train,eval}.jsonl, DIR/decisions/NAME_decisions_{strong,weak}.jsonl, "
            "DIR/probs/NAME_probs_{strong,weak}.jsonl and the public Hugging Face files saved as JSON lines "
            "(DIR/UserMirrorer-eval*.jsonl, DIR/UserMirrorer.jsonl or DIR/UserMirrorer-train*.jsonl, "
            "DIR/datasets/*_pref.jsonl). Missing files are skipped and listed; the public DPO pairs become the "
            "selection NAME-reference. Importing the same files again changes nothing. "
            "--format batch-results --path FILE reads the results of a batch file written by --batch-out (OpenAI "
            "Batch API output JSONL) into the LLM cache and call log; the stage's command then finishes with no call."
        ),
    )
    parser.add_argument(
        "--format", required=True, choices=["usermirrorer", "batch-results"], help="layout of the files"
    )
    parser.add_argument("--dataset", metavar="NAME", help="usermirrorer: dataset name (also the files' prefix)")
    parser.add_argument(
        "--path", required=True, metavar="PATH", help="usermirrorer: the reference directory; batch-results: the file"
    )
    parser.add_argument("--replace", action="store_true", help="replace an existing dataset of that name")
    parser.set_defaults(func=run)


def print_report(report: "ImportReport") -> None:
    """What --replace deleted, per-file counts, the files that were not there, custom_ids that matched no scene."""
    from core.cli.ingest_cmd import replaced_message

    if report.replaced is not None:
        print(replaced_message(report.dataset, report.replaced))
    for rel, counts in report.files.items():
        shown = ", ".join(f"{k} {v}" for k, v in counts.items() if k != "unmatched_examples")
        print(f"  {rel}: {shown}")
    if report.unmatched_custom_ids:
        examples = ", ".join(report.unmatched_examples[:5])
        print(f"  {report.unmatched_custom_ids} custom_id(s) matched no scene, e.g. {examples}")
    for rel in report.missing:
        print(f"  not found: {rel}")
    if report.selection:
        print(f"  reference chosen/rejected pairs: selection {report.selection!r}")
    print(report.message)


def run(args: argparse.Namespace) -> int:
    """Import the reference files (or a batch results file) and print the report."""
    from core.errors import BadInput
    from core.importers import import_usermirrorer
    from core.progress import Progress
    from storage.db import get_engine

    if args.format == "batch-results":
        from core.llm.batch_file import import_batch_results

        print(import_batch_results(engine=get_engine(args.db), path=args.path).message)
        return 0
    if not args.dataset:
        raise BadInput("--format usermirrorer needs --dataset NAME")
    report = import_usermirrorer(
        engine=get_engine(args.db), name=args.dataset, path=args.path, replace=args.replace, progress=Progress()
    )
    print_report(report)
    return 0
