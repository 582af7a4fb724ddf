"""CLI: bulk actions of `review` on every scene a filter matches (the whole set, as the Samples filter): approve or
reject, assign to a reviewer (their review queue serves them first) or unassign, and undo your last one. Without
--confirm N a command only says how many scenes it would change; with it, N must be that count (exit 2 otherwise,
nothing written), so a bulk write is always one the user saw the size of."""

import argparse

from storage.constants import PENDING, STATUSES, VERDICTS


def _filter(parser: argparse.ArgumentParser) -> None:
    group = parser  # (an argument group would bypass the CLI's plain-text check of every text option)
    group.add_argument("--dataset", help="dataset name")
    group.add_argument("--split", choices=("train", "eval"), help="split")
    group.add_argument("--selection", help="a saved selection's name")
    group.add_argument("--only", choices=STATUSES, help=f"scenes of this review status (e.g. {PENDING})")
    group.add_argument("--preset", help="a Samples preset, e.g. 'strong right, weak wrong'")
    group.add_argument("--search", help="text in the profile, history or options")
    group.add_argument("--min", action="append", default=[], metavar="COL=V", help="score COL >= V (repeat)")
    group.add_argument("--max", action="append", default=[], metavar="COL=V", help="score COL <= V (repeat)")
    parser.add_argument("--confirm", type=int, metavar="N", help="do it: N = the number of scenes the filter matches")
    parser.add_argument("--reviewer", help="who does this (default: env MIRROR_REVIEWER, else 'reviewer')")


def add_bulk_actions(actions) -> None:
    """Add `review bulk`, `review assign`, `review unassign` and `review undo` to the review command's actions."""
    bulk = actions.add_parser("bulk", help="approve or reject every scene a filter matches (all of them, one undo)")
    bulk.add_argument("--status", required=True, choices=VERDICTS, help="the verdict")
    _filter(bulk)
    bulk.set_defaults(func=run_bulk)
    assign = actions.add_parser("assign", help="assign every scene a filter matches to a reviewer (one undo)")
    assign.add_argument("--to", required=True, help="the reviewer whose queue serves them first")
    _filter(assign)
    assign.set_defaults(func=run_bulk)
    unassign = actions.add_parser("unassign", help="take every scene a filter matches away from a reviewer (or all)")
    unassign.add_argument("--from", dest="from_", help="only this reviewer's assignments (default: everyone's)")
    _filter(unassign)
    unassign.set_defaults(func=run_bulk)
    undo = actions.add_parser("undo", help="undo your last bulk verdict, assign or unassign")
    undo.add_argument("--reviewer", help="whose last bulk action (default: env MIRROR_REVIEWER, else 'reviewer')")
    undo.set_defaults(func=run_undo)


def _scene_filter(args: argparse.Namespace):
    from core.cli.score_cmd import parse_thresholds
    from storage.browse import SceneFilter

    mins, maxs = parse_thresholds(args.min, "--min"), parse_thresholds(args.max, "--max")
    ranges = {col: (mins.get(col), maxs.get(col)) for col in {*mins, *maxs}}
    return SceneFilter(
        dataset=args.dataset,
        split=args.split,
        status=args.only,
        selection=args.selection,
        preset=args.preset,
        search=args.search,
        ranges=ranges,
    )


def _who(args: argparse.Namespace) -> str:
    from core.settings import load_settings

    return args.reviewer or load_settings().reviewer


def _what(args: argparse.Namespace, n: int) -> str:
    if args.action == "bulk":
        return f"set {n} scenes to {args.status}"
    if args.action == "assign":
        return f"assign {n} scenes to {args.to}"
    return f"unassign {n} scenes from {args.from_ or 'everyone'}"


def run_bulk(args: argparse.Namespace) -> int:
    """Count the scenes the filter matches; with --confirm N (= that count) apply the action to all of them."""
    from core.bulk_review import bulk_assign_to, bulk_review, bulk_unassign_from
    from core.errors import BadInput
    from storage.browse import count_scenes
    from storage.db import get_engine, session_scope

    flt, who = _scene_filter(args), _who(args)
    with session_scope(get_engine(args.db)) as session:
        found = count_scenes(session=session, flt=flt)
        if args.confirm is None:
            print(f"would {_what(args, found)}; add --confirm {found} to do it")
            return 0
        if args.confirm != found:  # checked again by the write itself, under the same rule
            raise BadInput(f"--confirm {args.confirm}: the filter matches {found} scenes; nothing was written")
        common = {"session": session, "flt": flt, "reviewer": who, "expected": found}
        if args.action == "bulk":
            done = bulk_review(status=args.status, **common)
        elif args.action == "assign":
            done = bulk_assign_to(assignee=args.to, **common)
        else:
            done = bulk_unassign_from(assignee=args.from_, **common)
        print(f"bulk {done.status} #{done.id} by {who}: {_what(args, found)} ({done.scenes} changed)")
    return 0


def run_undo(args: argparse.Namespace) -> int:
    """Undo the reviewer's last bulk action."""
    from core.bulk_review import undo_last
    from storage.db import get_engine, session_scope

    with session_scope(get_engine(args.db)) as session:
        print(undo_last(session=session, reviewer=_who(args)))
    return 0
