"""The fixed names every layer shares: roles, splits, review statuses, option letters, score columns, ranking.

Defined once here and imported everywhere else (storage, core, the CLI, pages, tests, benches). Standard library
only, so `python -m core --help` and the pages can import it for free. It lives in storage/ because storage is the
bottom layer: the tables store these values, and storage imports nothing from core but core.errors.
"""

import string

# Who wrote a rationale: the teacher (a large model) and the student (a small one).
ROLES: tuple[str, ...] = ("strong", "weak")
# A scene's split; a target interaction belongs to one split only. Only train scenes are training data.
TRAIN, EVAL = "train", "eval"
SPLITS: tuple[str, ...] = (TRAIN, EVAL)
# A scene's prompt style (core/scene_prompts.py): the reference code's prompts and scene text byte for byte, or this
# project's rewrite. Scenes built before the style was recorded were built with the studio text.
REFERENCE, STUDIO = "reference", "studio"
PROMPT_STYLES: tuple[str, ...] = (REFERENCE, STUDIO)
DEFAULT_PROMPT_STYLE, LEGACY_PROMPT_STYLE = REFERENCE, STUDIO
# How a prediction's letter was conditioned on its rationale (core/conditioning.py): the endpoint continued the
# assistant turn "<decision>\nBehavior: [" itself (vLLM), a raw completion of the model's chat template left open at
# that turn (llama.cpp), or the decision as a finished turn and a follow-up question for the letter (hosted APIs).
CONTINUED, TEMPLATED, FOLLOW_UP = "continue_final_message", "chat_template_completion", "follow_up_question"
CONDITIONINGS: tuple[str, ...] = (CONTINUED, TEMPLATED, FOLLOW_UP)
CONDITIONING_LABELS = {
    CONTINUED: "the endpoint continued the rationale (vLLM continue_final_message), as the reference",
    TEMPLATED: "raw completion of the model's chat template open after the rationale (llama.cpp), as the reference",
    FOLLOW_UP: "rationale as a finished turn, then a follow-up question for the letter (fallback)",
}
# Review statuses: a reviewer's verdicts, and pending for a scene without a Review row.
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
VERDICTS: tuple[str, ...] = (APPROVED, REJECTED)
STATUSES: tuple[str, ...] = (PENDING, *VERDICTS)
# What else a bulk action over a filtered set may do (BulkAction.status besides a verdict): hand its scenes to a
# reviewer's queue, or take them back.
ASSIGN, UNASSIGN = "assign", "unassign"
# "every value" where a split or a status is asked for (export --split / --status).
ANY = "any"

# What a person may do (Reviewer.role): review and edit, also manage reviewers and adjudicate, or only read.
REVIEWER, ADMIN, READ_ONLY = "reviewer", "admin", "read-only"
ACCESS_ROLES: tuple[str, ...] = (REVIEWER, ADMIN, READ_ONLY)
# A reviewer's verdict on one rationale, and the short list of reasons a verdict may carry.
GOOD, BAD, UNSURE = "good", "bad", "unsure"
RATIONALE_VERDICTS: tuple[str, ...] = (GOOD, BAD, UNSURE)
VERDICT_REASONS: tuple[str, ...] = ("wrong format", "contradicts profile", "hallucinated item", "other")
# What an unsaved draft of a reviewer is (ReviewDraft.kind): an edit of a rationale's text, or a scene's review note.
RATIONALE_EDIT, REVIEW_NOTE = "rationale", "note"
DRAFT_KINDS: tuple[str, ...] = (RATIONALE_EDIT, REVIEW_NOTE)
# Where an exported chosen/rejected pair came from: set by a reviewer, or computed by `select` (DESIGN.md §6).
HUMAN_PAIR, COMPUTED_PAIR = "human", "computed"

# Exposure options are lettered A, B, ... (A = position 0); at most 26 options per scene.
LETTERS = string.ascii_uppercase


def letter(index: int) -> str:
    """The option letter of a 0-based position (A = 0); "#index" outside A..Z."""
    return LETTERS[index] if 0 <= index < len(LETTERS) else f"#{index}"


# Every numeric column of the Score table (DESIGN.md §5), in table order.
COUNT_COLUMNS: tuple[str, ...] = ("n_strong", "n_weak")
SCORE_COLUMNS: tuple[str, ...] = (
    *COUNT_COLUMNS,
    *(f"{role}_{name}" for role in ROLES for name in ("E", "T", "D", "hit", "logloss")),
    *("diff_model", "diff_total", "diff_data", "diff_hit"),
)
# The columns a scene can be ranked, sorted and thresholded by (not the counts), differences first.
RANK_COLUMNS: tuple[str, ...] = tuple(
    sorted((c for c in SCORE_COLUMNS if c not in COUNT_COLUMNS), key=lambda c: not c.startswith("diff_"))
)
# The paper's default ranking: expected entropy weak - strong, larger first.
DEFAULT_RANK = "diff_model"
