"""Double review (issue 14 item 7): a share of a selection is reviewed blind by two reviewers; an agreement becomes
the scene's review, a disagreement waits in the adjudication queue for an admin, whose decision becomes the review.

- A blind verdict is approved or rejected. Until both verdicts are in, a reviewer may change their own; a third
  reviewer is refused (the scene has its two reviewers), and so is any change once both are in.
- Two equal verdicts set the scene's review (reviewer = the second, the note names both). Two different ones leave
  the scene pending until an admin decides; the decision is recorded (Adjudication) and set as the review.
"""

from sqlmodel import Session

from core.errors import BadInput, StaleVersion
from core.review import set_review
from storage.constants import VERDICTS
from storage.double_models import BlindVerdict
from storage.double_review import add_adjudication, blind_verdicts, get_adjudication, is_double, save_blind

REVIEWERS = 2


def _check(status: str) -> None:
    if status not in VERDICTS:
        raise BadInput(f"unknown verdict {status!r}; use one of: {', '.join(VERDICTS)}")


def give_blind_verdict(
    *, session: Session, scene_id: int, reviewer: str, status: str, note: str | None = None
) -> list[BlindVerdict]:
    """Record this reviewer's blind verdict (commits); when it is the second, settle the scene (agreement: its review;
    disagreement: the adjudication queue). Returns the scene's verdicts."""
    _check(status)
    if not is_double(session=session, scene_id=scene_id):
        raise BadInput(f"scene {scene_id} is not in double review")
    given = blind_verdicts(session=session, scene_id=scene_id)
    names = [v.reviewer for v in given]
    if len(given) >= REVIEWERS:
        said = "; ".join(f"{v.reviewer}: {v.status}" for v in given)
        raise BadInput(f"scene {scene_id} has its two blind verdicts ({said}); they are final")
    if not save_blind(session=session, scene_id=scene_id, reviewer=reviewer, status=status, note=note):
        raise StaleVersion(f"scene {scene_id}: another verdict was saved at the same moment; try again")
    verdicts = blind_verdicts(session=session, scene_id=scene_id)
    if len(verdicts) > REVIEWERS:  # a third reviewer raced the second: theirs is not kept
        session.rollback()
        raise BadInput(f"scene {scene_id} has its two blind reviewers already ({', '.join(names)})")
    session.commit()
    if len(verdicts) == REVIEWERS and verdicts[0].status == verdicts[1].status:
        first, second = verdicts
        set_review(
            session=session,
            scene_id=scene_id,
            status=status,
            reviewer=reviewer,
            note=f"double review: {first.reviewer} and {second.reviewer} agree",
        )
    return verdicts


def disagreement(*, session: Session, scene_id: int) -> list[BlindVerdict] | None:
    """The two differing verdicts of a double-review scene no admin has decided yet, else None."""
    verdicts = blind_verdicts(session=session, scene_id=scene_id)
    if len(verdicts) < REVIEWERS or len({v.status for v in verdicts}) == 1:
        return None
    return None if get_adjudication(session=session, scene_id=scene_id) else verdicts


def adjudicate(*, session: Session, scene_id: int, status: str, admin: str, note: str | None = None) -> None:
    """An admin's decision on a disagreement (commits): recorded, and set as the scene's review. Forbidden unless an
    admin; BadInput when the scene has no open disagreement."""
    _check(status)
    if disagreement(session=session, scene_id=scene_id) is None:
        raise BadInput(f"scene {scene_id} has no disagreement waiting for an admin")
    if not add_adjudication(session=session, scene_id=scene_id, status=status, admin=admin, note=note):
        raise StaleVersion(f"scene {scene_id} was decided by another admin meanwhile; reload to see it")
    session.commit()
    said = f"adjudicated by {admin}" + (f": {note}" if note else "")
    set_review(session=session, scene_id=scene_id, status=status, reviewer=admin, note=said)
