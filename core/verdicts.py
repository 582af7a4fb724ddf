"""Per-rationale verdicts and the human pair (DESIGN.md §7): what a reviewer may say about one rationale, and which
pair of a scene's rationales may replace the computed chosen/rejected pair in exports.

- A verdict is good / bad / unsure, optionally with one reason from VERDICT_REASONS; one per reviewer and rationale
  (saving again overwrites it; None removes it). Like a scene verdict (core/review.py), it is refused (SceneHeld)
  while another reviewer has the scene open under a live review lease (storage/queue.py).
- A human pair names two different rationales of the same scene. The chosen turn of a DPO row ends with the true
  item, the rejected turn with the rejected rationale's sampled letter, so the rejected rationale needs a prediction
  (run `predict`); a human may reject a rationale whose sample is right (right answer, wrong reasons).
Every write checks the reviewer's role in storage (a read-only reviewer is Forbidden) and commits.
"""

from sqlmodel import Session

from core.errors import BadInput, NotFound, SceneHeld
from storage.audit_models import PairOverride, RationaleVerdict
from storage.constants import RATIONALE_VERDICTS, VERDICT_REASONS
from storage.queue import other_holder
from storage.reviews import get_rationale
from storage.scenes import get_scene
from storage.verdicts import (
    get_pair,
    predicted_version,
    put_pair,
    put_verdict,
    remove_pair,
    remove_verdict,
    scene_verdicts,
)


def mark_rationale(
    *, session: Session, rationale_id: int, verdict: str | None, reviewer: str, reason: str | None = None
) -> None:
    """Record (or with verdict None remove) the reviewer's verdict on one rationale; BadInput/NotFound when wrong."""
    rationale = get_rationale(session=session, rationale_id=rationale_id)
    if rationale is None:
        raise NotFound(f"rationale {rationale_id} does not exist")
    if (held := other_holder(session=session, scene_id=rationale.scene_id, reviewer=reviewer)) is not None:
        raise SceneHeld(
            f"scene {rationale.scene_id} is open by {held[0]} (their lease runs {held[1]:.0f} s more): your verdict on "
            f"rationale {rationale_id} was not saved; go on to the next scene"
        )
    if verdict is None:
        remove_verdict(session=session, rationale_id=rationale_id, reviewer=reviewer)
        return
    if verdict not in RATIONALE_VERDICTS:
        raise BadInput(f"unknown rationale verdict {verdict!r}; use one of: {', '.join(RATIONALE_VERDICTS)}")
    if reason is not None and reason not in VERDICT_REASONS:
        raise BadInput(f"unknown reason {reason!r}; use one of: {', '.join(VERDICT_REASONS)}")
    put_verdict(
        session=session,
        rationale_id=rationale_id,
        scene_id=rationale.scene_id,
        reviewer=reviewer,
        verdict=verdict,
        reason=reason,
    )


def verdicts_of(*, session: Session, scene_id: int) -> dict[int, list[RationaleVerdict]]:
    """Rationale id -> every reviewer's verdict on it (by reviewer), for one scene."""
    found: dict[int, list[RationaleVerdict]] = {}
    for row in scene_verdicts(session=session, scene_id=scene_id):
        found.setdefault(row.rationale_id, []).append(row)
    return found


def set_pair(*, session: Session, scene_id: int, chosen_id: int, rejected_id: int, reviewer: str) -> PairOverride:
    """Set the scene's human chosen/rejected pair (exports use it over the computed one)."""
    if get_scene(session=session, scene_id=scene_id) is None:
        raise NotFound(f"scene {scene_id} does not exist")
    if chosen_id == rejected_id:
        raise BadInput(f"scene {scene_id}: chosen and rejected must be two different rationales (both {chosen_id})")
    for rid in (chosen_id, rejected_id):
        rationale = get_rationale(session=session, rationale_id=rid)
        if rationale is None or rationale.scene_id != scene_id:
            raise BadInput(f"rationale {rid} is not a rationale of scene {scene_id}")
    if predicted_version(session=session, rationale_id=rejected_id) is None:
        raise BadInput(
            f"rationale {rejected_id} has no prediction, so a rejected turn has no sampled letter; "
            "run `python -m core predict` first"
        )
    return put_pair(session=session, scene_id=scene_id, chosen_id=chosen_id, rejected_id=rejected_id, reviewer=reviewer)


def clear_pair(*, session: Session, scene_id: int, reviewer: str) -> bool:
    """Drop the scene's human pair (exports use the computed one again); False when none was set."""
    return remove_pair(session=session, scene_id=scene_id, reviewer=reviewer)


def pair_of(*, session: Session, scene_id: int) -> PairOverride | None:
    """The scene's human pair, or None."""
    return get_pair(session=session, scene_id=scene_id)
