"""CLI: evaluate — a simulator (an endpoint, direct or thought) or a non-LLM baseline on held-out scenes."""

import argparse
import json

from core import limits
from core.choices import EVAL_BASELINES, EVAL_MODES, EVAL_REPEAT, PREDICT_SAMPLES, THOUGHT_MAX_TOKENS
from core.cli.llm_cmd import add_batch_out
from storage.constants import SPLITS


def register(sub) -> None:
    """Add the `evaluate` command."""
    p = sub.add_parser(
        "evaluate",
        help="measure a simulator (endpoint, direct or thought) or a baseline on eval scenes: accuracy, calibration",
        description="Scores every eval scene REPEAT times: the letter distribution of the answer, one sampled "
        "behaviour per repeat (seeded). Prints accuracy, argmax accuracy, log loss, Brier and calibration error with "
        "95%% scene-level bootstrap intervals, per dataset and per number of options. A run is stored under its name: "
        "the same command again resumes it (cached answers make no call).",
    )
    p.add_argument("--endpoint", help="endpoint name ('local' = the embedded model); or use --baseline")
    p.add_argument("--mode", choices=EVAL_MODES, help="direct (a letter at once) or thought (a decision process first)")
    p.add_argument("--baseline", choices=EVAL_BASELINES, help="a non-LLM baseline instead of an endpoint")
    p.add_argument("--name", help="run name (default: ENDPOINT-MODE, or the baseline's name)")
    p.add_argument("--dataset", help="only scenes of this dataset (default: all)")
    p.add_argument("--split", default="eval", choices=SPLITS, help="which scenes (default eval)")
    p.add_argument(
        "--repeat",
        type=int,
        default=EVAL_REPEAT,
        help=f"sampled behaviours (thought mode: thoughts) per scene (default {EVAL_REPEAT})",
    )
    p.add_argument(
        "--seed", type=limits.SEED.arg, default=0, help="seed of the sampled behaviours and thoughts (default 0)"
    )
    p.add_argument("--limit", type=limits.LIMIT.arg, help="only the first N scenes, by id")
    p.add_argument(
        "--max-tokens",
        type=limits.MAX_TOKENS.arg,
        default=THOUGHT_MAX_TOKENS,
        help=f"thought mode: max tokens per thought (default {THOUGHT_MAX_TOKENS})",
    )
    p.add_argument(
        "--samples",
        type=limits.SAMPLES.arg,
        default=PREDICT_SAMPLES,
        help=f"answers sampled when there are no logprobs (default {PREDICT_SAMPLES})",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    add_batch_out(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run (or resume) the evaluation and print its summary."""
    from core.evaluation.runs import evaluate
    from core.evaluation.summary import metric_line
    from core.progress import Progress
    from storage.db import get_engine

    report = evaluate(
        engine=get_engine(args.db),
        endpoint=args.endpoint,
        mode=args.mode,
        baseline=args.baseline,
        name=args.name,
        dataset=args.dataset,
        split=args.split,
        repeat=args.repeat,
        seed=args.seed,
        limit=args.limit,
        max_tokens=args.max_tokens,
        samples=args.samples,
        progress=Progress(),
        batch_out=args.batch_out,
    )
    summary = report.summary or {}
    if args.json:
        print(json.dumps(summary))
        return 0
    print(report.line())
    print(f"{summary['scenes']} scenes scored, {summary['skipped']} skipped: {metric_line(summary)}")
    for key, label in (("by_dataset", "dataset"), ("by_choice_cnt", "options")):
        for value, part in summary[key].items():
            print(f"  {label} {value}: {part['scenes']} scenes, {part['skipped']} skipped: {metric_line(part)}")
    return 0
