"""What the Evaluate page shows, as plain frames: leaderboard, per-dataset intervals, reliability, position bias,
and the paired comparison of two runs. No Streamlit here; the page lays these out.

A run's `details` (core.evaluation.summary.details, stored beside its summary) hold the reliability bins and the
accuracy by the true option's position, so the page draws twenty runs without reading their rows; only the
comparison reads rows (of two runs).
"""

import numpy as np
import pandas as pd

from core.evaluation.metrics import METRICS, paired_difference, point
from core.evaluation.summary import RunData
from storage.constants import letter


def _ci(summary: dict, name: str) -> tuple[float | None, float | None]:
    ci = (summary.get("ci") or {}).get(name)
    return (ci[0], ci[1]) if ci else (None, None)


def leaderboard(runs: list[dict]) -> pd.DataFrame:
    """One row per run (dicts with name, endpoint, mode, model, summary, finished_at), best accuracy first."""
    rows = []
    for run in runs:
        summary = run["summary"] or {}
        lo, hi = _ci(summary, "accuracy")
        rows.append(
            {
                "run": run["name"],
                "endpoint": run["endpoint"] or "(baseline)",
                "mode": run["mode"],
                "model": run["model"] or "",
                "scenes": summary.get("scenes", 0),
                "skipped": summary.get("skipped", 0),
                "accuracy": summary.get("accuracy"),
                "accuracy 95% CI": f"[{lo:.3f}, {hi:.3f}]" if lo is not None else "",
                "argmax accuracy": summary.get("argmax_accuracy"),
                "log loss": summary.get("log_loss"),
                "Brier": summary.get("brier"),
                "calibration error (ECE)": summary.get("ece"),
                "date": run["finished_at"],
            }
        )
    frame = pd.DataFrame(rows)
    return frame.sort_values("accuracy", ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def segment_frame(runs: list[dict], metric: str, key: str = "by_dataset") -> pd.DataFrame:
    """run, segment, value, lo, hi, scenes of one metric per segment (by_dataset or by_choice_cnt) of each run."""
    rows = []
    for run in runs:
        for segment, part in ((run["summary"] or {}).get(key) or {}).items():
            lo, hi = _ci(part, metric)
            rows.append(
                {
                    "run": run["name"],
                    "segment": segment,
                    "value": part[metric],
                    "lo": lo,
                    "hi": hi,
                    "scenes": part["scenes"],
                }
            )
    return pd.DataFrame(rows, columns=["run", "segment", "value", "lo", "hi", "scenes"])


def reliability_frame(runs: list[dict]) -> pd.DataFrame:
    """run, bin, rows, confidence (mean max probability), accuracy (argmax) of every non-empty bin of each run."""
    rows = []
    for run in runs:
        for b in (run["details"] or {}).get("reliability", []):
            if b["rows"]:
                rows.append(
                    {
                        "run": run["name"],
                        "bin": b["bin"],
                        "rows": b["rows"],
                        "confidence": b["confidence"] / b["rows"],
                        "accuracy": b["hits"] / b["rows"],
                    }
                )
    return pd.DataFrame(rows, columns=["run", "bin", "rows", "confidence", "accuracy"])


def position_frame(runs: list[dict]) -> pd.DataFrame:
    """run, option (letter of the true position), scenes, accuracy, truth_share, pick_share per position and run."""
    rows = [
        {"run": run["name"], "option": letter(p["position"]), **{k: v for k, v in p.items() if k != "position"}}
        for run in runs
        for p in (run["details"] or {}).get("positions", [])
    ]
    columns = ["run", "option", "scenes", "accuracy", "argmax_accuracy", "truth_share", "pick_share"]
    return pd.DataFrame(rows, columns=columns)


def comparison_frame(a: RunData, b: RunData, *, seed: int = 0) -> pd.DataFrame | None:
    """Per metric: A and B on their shared scenes, A − B and its paired 95% bootstrap interval; None if none shared."""
    diff = paired_difference(a.stats, b.stats, seed=seed)
    if diff is None:
        return None
    shared = np.intersect1d(a.stats.scene_id, b.stats.scene_id)
    pa = point(a.stats.take(np.isin(a.stats.scene_id, shared)))
    pb = point(b.stats.take(np.isin(b.stats.scene_id, shared)))
    rows = [
        {
            "metric": name,
            "A": pa[name],
            "B": pb[name],
            "A − B": diff[name]["difference"],
            "95% CI low": diff[name]["ci"][0],
            "95% CI high": diff[name]["ci"][1],
        }
        for name in METRICS
    ]
    return pd.DataFrame(rows)
