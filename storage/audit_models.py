"""SQLModel tables of the team audit: reviewers and their roles, per-rationale verdicts, the human chosen/rejected pair.

A module of its own so storage/models.py stays one screenful per concept; storage.db.upgrade imports both, so every
table is on SQLModel.metadata and created from the models (new tables need no migration).
"""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.constants import REVIEWER
from storage.models import utcnow


# A person who reviews: the signed-in user (or the name chosen on a loopback app) and what they may do.
class Reviewer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    role: str = REVIEWER  # reviewer | admin | read-only (storage.constants.ACCESS_ROLES)
    created_at: datetime = Field(default_factory=utcnow)


# A reviewer's verdict on one rationale: good / bad / unsure, with an optional reason from a short list.
class RationaleVerdict(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("rationale_id", "reviewer"),)
    id: int | None = Field(default=None, primary_key=True)
    rationale_id: int = Field(foreign_key="rationale.id", index=True)
    scene_id: int = Field(foreign_key="scene.id", index=True)
    reviewer: str
    verdict: str  # good | bad | unsure (storage.constants.RATIONALE_VERDICTS)
    reason: str | None = None
    updated_at: datetime = Field(default_factory=utcnow)


# The chosen/rejected pair a reviewer set by hand for a scene; exports use it over the computed pair.
class PairOverride(SQLModel, table=True):
    scene_id: int = Field(foreign_key="scene.id", primary_key=True)
    chosen_rationale_id: int = Field(foreign_key="rationale.id")
    rejected_rationale_id: int = Field(foreign_key="rationale.id")
    reviewer: str
    updated_at: datetime = Field(default_factory=utcnow)


# One bulk verdict over a filtered set of scenes, and when it was undone.
class BulkAction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: str  # the verdict written (approved | rejected), or assign | unassign (storage/assignments.py)
    reviewer: str = Field(index=True)
    scenes: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    undone_at: datetime | None = None


# What a bulk action replaced on one scene (its review row, or none), so one undo can put it back.
class BulkChange(SQLModel, table=True):
    action_id: int = Field(foreign_key="bulkaction.id", primary_key=True)
    scene_id: int = Field(foreign_key="scene.id", primary_key=True)
    had_review: bool = False
    status: str | None = None
    reviewer: str | None = None
    note: str | None = None
    version: int = 0  # the review version before (0: none); the action wrote version + 1


# A reviewer's short lease on the scene they have open, so two reviewers never get the same scene (storage/queue.py).
# Slot 0 is the one reviewer; a double-reviewed scene may also be leased in slot 1 by a second reviewer. expires_at is
# the database clock's seconds (storage.claims.db_clock), so app servers whose clocks disagree still agree.
class ReviewLease(SQLModel, table=True):
    scene_id: int = Field(foreign_key="scene.id", primary_key=True)
    slot: int = Field(default=0, primary_key=True)
    reviewer: str = Field(index=True)
    expires_at: float


# A scene assigned to a reviewer: their queue serves it first (or only it, "my assignments"), others' queues skip it.
class Assignment(SQLModel, table=True):
    scene_id: int = Field(foreign_key="scene.id", primary_key=True)
    reviewer: str = Field(primary_key=True, index=True)
    assigned_at: datetime = Field(default_factory=utcnow)


# What a bulk assign added or a bulk unassign removed (one row per scene and assignee), so one undo can put it back.
class AssignChange(SQLModel, table=True):
    action_id: int = Field(foreign_key="bulkaction.id", primary_key=True)
    scene_id: int = Field(foreign_key="scene.id", primary_key=True)
    reviewer: str = Field(primary_key=True)
