"""CLI: `review` (a scene's verdict, a rationale's verdict, the human chosen/rejected pair) and `reviewers` (who may
do what). Every write is recorded under --reviewer (default MIRROR_REVIEWER); a read-only reviewer is refused (exit 2).
"""

import argparse

from core.choices import EDIT_PAIRS
from core.cli.review_bulk_cmd import add_bulk_actions
from storage.constants import ACCESS_ROLES, RATIONALE_VERDICTS, STATUSES, VERDICT_REASONS

CLEAR = "none"


def _who(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reviewer", help="who does this (default: env MIRROR_REVIEWER, else 'reviewer')")


def register(sub) -> None:
    """Add the `review` and `reviewers` commands."""
    review = sub.add_parser(
        "review",
        help="record a scene's verdict, a rationale's verdict or a scene's human chosen/rejected pair",
        description=f"Human pairs are used by `export --format dpo` over the computed pair; `export --pairs "
        f"{EDIT_PAIRS}` turns edited rationales into pairs.",
    )
    actions = review.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(review))
    scene = actions.add_parser("scene", help="set a scene's review status")
    scene.add_argument("scene_id", type=int, help="scene id")
    scene.add_argument("--status", required=True, choices=STATUSES, help="the verdict")
    scene.add_argument("--note", help="a note kept with the verdict")
    _who(scene)
    scene.set_defaults(func=run_scene)

    rationale = actions.add_parser("rationale", help="mark one rationale good / bad / unsure (or none to remove)")
    rationale.add_argument("rationale_id", type=int, help="rationale id")
    rationale.add_argument("--verdict", required=True, choices=(*RATIONALE_VERDICTS, CLEAR), help="the verdict")
    rationale.add_argument("--reason", choices=VERDICT_REASONS, help="why (optional)")
    _who(rationale)
    rationale.set_defaults(func=run_rationale)

    pair = actions.add_parser("pair", help="set (or --clear) a scene's chosen and rejected rationale by hand")
    pair.add_argument("scene_id", type=int, help="scene id")
    pair.add_argument("--chosen", type=int, help="id of the chosen rationale")
    pair.add_argument("--rejected", type=int, help="id of the rejected rationale")
    pair.add_argument("--clear", action="store_true", help="drop the human pair (exports use the computed one)")
    _who(pair)
    pair.set_defaults(func=run_pair)
    add_bulk_actions(actions)

    reviewers = sub.add_parser("reviewers", help="list reviewers or set a reviewer's role")
    ractions = reviewers.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(review))
    ractions.add_parser("list", help="every reviewer and their role").set_defaults(func=run_list)
    role = ractions.add_parser("set", help="give a reviewer a role (an admin may; the first admin sets itself)")
    role.add_argument("name", help="the reviewer's name")
    role.add_argument("--role", required=True, choices=ACCESS_ROLES, help="what they may do")
    _who(role)
    role.set_defaults(func=run_set_role)


def _reviewer(args: argparse.Namespace) -> str:
    from core.settings import load_settings

    return args.reviewer or load_settings().reviewer


def run_scene(args: argparse.Namespace) -> int:
    """Set one scene's review status."""
    from core.review import set_review
    from storage.db import get_engine, session_scope

    with session_scope(get_engine(args.db)) as session:
        review = set_review(
            session=session, scene_id=args.scene_id, status=args.status, reviewer=_reviewer(args), note=args.note
        )
        print(f"scene {args.scene_id}: {review.status} by {review.reviewer} (review version {review.version})")
    return 0


def run_rationale(args: argparse.Namespace) -> int:
    """Record or remove one rationale verdict."""
    from core.verdicts import mark_rationale
    from storage.db import get_engine, session_scope

    verdict = None if args.verdict == CLEAR else args.verdict
    who = _reviewer(args)
    with session_scope(get_engine(args.db)) as session:
        mark_rationale(
            session=session, rationale_id=args.rationale_id, verdict=verdict, reviewer=who, reason=args.reason
        )
    reason = f" ({args.reason})" if args.reason and verdict else ""
    print(f"rationale {args.rationale_id}: {verdict or 'no verdict'}{reason} by {who}")
    return 0


def run_pair(args: argparse.Namespace) -> int:
    """Set or clear a scene's human pair."""
    from core.errors import BadInput
    from core.verdicts import clear_pair, set_pair
    from storage.db import get_engine, session_scope

    if args.clear == (args.chosen is not None or args.rejected is not None):
        raise BadInput("review pair: give --chosen and --rejected, or --clear alone")
    if not args.clear and (args.chosen is None or args.rejected is None):
        raise BadInput("review pair: both --chosen and --rejected are needed")
    who = _reviewer(args)
    with session_scope(get_engine(args.db)) as session:
        if args.clear:
            gone = clear_pair(session=session, scene_id=args.scene_id, reviewer=who)
            print(f"scene {args.scene_id}: {'human pair cleared' if gone else 'had no human pair'}")
            return 0
        set_pair(
            session=session, scene_id=args.scene_id, chosen_id=args.chosen, rejected_id=args.rejected, reviewer=who
        )
    print(f"scene {args.scene_id}: chosen {args.chosen}, rejected {args.rejected} (human pair, by {who})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print every reviewer and role."""
    from storage.db import get_engine, session_scope
    from storage.reviewers import list_reviewers

    with session_scope(get_engine(args.db)) as session:
        found = list_reviewers(session=session)
    for reviewer in found:
        print(f"{reviewer.name}\t{reviewer.role}")
    if not found:
        print("no reviewers yet (a name is registered by its first review, edit or export)")
    return 0


def run_set_role(args: argparse.Namespace) -> int:
    """Give one reviewer a role."""
    from storage.db import get_engine, session_scope
    from storage.reviewers import set_role

    with session_scope(get_engine(args.db)) as session:
        done = set_role(session=session, name=args.name, role=args.role, by=_reviewer(args))
    print(f"{done.name} is now {done.role}")
    return 0
