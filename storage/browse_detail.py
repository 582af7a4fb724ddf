"""The Review and Overview pages' queries: one scene in full, score distributions, cheap change tokens."""

from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlmodel import Session, col, select

from core.errors import BadInput
from storage.constants import PENDING, RANK_COLUMNS, VERDICTS
from storage.models import Dataset, Prediction, Rationale, Review, Scene, Score, Selection, SelectionItem
from storage.review_counts import count_by_status_sql


@dataclass
class SceneDetail:
    """One scene with everything the Review page shows."""

    scene: Scene
    dataset: str
    rationales: list[dict]
    review: Review | None
    score: dict | None
    pairs: list[dict]


def decode_probs(blob: bytes | None) -> list[float] | None:
    """A stored float64 distribution as a list (None when absent)."""
    return None if blob is None else np.frombuffer(blob, dtype=np.float64).tolist()


def scene_detail(*, session: Session, scene_id: int) -> SceneDetail | None:
    """One scene with its rationales (+ predictions), review, score and chosen/rejected pairs; None if missing."""
    scene = session.get(Scene, scene_id)
    if scene is None:
        return None
    dataset = session.get(Dataset, scene.dataset_id)
    stmt = (
        select(Rationale, Prediction)
        .outerjoin(Prediction, col(Prediction.rationale_id) == col(Rationale.id))
        .where(Rationale.scene_id == scene_id)
        .order_by(col(Rationale.role), col(Rationale.sample_index), col(Rationale.id))
    )
    rationales = []
    for rat, pred in session.exec(stmt).all():
        rationales.append(
            {
                "rationale": rat,
                "probs": decode_probs(pred.probs) if pred else None,
                "behavior_index": pred.behavior_index if pred else None,
                "estimated": bool(pred.estimated) if pred else False,
                "conditioning": pred.conditioning if pred else None,
                "predicted_version": pred.rationale_version if pred else None,
                "endpoint": pred.endpoint if pred else None,
            }
        )
    review = session.exec(select(Review).where(Review.scene_id == scene_id)).first()
    score_row = session.get(Score, scene_id)
    score = {name: getattr(score_row, name) for name in RANK_COLUMNS} if score_row else None
    pair_stmt = (
        select(Selection.name, SelectionItem.chosen_rationale_id, SelectionItem.rejected_rationale_id)
        .join(Selection, col(Selection.id) == col(SelectionItem.selection_id))
        .where(SelectionItem.scene_id == scene_id)
        .order_by(col(Selection.id).desc())
    )
    pairs = [{"selection": n, "chosen": c, "rejected": r} for n, c, r in session.exec(pair_stmt).all()]
    return SceneDetail(
        scene=scene,
        dataset=dataset.name if dataset else "?",
        rationales=rationales,
        review=review,
        score=score,
        pairs=pairs,
    )


def score_values(
    *, session: Session, columns: list[str], dataset_id: int | None = None, with_dataset: bool = False
) -> np.ndarray:
    """Values of score columns (optionally of one dataset) as a float array (rows x columns), one query;
    with_dataset: each row's dataset id as an extra first column."""
    for column in columns:
        if column not in RANK_COLUMNS:
            raise BadInput(f"unknown score column {column!r}")
    where = " WHERE s.dataset_id = :ds" if dataset_id is not None else ""
    names = ", ".join(["s.dataset_id"] * with_dataset + [f'sc."{c}"' for c in columns])  # quoted: PostgreSQL folds
    sql = f"SELECT {names} FROM score sc JOIN scene s ON s.id = sc.scene_id{where}"  # strong_E to strong_e
    result = session.connection().execute(text(sql), {"ds": dataset_id})
    # The DB-API rows: numpy reads plain tuples ~8x faster than SQLAlchemy Row objects (100k rows: 0.13 s vs 1 s).
    rows = result.cursor.fetchall()
    return np.array(rows, dtype=np.float64).reshape(-1, len(columns) + with_dataset)


def score_histograms(
    *, session: Session, columns: list[str], dataset_id: int | None = None, bins: int = 30
) -> dict[str, tuple[list[int], list[float]]]:
    """Per column (counts, bin centres), binned in numpy; empty lists for a column without finite values."""
    values = score_values(session=session, columns=columns, dataset_id=dataset_id)
    out = {}
    for k, column in enumerate(columns):
        finite = values[:, k][np.isfinite(values[:, k])]
        if not finite.size:
            out[column] = ([], [])
            continue
        counts, edges = np.histogram(finite, bins=bins)
        out[column] = (counts.tolist(), ((edges[:-1] + edges[1:]) / 2).tolist())
    return out


def workspace_token(*, session: Session) -> dict[str, object]:
    """Cheap fingerprint of what the Overview counts (max ids, score/review state): cache keys for slow counts.

    "pipeline" holds what a running pipeline changes every second (scenes, rationales, predictions, calls);
    "workspace" what people and finished stages change (datasets, scores, selections, reviews).
    """
    sql = (
        "SELECT (SELECT max(id) FROM scene), (SELECT max(id) FROM rationale), (SELECT max(id) FROM prediction), "
        "(SELECT max(id) FROM llmcall), (SELECT max(id) FROM dataset), (SELECT count(*) FROM dataset), "
        "(SELECT max(computed_at) FROM score), (SELECT max(id) FROM selection), "
        "(SELECT max(created_at) FROM selection), (SELECT count(*) FROM review), (SELECT max(updated_at) FROM review)"
    )
    row = tuple(session.connection().exec_driver_sql(sql).one())
    return {"pipeline": row[:4], "workspace": row[4:]}


def review_summary(*, session: Session) -> dict[str, dict[str, int]]:
    """Per dataset: scenes in any selection and how many of them are approved, rejected, pending."""
    sql = (
        f"SELECT d.name, COUNT(*), {count_by_status_sql('r')} "
        "FROM (SELECT DISTINCT scene_id FROM selectionitem) si JOIN scene s ON s.id = si.scene_id "
        "JOIN dataset d ON d.id = s.dataset_id LEFT JOIN review r ON r.scene_id = si.scene_id GROUP BY d.name"
    )
    rows = session.connection().exec_driver_sql(sql).all()
    names = ("selected", *VERDICTS, PENDING)
    return {name: dict(zip(names, map(int, counts), strict=True)) for name, *counts in rows}
