"""CLI: export a selection (DPO / SFT), scenes (eval) or per-scene scores, as JSONL or Parquet with a manifest."""

import argparse

from core.choices import (
    DEFAULT_EXPORT_STATUS,
    EDIT_PAIRS,
    EXPORT_FORMATS,
    EXPORT_PAIRS,
    EXPORT_SPLITS,
    EXPORT_STATUSES,
    SELECTION_PAIRS,
)
from core.errors import BadInput


def register(sub) -> None:
    """Add the `export` command."""
    p = sub.add_parser(
        "export",
        help="write DPO/SFT pairs, eval scenes, scores or evaluation results (JSONL or Parquet) with a manifest",
        description="dpo/sft need --selection (default: approved scenes only; --status any for all selected); "
        "eval writes the scene text of eval-split scenes in the public UserMirrorer eval layout (--split train or "
        "any for others; optional --dataset); scores writes one row per scored scene; evalresults writes one row per "
        "scene and repeat of an evaluation run (--run). "
        f"dpo --pairs {EDIT_PAIRS}: every edited rationale of a train scene as a pair (chosen = the human edit, "
        "rejected = the model's original; --selection optional). A reviewer's chosen/rejected pair is used over the "
        "computed one, and each row says which (pair_source). "
        "A manifest <file>.manifest.json (counts, sha256, configuration, who exported) is written beside the file. "
        "--out must be a new file (or an existing regular file with --force), never the database or a link.",
    )
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="what to export")
    p.add_argument("--out", required=True, help="output file path")
    p.add_argument("--selection", help="selection name (required for dpo and sft)")
    p.add_argument(
        "--status",
        default=DEFAULT_EXPORT_STATUS,
        choices=EXPORT_STATUSES,
        help=f"review status to export (default {DEFAULT_EXPORT_STATUS})",
    )
    p.add_argument("--dataset", help="only this dataset (eval, scores)")
    p.add_argument(
        "--split",
        choices=EXPORT_SPLITS,
        help="eval format: which scenes (default eval; train = training scenes, any = both)",
    )
    p.add_argument("--run", help="evaluation run name (required for evalresults)")
    p.add_argument(
        "--pairs",
        default=SELECTION_PAIRS,
        choices=EXPORT_PAIRS,
        help=f"dpo: the selection's pairs (default) or {EDIT_PAIRS} (human edit vs the model's original)",
    )
    p.add_argument("--parquet", action="store_true", help="write Parquet instead of JSONL")
    p.add_argument("--reviewer", help="who exports, recorded in the manifest (default: env MIRROR_REVIEWER)")
    p.add_argument(
        "--force", action="store_true", help="overwrite an existing regular file (and its manifest) at --out"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check the flag combination, export, and print the file and its manifest."""
    from core.export import export
    from core.settings import load_settings
    from storage.db import get_engine

    if args.format == "evalresults" and (args.selection or args.dataset or args.split):
        raise BadInput("--selection/--dataset/--split do not apply to evalresults; the run (--run) decides the rows")
    if args.format != "evalresults" and args.run:
        raise BadInput(f"--run applies to evalresults only, not to {args.format}")
    if args.format in ("dpo", "sft") and (args.dataset or args.split):
        raise BadInput(f"--dataset/--split do not apply to {args.format}; the selection decides the scenes")
    if args.format in ("eval", "scores") and args.selection:
        raise BadInput(f"--selection does not apply to {args.format}; use --dataset (and --split for eval)")
    if args.format == "scores" and args.split:
        raise BadInput("--split does not apply to scores; use --dataset")
    result = export(
        engine=get_engine(args.db),
        fmt=args.format,
        out=args.out,
        selection=args.selection,
        status=args.status,
        parquet=args.parquet,
        dataset=args.dataset,
        split=args.split,
        run=args.run,
        pairs=args.pairs,
        reviewer=args.reviewer or load_settings().reviewer,
        force=args.force,
    )
    print(f"wrote {result.rows} rows to {result.path} (sha256 {result.sha256[:12]}...)")
    print(f"manifest: {result.path}.manifest.json")
    return 0
