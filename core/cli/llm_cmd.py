"""CLI: rationales and predict — the two LLM stages, resumable on any endpoint."""

import argparse

from core import limits
from core.choices import CONSTRAINTS, PREDICT_SAMPLES, STAGE_SPLITS
from storage.constants import ROLES, TRAIN

SPLIT_HELP = "scenes of this split only (default train: eval scenes stay out of training; any = both)"
BATCH_HELP = (
    "make no call: write the requests not yet answered to the new file F as OpenAI Batch API JSONL (vLLM run_batch, "
    "Ray Data LLM); run it elsewhere, `import --format batch-results --path RESULTS`, then run this command again"
)


def add_batch_out(parser) -> None:
    """The --batch-out F option every LLM stage has."""
    parser.add_argument("--batch-out", metavar="F", help=BATCH_HELP)


def print_batch(report) -> None:
    """After a --batch-out run: where the requests went and what comes next."""
    if report.batch_path is not None:
        print(f"wrote {report.batch_lines} requests to {report.batch_path} (OpenAI Batch API JSONL)")


def register(sub) -> None:
    """Add the `rationales` and `predict` commands."""
    rat = sub.add_parser("rationales", help="generate EKB rationales (decision processes) for scenes")
    rat.add_argument("--role", required=True, choices=ROLES, help="strong (teacher) or weak (student) rationales")
    rat.add_argument("--endpoint", required=True, help="endpoint name ('local' = the embedded model)")
    rat.add_argument("--n", type=limits.N.arg, default=10, help="rationales per scene (default 10)")
    rat.add_argument("--dataset", help="only scenes of this dataset (default: all)")
    rat.add_argument("--limit", type=limits.LIMIT.arg, help="only the first K scenes, by id")
    rat.add_argument(
        "--max-tokens", type=limits.MAX_TOKENS.arg, default=1024, help="max tokens per rationale (default 1024)"
    )
    rat.add_argument(
        "--temperature",
        type=limits.TEMPERATURE.arg,
        default=1.0,
        help="sampling temperature (default 1.0, top-p 0.9, as the paper)",
    )
    rat.add_argument("--split", choices=STAGE_SPLITS, default=TRAIN, help=SPLIT_HELP)
    add_batch_out(rat)
    rat.add_argument(
        "--constrain",
        choices=CONSTRAINTS,
        help="format: constrain decoding to the decision-process format (a grammar: the embedded model, vLLM); "
        "none: free decoding (default: format on the embedded model, none elsewhere)",
    )
    rat.set_defaults(func=run_rationales)

    pred = sub.add_parser("predict", help="predict a choice distribution for every rationale lacking one")
    pred.add_argument("--role", required=True, choices=ROLES, help="whose rationales to predict")
    pred.add_argument("--endpoint", required=True, help="predictor endpoint name ('local' = the embedded model)")
    pred.add_argument("--dataset", help="only scenes of this dataset (default: all)")
    pred.add_argument(
        "--samples",
        type=limits.SAMPLES.arg,
        default=PREDICT_SAMPLES,
        help=f"answers sampled when there are no logprobs (default {PREDICT_SAMPLES})",
    )
    pred.add_argument("--seed", type=limits.SEED.arg, default=0, help="seed of the sampled behaviours (default 0)")
    pred.add_argument("--split", choices=STAGE_SPLITS, default=TRAIN, help=SPLIT_HELP)
    add_batch_out(pred)
    pred.set_defaults(func=run_predict)


def run_rationales(args: argparse.Namespace) -> int:
    """Generate the missing rationales and print a summary line."""
    from core.progress import Progress
    from core.rationales import generate_rationales
    from storage.db import get_engine

    report = generate_rationales(
        engine=get_engine(args.db),
        role=args.role,
        endpoint=args.endpoint,
        n=args.n,
        dataset=args.dataset,
        limit=args.limit,
        max_tokens=args.max_tokens,
        progress=Progress(),
        temperature=args.temperature,
        split=args.split,
        batch_out=args.batch_out,
        constrain=args.constrain,
    )
    print(report.summary(f"{args.role} rationales"))
    print_batch(report)
    return 0


def run_predict(args: argparse.Namespace) -> int:
    """Predict every rationale lacking a prediction and print a summary line."""
    from core.predict import predict
    from core.progress import Progress
    from storage.db import get_engine

    report = predict(
        engine=get_engine(args.db),
        role=args.role,
        endpoint=args.endpoint,
        dataset=args.dataset,
        samples=args.samples,
        seed=args.seed,
        progress=Progress(),
        split=args.split,
        batch_out=args.batch_out,
    )
    print(report.summary(f"{args.role} predictions"))
    print_batch(report)
    return 0
