"""SQLModel tables of double review: the scenes reviewed blind by two reviewers, their verdicts, the admins'
decisions on disagreements. Registered with the other tables by storage.db.upgrade (no migration: new tables)."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import utcnow


# A scene picked for double review: two reviewers give their verdict without seeing each other's.
class DoubleReview(SQLModel, table=True):
    scene_id: int = Field(foreign_key="scene.id", primary_key=True)
    selection_id: int | None = Field(default=None, foreign_key="selection.id", index=True)
    marked_by: str
    created_at: datetime = Field(default_factory=utcnow)


# One reviewer's blind verdict on a double-review scene.
class BlindVerdict(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("scene_id", "reviewer"),)
    id: int | None = Field(default=None, primary_key=True)
    scene_id: int = Field(foreign_key="scene.id", index=True)
    reviewer: str = Field(index=True)
    status: str  # approved | rejected (storage.constants.VERDICTS)
    note: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


# An admin's decision on a double-review scene whose two verdicts disagree.
class Adjudication(SQLModel, table=True):
    scene_id: int = Field(foreign_key="scene.id", primary_key=True)
    status: str
    admin: str
    note: str | None = None
    decided_at: datetime = Field(default_factory=utcnow)
