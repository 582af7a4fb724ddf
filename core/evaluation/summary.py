"""A run's stored rows as metric inputs, and its summary: the object `evaluate --json` prints and the app shows.

`{"run", "endpoint", "mode", "scenes", "skipped", "accuracy", "argmax_accuracy", "log_loss", "brier", "ece",
"ci": {metric: [lo, hi]}, "by_dataset": {D: {...}}, "by_choice_cnt": {K: {...}}}` where each segment holds
`scenes, skipped`, the five metrics and their `ci`; intervals are 95% scene-level bootstrap percentiles.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.evaluation.metrics import (
    BINS,
    METRICS,
    RESAMPLES,
    Rows,
    SceneStats,
    point,
    row_values,
    scene_stats,
    segment_intervals,
)
from storage.evaluations import eval_row_frame, skipped_frame, update_eval_run
from storage.models import EvalRun, utcnow


def decode_probs(blobs: list[bytes], counts: np.ndarray) -> np.ndarray:
    """float64 blobs (one per row, `counts[i]` values each) as one zero-padded matrix (rows × max count)."""
    counts = np.asarray(counts, dtype=np.int64)
    width = int(counts.max()) if len(counts) else 0
    flat = np.frombuffer(b"".join(blobs), dtype=np.float64)
    if len(flat) != int(counts.sum()):
        raise ValueError("stored distributions do not match their scenes' option counts")
    matrix = np.zeros((len(counts), width))
    starts = np.cumsum(counts) - counts
    row = np.repeat(np.arange(len(counts)), counts)
    matrix[row, np.arange(len(flat)) - np.repeat(starts, counts)] = flat
    return matrix


@dataclass(frozen=True)
class RunData:
    """One run's rows and per-scene facts (scenes in ascending id order, aligned with stats)."""

    rows: Rows
    stats: SceneStats
    dataset: np.ndarray  # per scene
    choice_cnt: np.ndarray  # per scene
    item_pos: np.ndarray  # per scene


def run_data(frame: pd.DataFrame) -> RunData:
    """RunData from storage.evaluations.eval_row_frame rows of one run."""
    frame = frame.sort_values(["scene_id", "repeat"], kind="stable")
    rows = Rows(
        scene_id=frame["scene_id"].to_numpy(np.int64),
        true=frame["item_pos"].to_numpy(np.int64),
        behavior=frame["behavior"].to_numpy(np.int64),
        probs=decode_probs(frame["probs"].tolist(), frame["choice_cnt"].to_numpy(np.int64)),
    )
    first = frame.drop_duplicates("scene_id")
    return RunData(
        rows=rows,
        stats=scene_stats(rows),
        dataset=first["dataset"].to_numpy(object),
        choice_cnt=first["choice_cnt"].to_numpy(np.int64),
        item_pos=first["item_pos"].to_numpy(np.int64),
    )


def _segment(stats: SceneStats, skipped: int, ci: dict | None) -> dict:
    return {"scenes": stats.n, "skipped": skipped, **point(stats), "ci": ci or dict.fromkeys(METRICS)}


def summarize(
    data: RunData,
    skipped: pd.DataFrame,
    *,
    run: str,
    endpoint: str | None,
    mode: str,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict:
    """The summary object; `skipped` holds the skipped scenes' dataset and choice_cnt."""
    groupings = {"by_dataset": (data.dataset, "dataset"), "by_choice_cnt": (data.choice_cnt, "choice_cnt")}
    labels = {key: per_scene for key, (per_scene, _) in groupings.items()}
    ci = segment_intervals(data.stats, labels, resamples=resamples, seed=seed)
    out = {"run": run, "endpoint": endpoint, "mode": mode, **_segment(data.stats, len(skipped), ci[None])}
    for key, (per_scene, column) in groupings.items():
        values = sorted(set(per_scene.tolist()) | set(skipped[column].tolist()))
        out[key] = {
            str(value): _segment(
                data.stats.take(per_scene == value), int((skipped[column] == value).sum()), ci[key].get(value)
            )
            for value in values
        }
    return out


def details(data: RunData) -> dict:
    """Reliability bins (rows, summed max probability, argmax hits per bin) and, per position of the true option,
    its scenes, accuracy and argmax accuracy, with how often the truth sits there and how often it is picked."""
    values = row_values(data.rows)
    bins = values["bin"]
    reliability = [
        {
            "bin": b,
            "rows": int((bins == b).sum()),
            "confidence": float(values["confidence"][bins == b].sum()),
            "hits": float(values["argmax_hit"][bins == b].sum()),
        }
        for b in range(BINS)
    ]
    positions = []
    n_rows = max(len(data.rows.behavior), 1)
    for pos in range(int(data.rows.probs.shape[1]) if len(data.rows.true) else 0):
        at = data.item_pos == pos
        stats = point(data.stats.take(at)) if at.any() else dict.fromkeys(METRICS)
        positions.append(
            {
                "position": pos,
                "scenes": int(at.sum()),
                "accuracy": stats["accuracy"],
                "argmax_accuracy": stats["argmax_accuracy"],
                "truth_share": float((data.rows.true == pos).sum() / n_rows),
                "pick_share": float((data.rows.behavior == pos).sum() / n_rows),
            }
        )
    return {"reliability": reliability, "positions": positions}


def compute_summary(*, engine: Engine, run: EvalRun) -> tuple[dict, dict]:
    """A run's (summary, details) computed from its stored rows and skips (nothing written)."""
    with Session(engine) as session:
        frame = eval_row_frame(session=session, eval_run_ids=[run.id])
        skipped = skipped_frame(session=session, eval_run_id=run.id)
    data = run_data(frame)
    return summarize(data, skipped, run=run.name, endpoint=run.endpoint, mode=run.mode), details(data)


def refresh_summary(*, engine: Engine, run: EvalRun) -> dict:
    """Compute a run's summary and details, store them with the finish time, and return the summary."""
    summary, more = compute_summary(engine=engine, run=run)
    with Session(engine) as session:
        update_eval_run(session=session, eval_run_id=run.id, summary=summary, details=more, finished_at=utcnow())
    return summary


def metric_line(summary: dict) -> str:
    """One line of a summary for the terminal: the metrics with their intervals."""
    parts = []
    for name in METRICS:
        value, ci = summary[name], summary["ci"][name]
        parts.append(f"{name} {value:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]" if value is not None else f"{name} -")
    return ", ".join(parts)
