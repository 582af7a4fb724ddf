"""CLI: scenes — build simulation scenes (profile, history, exposure list) for one dataset and split."""

import argparse

from core.choices import POSITIONS, SCENE_PRESETS, SCORERS
from core.errors import BadInput
from core.limits import COUNT, EXPOSURE, HISTORY, PROMPT_TOKENS, SEED
from storage.constants import DEFAULT_PROMPT_STYLE, PROMPT_STYLES, SPLITS


def register(sub) -> None:
    """Add the `scenes` command."""
    parser = sub.add_parser("scenes", help="build simulation scenes (profile, history, options) from interactions")
    parser.add_argument("--dataset", required=True, help="name of an ingested dataset")
    parser.add_argument("--count", type=COUNT.arg, help="number of scenes to build (required without --preset)")
    parser.add_argument("--split", choices=SPLITS, help="split of the new scenes (default train)")
    parser.add_argument("--min-exposure", type=EXPOSURE.arg, help="shortest exposure list (default 2)")
    parser.add_argument("--max-exposure", type=EXPOSURE.arg, help="longest exposure list (default 12, at most 26)")
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
    parser.add_argument(
        "--preset",
        help=f"a protocol's settings, one of {', '.join(SCENE_PRESETS)}: paper = the paper's eval sets (--split eval, "
        "--count 256, exactly 5 options, --max-prompt-tokens 6144)",
    )
    parser.add_argument(
        "--max-prompt-tokens",
        type=PROMPT_TOKENS.arg,
        help="leave out (and count) scenes whose prompt is longer than this many tokens (default: no limit; 6144 "
        "with --preset paper)",
    )
    parser.add_argument(
        "--tokenizer-endpoint",
        metavar="NAME",
        help="the endpoint whose tokenizer counts prompt tokens (vllm and llamacpp servers: their /tokenize; local: "
        "the embedded model's); default: an estimate, characters / 3",
    )
    parser.set_defaults(func=run)


DEFAULTS = {"split": "train", "min_exposure": 2, "max_exposure": 12}


def run(args: argparse.Namespace) -> int:
    """Build the scenes and print how many were created (and why fewer, when fewer)."""
    from core.progress import Progress
    from core.scenes import build_scenes
    from core.scenes.prompt_length import resolve_preset
    from storage.db import get_engine

    given = {"split": args.split, "count": args.count, "min_exposure": args.min_exposure}
    given |= {"max_exposure": args.max_exposure, "max_prompt_tokens": args.max_prompt_tokens}
    opts = {**DEFAULTS, **{k: v for k, v in resolve_preset(args.preset, given).items() if v is not None}}
    if opts.get("count") is None:
        raise BadInput("--count is required (or a --preset that sets it)")
    report = build_scenes(
        engine=get_engine(args.db),
        dataset=args.dataset,
        count=opts["count"],
        split=opts["split"],
        min_exposure=opts["min_exposure"],
        max_exposure=opts["max_exposure"],
        seed=args.seed,
        progress=Progress(),
        scorers=[name.strip() for name in args.scorers.split(",") if name.strip()],
        history_min=args.history_min,
        history_max=args.history_max,
        prompt_style=args.prompt_style,
        position=args.position,
        max_prompt_tokens=opts.get("max_prompt_tokens"),
        tokenizer=args.tokenizer_endpoint,
    )
    print(report.message)
    return 0
