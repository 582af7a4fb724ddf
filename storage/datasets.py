"""Datasets: lookup, listing, the dataset row and whole-dataset delete (for --replace); rows go through storage.bulk."""

from sqlalchemy import Connection, insert, text, update
from sqlmodel import Session, select

from storage.models import Dataset, utcnow

# Children first, so foreign keys hold at every statement. :d is the dataset id. (count key or None, statement)
_SCENES = "SELECT id FROM scene WHERE dataset_id = :d"
_RATIONALES = f"SELECT id FROM rationale WHERE scene_id IN ({_SCENES})"
_EVAL_RUNS = (
    f"SELECT eval_run_id FROM evalrow WHERE scene_id IN ({_SCENES}) "
    f"UNION SELECT eval_run_id FROM evalskip WHERE scene_id IN ({_SCENES})"
)
_DELETE_DATASET = [
    ("selection_items", f"DELETE FROM selectionitem WHERE scene_id IN ({_SCENES})"),
    ("predictions", f"DELETE FROM prediction WHERE scene_id IN ({_SCENES})"),
    ("rationale_verdicts", f"DELETE FROM rationaleverdict WHERE scene_id IN ({_SCENES})"),
    ("human_pairs", f"DELETE FROM pairoverride WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM reviewlease WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM reviewdraft WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM assignment WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM assignchange WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM bulkchange WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM blindverdict WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM adjudication WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM doublereview WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM predictionhistory WHERE scene_id IN ({_SCENES})"),
    ("rationale_versions", f"DELETE FROM rationaleversion WHERE rationale_id IN ({_RATIONALES})"),
    ("rationales", f"DELETE FROM rationale WHERE scene_id IN ({_SCENES})"),
    ("reviews", f"DELETE FROM review WHERE scene_id IN ({_SCENES})"),
    ("scores", f"DELETE FROM score WHERE scene_id IN ({_SCENES})"),
    # Evaluation runs keep their name and configuration; their summary is recomputed without this dataset.
    (None, f"UPDATE evalrun SET summary = NULL, details = NULL WHERE id IN ({_EVAL_RUNS})"),
    (None, f"DELETE FROM evalrow WHERE scene_id IN ({_SCENES})"),
    (None, f"DELETE FROM evalskip WHERE scene_id IN ({_SCENES})"),
    (None, f"UPDATE llmcall SET scene_id = NULL WHERE scene_id IN ({_SCENES})"),  # the call log outlives its scenes
    ("scenes", "DELETE FROM scene WHERE dataset_id = :d"),
    (None, "UPDATE run SET dataset_id = NULL WHERE dataset_id = :d"),
    ("interactions", "DELETE FROM interaction WHERE dataset_id = :d"),
    ("users", 'DELETE FROM "user" WHERE dataset_id = :d'),
    ("items", "DELETE FROM item WHERE dataset_id = :d"),
    (None, "DELETE FROM dataset WHERE id = :d"),
]
# Human work among them: rationales a reviewer edited (version > 1) and reviews.
_EDITED = f"SELECT COUNT(*) FROM rationale WHERE scene_id IN ({_SCENES}) AND version > 1"


def get_dataset(*, session: Session, name: str) -> Dataset | None:
    """The dataset with this name, or None."""
    return session.exec(select(Dataset).where(Dataset.name == name)).first()


def list_datasets(*, session: Session) -> list[Dataset]:
    """Every dataset, oldest first."""
    return list(session.exec(select(Dataset).order_by(Dataset.id)))


def dataset_id(*, conn: Connection, name: str) -> int | None:
    """The id of the dataset with this name, or None."""
    return conn.execute(text("SELECT id FROM dataset WHERE name = :n"), {"n": name}).scalar()


def delete_dataset(*, conn: Connection, dataset_id: int) -> dict[str, int]:
    """Delete a dataset and everything built on it (scenes, rationales, scores, reviews) in the caller's transaction.

    Returns the rows deleted per kind (scenes, rationales, edited_rationales, rationale_verdicts, human_pairs,
    rationale_versions, predictions, reviews, selection_items, scores, interactions, users, items)."""
    params = {"d": dataset_id}
    counts = {"edited_rationales": int(conn.execute(text(_EDITED), params).scalar())}
    for key, sql in _DELETE_DATASET:
        deleted = conn.execute(text(sql), params).rowcount
        if key is not None:
            counts[key] = int(deleted)
    return counts


def insert_dataset(
    *, conn: Connection, name: str, fmt: str, source_path: str | None, templates: dict | None, options: dict
) -> int:
    """Insert the dataset row and return its id."""
    values = dict(
        name=name, format=fmt, source_path=source_path, templates=templates, options=options, created_at=utcnow()
    )
    return int(conn.execute(insert(Dataset).values(**values)).inserted_primary_key[0])


def set_dataset_options(*, conn: Connection, dataset_id: int, options: dict) -> None:
    """Replace the dataset's options JSON (an import writes its summary last)."""
    conn.execute(update(Dataset).where(Dataset.id == dataset_id).values(options=options))
