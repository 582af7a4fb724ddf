"""The `evalresults` export: one row per scene × repeat of an evaluation run (issue 10).

Fields: scene_id, dataset, user_id, item_id, timestamp, choice_cnt, item_pos, repeat, probs (one float per option,
summing to 1), behavior (0-based index of the sampled option), mode, endpoint, model.
"""

import numpy as np
import pandas as pd
from sqlmodel import Session

from core.errors import BadInput, NotFound
from storage.evaluations import get_eval_run, list_eval_runs
from storage.exports import eval_result_rows

FIELDS = ("scene_id", "dataset", "user_id", "item_id", "timestamp", "choice_cnt", "item_pos", "repeat")


def evalresult_rows(
    *, session: Session, name: str | None, limit: int | None = None
) -> tuple[list[dict], dict, pd.DataFrame]:
    """(rows, manifest facts, the rows' dataset/choice_cnt/status for the manifest counts) of the named run."""
    if not name:
        raise BadInput("--run is required for the evalresults format")
    run = get_eval_run(session=session, name=name)
    if run is None:
        known = ", ".join(r.name for r in list_eval_runs(session=session)) or "none"
        raise NotFound(f"evaluation run {name!r} does not exist (runs: {known})")
    frame = eval_result_rows(session=session, eval_run_id=run.id, limit=limit)
    if frame.empty:
        raise BadInput(f"nothing to export: evaluation run {name!r} has no scored rows yet")
    ident = {"mode": run.mode, "endpoint": run.endpoint, "model": run.model}
    rows = [
        {
            **{
                key: (value if isinstance(value, str) else int(value))
                for key, value in zip(FIELDS, values, strict=True)
            },
            "probs": np.frombuffer(blob, dtype=np.float64).tolist(),
            "behavior": int(behavior),
            **ident,
        }
        for *values, blob, behavior in frame[[*FIELDS, "probs", "behavior"]].itertuples(index=False)
    ]
    facts = {"run": run.name, "run_config": run.config, "filters": {"run": run.name}}
    return rows, facts, frame[["dataset", "choice_cnt", "status"]]
