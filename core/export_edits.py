"""Edits as DPO pairs (`export --format dpo --pairs edits`): for every edited rationale of a train scene with the
requested review status (approved by default), chosen = the human edit, rejected = the model's original.

The chosen turn ends with the true item, as every chosen turn does; the rejected turn ends with the letter the
original itself wrote (the true item's when it wrote none), so an edit that only fixed the final letter still teaches
something. A row whose two turns come out identical (an edit of whitespace only) teaches nothing and is left out.
"""

import pandas as pd

from core.rationale_parser import parse_rationale
from core.scene_prompts import SceneText, answer_turn, scene_prompt
from storage.constants import LETTERS

# Where a row's pair came from (the `pair_source` field): the selection's pair, or an edit.
EDIT_PAIR = "edit"
IDENTITY = ("dataset", "user_id", "item_id", "timestamp")


def _written_option(text: str, choice_cnt: int, fallback: int) -> int:
    """The 0-based option the text's Behavior line names, else fallback."""
    found = parse_rationale(text, choice_cnt).behavior
    return LETTERS.index(found) if found else fallback


def edit_rows(frame: pd.DataFrame) -> tuple[list[dict], list[bool]]:
    """(DPO rows, per frame row whether it was kept: False = identical turns) from storage.exports.edit_pair_rows'
    frame."""
    rows, kept = [], []
    for rec in frame.itertuples(index=False):
        scene = SceneText.from_row(rec._asdict())
        prompt = scene_prompt(scene, "rationale").messages
        chosen = answer_turn(scene.style, rec.chosen_text, rec.item_pos)
        wrong = _written_option(rec.rejected_text, rec.choice_cnt, rec.item_pos)
        rejected = answer_turn(scene.style, rec.rejected_text, wrong)
        kept.append(chosen != rejected)
        if not kept[-1]:
            continue
        rows.append(
            {
                **{k: getattr(rec, k) for k in IDENTITY},
                "messages_chosen": [*prompt, {"role": "assistant", "content": chosen}],
                "messages_rejected": [*prompt, {"role": "assistant", "content": rejected}],
                "impression_list": rec.impression_list,
                "item_pos": rec.item_pos,
                "scene_id": rec.scene_id,
                "chosen_rationale_id": int(rec.rationale_id),
                "chosen_version": int(rec.edited_version),
                "rejected_rationale_id": int(rec.rationale_id),
                "rejected_version": int(rec.original_version),
                "pair_source": EDIT_PAIR,
                "editor": rec.editor,
                "review_status": rec.status,
                "reviewer": rec.reviewer,
            }
        )
    return rows, kept
