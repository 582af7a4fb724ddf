"""Agreement of double review: Cohen's kappa per reviewer pair (scikit-learn), Krippendorff's alpha over every
double-reviewed scene (the krippendorff package), reviewer throughput and approve rate. Computed from SQL aggregates
(a few rows whatever the number of reviews) with numpy; no loop over verdicts."""

from dataclasses import dataclass

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score
from sqlmodel import Session

from storage.constants import VERDICTS
from storage.double_review import adjudication_counts, pair_counts, reviewer_activity, unit_patterns


@dataclass
class Agreement:
    """pairs: reviewer pair, scenes both reviewed, share agreeing, kappa (None when undefined); alpha over all
    double-reviewed scenes (None with fewer than two such scenes or one verdict only); reviewers: name, verdicts,
    approve rate, verdicts per active hour; the adjudication queue's size and the decisions made."""

    pairs: list[dict]
    alpha: float | None
    scenes: int
    reviewers: list[dict]
    waiting: int
    decided: int


def _kappa(first: np.ndarray, second: np.ndarray, weights: np.ndarray) -> float | None:
    """Cohen's kappa of one pair from its verdict-pair counts (labels weighted by count); None when undefined (both
    always gave the same one verdict)."""
    if len(set(first) | set(second)) < 2:
        return None
    value = cohen_kappa_score(first, second, labels=list(VERDICTS), sample_weight=weights)
    return None if np.isnan(value) else float(value)


def pair_agreement(rows: list[tuple[str, str, str, str, int]]) -> list[dict]:
    """Per pair: scenes, share of equal verdicts, Cohen's kappa."""
    out = []
    pairs = sorted({(r1, r2) for r1, r2, *_ in rows})
    for r1, r2 in pairs:
        cells = [(s1, s2, n) for a, b, s1, s2, n in rows if (a, b) == (r1, r2)]  # at most 4 cells per pair
        first, second = np.array([c[0] for c in cells]), np.array([c[1] for c in cells])
        weights = np.array([c[2] for c in cells], dtype=float)
        total = weights.sum()
        out.append(
            {
                "pair": f"{r1} · {r2}",
                "scenes": int(total),
                "agree": float(weights[first == second].sum() / total),
                "kappa": _kappa(first, second, weights),
            }
        )
    return out


def alpha_of(patterns: list[tuple[int, int, int]]) -> tuple[float | None, int]:
    """Krippendorff's alpha (nominal) from (approved, rejected, scenes) patterns, and the scenes it covers."""
    if not patterns:
        return None, 0
    counts = np.array([[a, r] for a, r, _ in patterns], dtype=float)
    repeat = np.array([n for *_, n in patterns])
    units = np.repeat(counts, repeat, axis=0)
    if len(units) < 2 or (units.sum(axis=0) == 0).any():  # one verdict only: no variation, alpha undefined
        return None, int(repeat.sum())
    value = krippendorff.alpha(value_counts=units, level_of_measurement="nominal")
    return (None if np.isnan(value) else float(value)), int(repeat.sum())


def agreement(*, session: Session) -> Agreement:
    """Everything the Overview's agreement section shows."""
    alpha, scenes = alpha_of(unit_patterns(session=session))
    reviewers = [
        {
            "reviewer": name,
            "verdicts": n,
            "approve rate": approved / n if n else 0.0,
            "per active hour": n / hours if hours else float(n),
        }
        for name, n, approved, hours in reviewer_activity(session=session)
    ]
    waiting, decided = adjudication_counts(session=session)
    return Agreement(pair_agreement(pair_counts(session=session)), alpha, scenes, reviewers, waiting, decided)
