"""SQLModel table of reviewers' unsaved drafts (storage/drafts.py). Registered with the other tables by
storage.db.upgrade; migration m010_review_drafts records its arrival."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models import utcnow


# A reviewer's unsaved draft: a rationale's edited text or a scene's review note, with the stored version (and its
# text) the draft began from, so a draft restored in another tab or after a reload is checked as the one typed.
class ReviewDraft(SQLModel, table=True):
    reviewer: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)  # rationale | note (storage.constants.DRAFT_KINDS)
    target_id: int = Field(primary_key=True)  # the rationale id, or the scene id of a note
    scene_id: int = Field(foreign_key="scene.id", index=True)
    text: str
    base_version: int  # 0: a note typed before the scene had any review
    base_text: str
    updated_at: datetime = Field(default_factory=utcnow)
