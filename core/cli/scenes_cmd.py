"""CLI: scenes — build simulation scenes (profile, history, exposure list) for one dataset and split."""

import argparse

from core.choices import POSITIONS, SCORERS
from core.limits import COUNT, EXPOSURE, HISTORY, SEED
from storage.constants import DEFAULT_PROMPT_STYLE, PROMPT_STYLES, SPLITS


def register(sub) -> None:
    """Add the `scenes` command."""
    parser = sub.add_parser("scenes", help="build simulation scenes (profile, history, options) from interactions")
    parser.add_argument("--dataset", required=True, help="name of an ingested dataset")
    parser.add_argument("--count", type=COUNT.arg, required=True, help="number of scenes to build")
    parser.add_argument("--split", choices=SPLITS, default="train", help="split of the new scenes")
    parser.add_argument("--min-exposure", type=EXPOSURE.arg, default=2, help="shortest exposure list (default 2)")
    parser.add_argument(
        "--max-exposure", type=EXPOSURE.arg, default=12, help="longest exposure list (default 12, at most 26)"
    )
    parser.add_argument(
        "--seed", type=SEED.arg, default=0, help="random seed (0 to 2^63-1); the same seed builds the same scenes"
    )
    parser.add_argument(
        "--scorers",
        default=",".join(SCORERS),
        help=f"comma-separated candidate scorers (default {','.join(SCORERS)})",
    )
    parser.add_argument("--history-min", type=HISTORY.arg, default=2, help="fewest history entries drawn (default 2)")
    parser.add_argument("--history-max", type=HISTORY.arg, default=10, help="most history entries drawn (default 10)")
    parser.add_argument(
        "--prompt-style",
        default=DEFAULT_PROMPT_STYLE,
        help=f"scene text and every prompt about these scenes, one of {', '.join(PROMPT_STYLES)}: reference = the "
        f"paper's code byte for byte, studio = this project's rewrite (default {DEFAULT_PROMPT_STYLE})",
    )
    parser.add_argument(
        "--position",
        default=POSITIONS[0],
        help=f"where the true item goes among sampled options, one of {', '.join(POSITIONS)}: uniform (any place; "
        "default) or reference (the "
        "reference's randint(0, L-2): never last, always [A] with 2 options)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the scenes and print how many were created (and why fewer, when fewer)."""
    from core.progress import Progress
    from core.scenes import build_scenes
    from storage.db import get_engine

    report = build_scenes(
        engine=get_engine(args.db),
        dataset=args.dataset,
        count=args.count,
        split=args.split,
        min_exposure=args.min_exposure,
        max_exposure=args.max_exposure,
        seed=args.seed,
        progress=Progress(),
        scorers=[name.strip() for name in args.scorers.split(",") if name.strip()],
        history_min=args.history_min,
        history_max=args.history_max,
        prompt_style=args.prompt_style,
        position=args.position,
    )
    print(report.message)
    return 0
