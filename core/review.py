"""Review rules (DESIGN.md §7): what a verdict and an edit mean, who authored each version, what a stale save is told.

- A verdict is one of the review statuses, on an existing scene no other reviewer has open (a live lease of the
  review queue, storage/queue.py: SceneHeld). expected_version is the review version the reviewer
  saw (0 when there was none): a different stored version means someone saved meanwhile, and the save is refused
  with StaleVersion naming who and when. None skips the check (the pipeline, the demo).
- An edit saves a new version of a rationale: the text is parsed again into its stage fields and problems, and the
  version's author is the reviewer. Versions are stored once a rationale is first edited; that first edit also keeps
  the original text as version 1, authored by whoever generated it (original_author).
The compare-and-set writes themselves are storage/reviews.py's; every function here commits.
"""

from datetime import datetime

from sqlmodel import Session

from core.errors import BadInput, NotFound, SceneHeld, StaleVersion
from core.rationale_parser import parse_rationale
from storage.constants import STATUSES
from storage.models import Rationale, RationaleVersion, Review, utcnow
from storage.queue import other_holder
from storage.reviews import (
    add_rationale_version,
    get_rationale,
    get_review,
    insert_review,
    latest_version,
    stored_versions,
    update_rationale,
    update_review,
)
from storage.scenes import get_scene

ATTEMPTS = 3  # unchecked saves racing each other: how often to try again before giving up


def _when(stamp: datetime | None) -> str:
    return f"{stamp:%Y-%m-%d %H:%M:%S} UTC" if stamp else "an unknown time"


def set_review(
    *,
    session: Session,
    scene_id: int,
    status: str,
    reviewer: str,
    note: str | None = None,
    expected_version: int | None = None,
) -> Review:
    """Set a scene's status (commits); StaleVersion when the stored review is not the expected_version one."""
    if status not in STATUSES:
        raise BadInput(f"unknown review status {status!r}; use one of: {', '.join(STATUSES)}")
    if get_scene(session=session, scene_id=scene_id) is None:
        raise NotFound(f"scene {scene_id} does not exist")
    if (held := other_holder(session=session, scene_id=scene_id, reviewer=reviewer)) is not None:
        raise SceneHeld(
            f"scene {scene_id} is open by {held[0]} (their lease runs {held[1]:.0f} s more): your verdict was not "
            "saved; go on to the next scene"
        )
    verdict = {"status": status, "reviewer": reviewer, "note": note}
    for _attempt in range(ATTEMPTS):
        current = get_review(session=session, scene_id=scene_id)
        if current is None:
            if expected_version not in (None, 0):
                raise StaleVersion(
                    f"review of scene {scene_id} no longer exists (version 0, yours {expected_version}); "
                    "reload to see it"
                )
            created = insert_review(session=session, scene_id=scene_id, **verdict)
            if created is not None:
                return created
            if expected_version is not None:  # another reviewer created it first: this save saw none
                expected_version = 0
            continue
        base = current.version if expected_version is None else expected_version
        if update_review(session=session, review_id=current.id, base_version=base, **verdict):
            return get_review(session=session, scene_id=scene_id)
        if expected_version is not None:
            fresh = get_review(session=session, scene_id=scene_id)
            raise StaleVersion(
                f"review of scene {scene_id} was changed by {fresh.reviewer} at {_when(fresh.updated_at)} since you "
                f"opened it (version {fresh.version}, yours {expected_version}); reload to see it"
            )
    raise StaleVersion(f"review of scene {scene_id} keeps changing under concurrent saves; reload and try again")


def original_author(rationale: Rationale) -> str:
    """Who wrote version 1: the generating model (or endpoint), else "pipeline" / the import source."""
    return rationale.model or rationale.endpoint or ("pipeline" if rationale.source == "native" else rationale.source)


def edit_rationale(*, session: Session, rationale_id: int, text: str, author: str, expected_version: int) -> Rationale:
    """Save text as the next version of a rationale (commits); StaleVersion when the stored version is not
    expected_version, NotFound for an unknown id, BadInput for an empty text."""
    rationale = get_rationale(session=session, rationale_id=rationale_id)
    if rationale is None:
        raise NotFound(f"rationale {rationale_id} does not exist")
    if not text.strip():
        raise BadInput(f"rationale {rationale_id}: the edited text is empty")
    parsed = parse_rationale(text, get_scene(session=session, scene_id=rationale.scene_id).choice_cnt)
    original, now = rationale.text, utcnow()
    values = {"text": text, **parsed.columns()}
    if not update_rationale(
        session=session,
        rationale_id=rationale_id,
        expected_version=expected_version,
        values=values,
        updated_at=now,
        author=author,
    ):
        raise _stale_edit(session, rationale_id, expected_version)
    if not stored_versions(session=session, rationale_id=rationale_id):  # the first edit: keep the original as v1
        # The update matched expected_version, and a rationale's text only changes with its version, so the text
        # read before it is the text of expected_version (1 for every rationale stored unedited).
        add_rationale_version(
            session=session,
            rationale_id=rationale_id,
            version=expected_version,
            text=original,
            author=original_author(rationale),
            created_at=rationale.created_at,
        )
    add_rationale_version(
        session=session,
        rationale_id=rationale_id,
        version=expected_version + 1,
        text=text,
        author=author,
        created_at=now,
    )
    session.commit()
    return get_rationale(session=session, rationale_id=rationale_id)


def _stale_edit(session: Session, rationale_id: int, expected_version: int) -> StaleVersion:
    latest = latest_version(session=session, rationale_id=rationale_id)
    stored = get_rationale(session=session, rationale_id=rationale_id)
    who = latest.author if latest else "someone"
    return StaleVersion(
        f"rationale {rationale_id} was changed by {who} at {_when(latest.created_at if latest else None)} since "
        f"you opened it (version {stored.version}, yours {expected_version}); reload to see it"
    )


def rationale_versions(*, session: Session, rationale_id: int) -> list[RationaleVersion]:
    """Every version of a rationale, oldest first: the stored rows, or for a never-edited rationale its text as one
    synthesized version 1 (not added to the session). [] for an unknown id."""
    stored = stored_versions(session=session, rationale_id=rationale_id)
    if stored:
        return stored
    rationale = get_rationale(session=session, rationale_id=rationale_id)
    if rationale is None:
        return []
    return [
        RationaleVersion(
            rationale_id=rationale_id,
            version=rationale.version,
            text=rationale.text,
            author=original_author(rationale),
            created_at=rationale.created_at,
        )
    ]
