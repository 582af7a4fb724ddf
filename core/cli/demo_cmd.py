"""CLI: demo — the bundled sample data and the embedded model become a small workspace, end to end."""

import argparse

from core.choices import DEMO_RATIONALES, LOCAL
from core.limits import DEMO_SCENES, MAX_TOKENS, N


def register(sub) -> None:
    """Add the `demo` command."""
    p = sub.add_parser(
        "demo",
        help="build the demo workspace offline: sample data -> scenes -> rationales -> scores -> selection",
        description="Ingest the bundled MovieTweetings sample, build scenes, generate strong and weak rationales "
        "and predictions on the embedded model, score, select and review a few scenes. Rerunning resumes.",
    )
    p.add_argument(
        "--scenes", type=DEMO_SCENES.arg, help="train scenes to build (default: env MIRROR_DEMO_SCENES, else 12)"
    )
    p.add_argument(
        "--eval-scenes", type=DEMO_SCENES.arg, help="eval scenes to build (default: a quarter of --scenes, at least 1)"
    )
    p.add_argument("--n", type=N.arg, default=DEMO_RATIONALES, help="rationales per scene and role")
    p.add_argument(
        "--max-tokens",
        type=MAX_TOKENS.arg,
        help="max tokens per rationale (default: env MIRROR_DEMO_MAX_TOKENS, else 160)",
    )
    p.add_argument(
        "--endpoint",
        help=f"endpoint for both roles (default: env MIRROR_DEMO_ENDPOINT, else {LOCAL}, the embedded model)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build (or resume) the demo workspace and print each step."""
    from core.demo import DemoConfig, build_demo
    from core.errors import BadInput
    from storage.db import get_engine

    given = {"train_scenes": args.scenes, "eval_scenes": args.eval_scenes, "max_tokens": args.max_tokens}
    given["endpoint"] = args.endpoint
    if args.scenes is not None and args.eval_scenes is None:
        given["eval_scenes"] = max(1, args.scenes // 4)
    for flag, value, least in (
        ("--scenes", args.scenes, 0),
        ("--eval-scenes", args.eval_scenes, 0),
        ("--n", args.n, 1),
        ("--max-tokens", args.max_tokens, 1),
    ):
        if value is not None and value < least:
            raise BadInput(f"{flag} must be at least {least} (got {value})")
    config = DemoConfig(n=args.n, **{k: v for k, v in given.items() if v is not None})
    report = build_demo(engine=get_engine(args.db), config=config)
    for line in report.steps:
        print(line)
    print(report.times())
    print("demo workspace ready: streamlit run app.py")
    return 0
