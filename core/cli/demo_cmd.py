"""CLI: demo — the bundled sample data and the embedded model become a small workspace, end to end."""

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class _Defaults:
    """core.demo.DemoConfig's defaults (pinned by a test): importing core.demo pulls in every stage."""

    train_scenes: int = 16
    eval_scenes: int = 4
    n: int = 3
    max_tokens: int = 96
    endpoint: str = "local"


def register(sub) -> None:
    """Add the `demo` command."""
    defaults = _Defaults()
    p = sub.add_parser(
        "demo",
        help="build the demo workspace offline: sample data -> scenes -> rationales -> scores -> selection",
        description="Ingest the bundled MovieTweetings sample, build scenes, generate strong and weak rationales "
        "and predictions on the embedded model, score, select and review a few scenes. Rerunning resumes.",
    )
    p.add_argument("--scenes", type=int, default=defaults.train_scenes, help="train scenes to build")
    p.add_argument("--eval-scenes", type=int, default=defaults.eval_scenes, help="eval scenes to build")
    p.add_argument("--n", type=int, default=defaults.n, help="rationales per scene and role")
    p.add_argument("--max-tokens", type=int, default=defaults.max_tokens, help="max tokens per rationale")
    p.add_argument("--endpoint", default=defaults.endpoint, help="endpoint for both roles (default: embedded model)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build (or resume) the demo workspace and print each step."""
    from core.demo import DemoConfig, build_demo
    from storage.db import get_engine

    config = DemoConfig(
        train_scenes=args.scenes,
        eval_scenes=args.eval_scenes,
        n=args.n,
        max_tokens=args.max_tokens,
        endpoint=args.endpoint,
    )
    report = build_demo(engine=get_engine(), config=config)
    for line in report.steps:
        print(line)
    print("demo workspace ready: streamlit run app.py")
    return 0
