"""Bulk actions (DESIGN.md §7) on every scene a Samples filter matches — the whole filtered set, not one page: approve
or reject, assign to a reviewer or unassign, each one recorded action, and undo the reviewer's last such action. The
writes are storage/bulk_review.py's and storage/assignments.py's.

A bulk verdict skips the double-review scenes (blind: their two reviewers' agreement or an admin decides them) and
the scenes another reviewer has open (a live review lease); bulk_skipped says how many, and why, before and after.
"""

from sqlmodel import Session

from core.errors import BadInput
from storage.assignments import bulk_assign, bulk_unassign, undo_assignments
from storage.audit_models import BulkAction
from storage.browse import SceneFilter, count_scenes, matching_scene_ids
from storage.bulk_review import bulk_skips, bulk_verdict, last_bulk_action, undo_bulk
from storage.constants import ASSIGN, UNASSIGN, VERDICTS


def bulk_review(*, session: Session, flt: SceneFilter, status: str, reviewer: str, expected: int) -> BulkAction:
    """Set every scene matching flt to status, except those bulk_skipped names; expected = the count the reviewer
    confirmed, refused (BadInput) when the set changed meanwhile, so a confirmation always states what is written."""
    if status not in VERDICTS:
        raise BadInput(f"bulk verdict {status!r}: use one of {', '.join(VERDICTS)}")
    ids = _confirmed(session, flt, expected)
    skipped, why = bulk_skipped(session=session, flt=flt, reviewer=reviewer)
    if skipped == expected:
        raise BadInput(f"all {expected} matching scenes are skipped ({why}): nothing to do")
    return bulk_verdict(session=session, scene_ids=ids, status=status, reviewer=reviewer)


def bulk_skipped(*, session: Session, flt: SceneFilter, reviewer: str) -> tuple[int, str]:
    """How many scenes matching flt a bulk verdict by `reviewer` skips now, and why in words ('' when none)."""
    ids = matching_scene_ids(session=session, flt=flt)
    double, held = bulk_skips(session=session, scene_ids=ids, reviewer=reviewer)
    why = [
        f"{double} in blind double review (their two reviewers decide them)" if double else "",
        f"{held} open by another reviewer right now" if held else "",
    ]
    return double + held, "; ".join(w for w in why if w)


def _confirmed(session: Session, flt: SceneFilter, expected: int):
    found = count_scenes(session=session, flt=flt)
    if found != expected:
        raise BadInput(f"the filter now matches {found} scenes, not the {expected} you confirmed; look again")
    if found == 0:
        raise BadInput("no scene matches the filter: nothing to do")
    return matching_scene_ids(session=session, flt=flt)


def bulk_assign_to(*, session: Session, flt: SceneFilter, assignee: str, reviewer: str, expected: int) -> BulkAction:
    """Assign every scene matching flt to assignee (their queue serves them first); expected as for bulk_review."""
    ids = _confirmed(session, flt, expected)
    return bulk_assign(session=session, scene_ids=ids, assignee=assignee, reviewer=reviewer)


def bulk_unassign_from(
    *, session: Session, flt: SceneFilter, assignee: str | None, reviewer: str, expected: int
) -> BulkAction:
    """Take every scene matching flt away from assignee (None: from everyone); expected as for bulk_review."""
    ids = _confirmed(session, flt, expected)
    return bulk_unassign(session=session, scene_ids=ids, assignee=assignee, reviewer=reviewer)


def undo_last(*, session: Session, reviewer: str) -> str:
    """Undo the reviewer's last bulk action; one line saying what was put back (BadInput when there is none)."""
    action = last_bulk_action(session=session, reviewer=reviewer)
    if action is None:
        raise BadInput(f"{reviewer} has no bulk action to undo")
    if action.status in (ASSIGN, UNASSIGN):
        changed = undo_assignments(session=session, action=action, reviewer=reviewer)
        what = "removed" if action.status == ASSIGN else "put back"
        return f"undid bulk {action.status} #{action.id}: {changed} of {action.scenes} assignments {what}"
    restored, kept = undo_bulk(session=session, action_id=action.id, reviewer=reviewer)
    line = f"undid bulk {action.status} #{action.id}: {restored} of {action.scenes} scenes put back"
    return line + (f"; {kept} reviewed again since were left as they are" if kept else "")
