"""CLI: score (per-scene uncertainty) and select (behaviour sampling, thresholds, stratified quotas)."""

import argparse

from core.errors import BadInput
from core.limits import TARGET
from storage.constants import DEFAULT_RANK, SCORE_COLUMNS


def register(sub) -> None:
    """Add the `score` and `select` commands."""
    p = sub.add_parser(
        "score",
        help="compute per-scene uncertainty scores from every prediction (replaces the scores table)",
        description="For every scene with predictions of both roles: expected entropy E, total uncertainty T, "
        "data uncertainty D, hit rate and log-loss per role, and the weak - strong differences (DESIGN.md §5). "
        "Scenes missing a role are counted and reported, never guessed.",
    )
    p.set_defaults(func=run_score)

    p = sub.add_parser(
        "select",
        help="save a named selection: chosen/rejected pairs, thresholds, ranking, stratified quotas",
        description="Behaviour sampling (chosen = lowest-entropy correct strong rationale, rejected = lowest-entropy "
        "wrong rationale of either role), optional min/max thresholds, ranking by a score column and quotas per "
        f"(dataset, exposure length) group up to the target. Score columns: {', '.join(SCORE_COLUMNS)}.",
    )
    p.add_argument("--name", required=True, help="name to save the selection under")
    p.add_argument("--column", default=DEFAULT_RANK, help=f"score column to rank by (default {DEFAULT_RANK})")
    p.add_argument("--ascending", action="store_true", help="rank smallest first (default: largest first)")
    p.add_argument("--target", type=TARGET.arg, default=10_000, help="number of scenes to keep (default 10000)")
    p.add_argument("--min", action="append", default=[], metavar="COL=V", help="keep scenes with COL >= V (repeat)")
    p.add_argument("--max", action="append", default=[], metavar="COL=V", help="keep scenes with COL <= V (repeat)")
    p.add_argument("--replace", action="store_true", help="overwrite an existing selection of that name")
    p.set_defaults(func=run_select)


def parse_thresholds(values: list[str], option: str) -> dict[str, float]:
    """['diff_model=0.1', ...] -> {'diff_model': 0.1}; BadInput naming the bad item."""
    found: dict[str, float] = {}
    for raw in values:
        column, sep, value = raw.partition("=")
        column = column.strip()
        if not sep or not column:
            raise BadInput(f"{option} {raw!r}: expected COLUMN=VALUE, e.g. {option} diff_model=0.1")
        try:
            found[column] = float(value)
        except ValueError:
            raise BadInput(f"{option} {raw!r}: {value.strip()!r} is not a number") from None
    return found


def run_score(args: argparse.Namespace) -> int:
    """Recompute every score and print the report."""
    from core.progress import Progress
    from core.scoring import score
    from storage.db import get_engine

    report = score(engine=get_engine(args.db), progress=Progress())
    print(report.message)
    return 0


def run_select(args: argparse.Namespace) -> int:
    """Save a selection and print what was kept and dropped."""
    from core.selection import SelectionConfig, save_selection
    from storage.db import get_engine

    config = SelectionConfig(
        name=args.name,
        column=args.column,
        ascending=args.ascending,
        target=args.target,
        mins=parse_thresholds(args.min, "--min"),
        maxs=parse_thresholds(args.max, "--max"),
    )
    result = save_selection(engine=get_engine(args.db), config=config, replace=args.replace)
    print(f"selection {config.name!r}: kept {len(result.kept)} of {result.considered} scored scenes")
    print("kept per (dataset, exposure length):")
    for (dataset, length), n in sorted(result.kept_by_group.items()):
        print(f"  {dataset}\t{length}\t{n}")
    print("dropped:")
    for reason, n in result.drops.items():
        print(f"  {reason}: {n}")
    for note in result.notes:
        print(f"note: {note}")
    return 0
