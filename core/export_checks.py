"""The checks a training export makes before writing (DESIGN.md §8): train scenes only, and a rejected turn whose
sampled letter belongs to the rationale's current text."""

import pandas as pd

from core.errors import BadInput
from storage.constants import COMPUTED_PAIR, TRAIN

_EDITED = "was edited after its prediction, so its Behavior letter would come from the old text; run `python -m core "
_EDITED += "predict`, then `python -m core score` and `select --replace`"
_RESAMPLED = "now samples the true option (re-predicted since); re-run `python -m core score` and `select --replace`"
_UNPREDICTED = "has no prediction, so its turn has no sampled letter; run `python -m core predict`"


def check_rejected_current(frame: pd.DataFrame, name: str) -> None:
    """The rejected turn ends with its sampled letter: refuse when there is none or it is not of the current text,
    and when a computed pair's sample is now right (a human pair may reject a right answer given for wrong reasons)."""
    unpredicted = frame["rejected_behavior"].isna()
    for mask, why in (
        (unpredicted, _UNPREDICTED),
        (~unpredicted & (frame["rejected_predicted_version"] != frame["rejected_version"]), _EDITED),
        ((frame["pair_source"] == COMPUTED_PAIR) & (frame["rejected_behavior"] == frame["item_pos"]), _RESAMPLED),
    ):
        if ids := frame.loc[mask, "scene_id"].tolist():
            more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
            raise BadInput(
                f"selection {name!r} is out of date: the rejected rationale of scene(s) {ids[:5]}{more} {why}"
            )


def check_train_only(frame: pd.DataFrame, name: str) -> None:
    """Training files hold train scenes only: refuse a selection that would put an eval scene into one."""
    if ids := frame.loc[frame["split"] != TRAIN, "scene_id"].tolist():
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        raise BadInput(
            f"selection {name!r} holds eval scene(s) {ids[:5]}{more}; eval scenes never go into training data: "
            "save the selection again with --replace (a selection now keeps train scenes only)"
        )
