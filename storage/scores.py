"""Score queries: the prediction arrays scoring reads, the Score rows it writes, score frames for selection/export."""

from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from operator import itemgetter

import numpy as np
import pandas as pd
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from storage.bulk import write_rows
from storage.constants import SCORE_COLUMNS
from storage.dialect import timestamp
from storage.models import Dataset, Run, Score

# The behaviour-sampling pair `score` stores with each row (DESIGN.md §6).
PAIR_COLUMNS = ("chosen_rationale_id", "rejected_rationale_id")
_CHUNK = 250_000
_PACK = 1024  # behavior_index < _PACK; scene, role and behaviour travel as one integer


@dataclass
class PredictionArrays:
    """Every prediction as parallel arrays; probs is the concatenation of all float64 blobs."""

    rationale_id: np.ndarray
    scene_id: np.ndarray
    role: np.ndarray  # 0 strong, 1 weak (other roles are not loaded)
    behavior_index: np.ndarray
    n_probs: np.ndarray  # float64 count of each blob
    probs: np.ndarray  # flat float64


def _raw_cursor(session: Session):
    """A DBAPI cursor on the session's connection: plain tuples, no Row objects (millions of rows)."""
    return session.connection().connection.driver_connection.cursor()


def _dataset_filter(session: Session, dataset: str | None, scene_col: str, keyword: str = "WHERE") -> str:
    """SQL restricting scene_col to one dataset's scenes (its id inlined as an int, so no driver paramstyle)."""
    if dataset is None:
        return ""
    found = session.exec(select(Dataset.id).where(Dataset.name == dataset)).first()
    return f" {keyword} {scene_col} IN (SELECT id FROM scene WHERE dataset_id = {int(found or -1)})"


def prediction_arrays(
    *, session: Session, dataset: str | None = None, scene_ids: list[int] | None = None
) -> PredictionArrays:
    """All strong/weak predictions (optionally of one dataset or a few scenes), fetched in chunks (bounded memory)."""
    where = _dataset_filter(session, dataset, "scene_id", "AND")
    if scene_ids is not None:  # a handful of ids for previews, inlined as ints
        where += f" AND scene_id IN ({', '.join(str(int(i)) for i in scene_ids) or 'NULL'})"
    cursor = _raw_cursor(session)
    # three columns instead of five: fewer Python objects per row is what makes 2,000,000 rows fast
    cursor.execute(
        "SELECT rationale_id, "
        f"(scene_id * 2 + CASE role WHEN 'weak' THEN 1 ELSE 0 END) * {_PACK} + behavior_index, probs FROM prediction "
        f"WHERE role IN ('strong', 'weak'){where} ORDER BY id"
    )
    rationale_ids, packed, sizes, blobs = [], [], [], []
    first, second, third = itemgetter(0), itemgetter(1), itemgetter(2)
    while rows := cursor.fetchmany(_CHUNK):
        rationale_ids.append(np.fromiter(map(first, rows), dtype=np.int64, count=len(rows)))
        packed.append(np.fromiter(map(second, rows), dtype=np.int64, count=len(rows)))
        sizes.append(np.fromiter(map(len, map(third, rows)), dtype=np.int64, count=len(rows)) // 8)
        blobs.append(b"".join(map(third, rows)))
        del rows
    cursor.close()
    if not blobs:
        empty = np.zeros(0, dtype=np.int64)
        return PredictionArrays(empty, empty, empty, empty, empty, np.zeros(0, dtype=np.float64))
    key = np.concatenate(packed)
    return PredictionArrays(
        rationale_id=np.concatenate(rationale_ids),
        scene_id=key // (2 * _PACK),
        role=(key // _PACK) % 2,
        behavior_index=key % _PACK,
        n_probs=np.concatenate(sizes),
        probs=np.frombuffer(b"".join(blobs), dtype=np.float64),
    )


def prediction_conditionings(
    *, session: Session, dataset: str | None = None, scene_ids: list[int] | None = None
) -> dict[tuple[int, str], str]:
    """(scene id, role) -> how that role's predictions were conditioned (several kinds joined by ", ", sorted);
    predictions with no recorded conditioning (imported, or made before it was recorded) are left out."""
    where = _dataset_filter(session, dataset, "scene_id", "AND")
    if scene_ids is not None:
        where += f" AND scene_id IN ({', '.join(str(int(i)) for i in scene_ids) or 'NULL'})"
    cursor = _raw_cursor(session)
    cursor.execute(
        "SELECT scene_id, role, conditioning FROM prediction WHERE conditioning IS NOT NULL"
        f"{where} GROUP BY scene_id, role, conditioning ORDER BY scene_id, role, conditioning"
    )
    found: dict[tuple[int, str], list[str]] = {}
    for scene_id, role, conditioning in cursor.fetchall():
        found.setdefault((int(scene_id), role), []).append(conditioning)
    cursor.close()
    return {key: ", ".join(kinds) for key, kinds in found.items()}


def scene_arrays(
    *, session: Session, dataset: str | None = None, scene_ids: list[int] | None = None
) -> dict[str, np.ndarray]:
    """id (sorted), item_pos and choice_cnt of every scene (optionally of one dataset, or of a few ids)."""
    where = _dataset_filter(session, dataset, "id")
    if scene_ids is not None:  # a handful of ids (one scene re-scored), inlined as ints
        where += f"{' AND' if where else ' WHERE'} id IN ({', '.join(str(int(i)) for i in scene_ids) or 'NULL'})"
    cursor = _raw_cursor(session)
    cursor.execute(f"SELECT id, item_pos, choice_cnt FROM scene{where} ORDER BY id")
    data = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    cursor.close()
    return {"id": data[:, 0], "item_pos": data[:, 1], "choice_cnt": data[:, 2]}


def replace_scores(
    *, session: Session, frame: pd.DataFrame, computed_at: datetime, scene_ids: list[int] | None = None
) -> int:
    """Delete every Score row (or those of scene_ids only) and bulk-insert the frame's rows; caller commits.

    The frame holds scene_id and SCORE_COLUMNS, optionally PAIR_COLUMNS (a negative id = none, stored as NULL).
    """
    session.execute(delete(Score) if scene_ids is None else delete(Score).where(col(Score.scene_id).in_(scene_ids)))
    if frame.empty:
        return 0
    columns = ["scene_id", *SCORE_COLUMNS, *(c for c in PAIR_COLUMNS if c in frame)]
    values = []  # one list of plain Python values per column (tolist() converts in C)
    for column in columns:
        array = frame[column].to_numpy()
        if column in PAIR_COLUMNS:
            array = array.astype(object)
            array[frame[column].to_numpy() < 0] = None
        values.append(array.tolist())
    conn = session.connection()
    rows = zip(*values, repeat(timestamp(conn, computed_at), len(frame)), strict=True)
    write_rows(conn=conn, table="score", rows=rows, columns=(*columns, "computed_at"))
    return len(frame)


def scores_frame(*, session: Session, dataset: str | None = None) -> pd.DataFrame:
    """One row per scored scene: scene_id, dataset, split, choice_cnt, item_pos, every score column and the
    behaviour pair (PAIR_COLUMNS, -1 = none)."""
    where = _dataset_filter(session, dataset, "sc.scene_id")
    cols = ", ".join(f'sc."{c}"' for c in SCORE_COLUMNS)  # quoted: PostgreSQL folds strong_E to strong_e
    pairs = ", ".join(f"COALESCE(sc.{c}, -1) AS {c}" for c in PAIR_COLUMNS)
    sql = (
        f"SELECT sc.scene_id, d.name AS dataset, s.split, s.choice_cnt, s.item_pos, {cols}, {pairs} "
        f"FROM score sc JOIN scene s ON s.id = sc.scene_id JOIN dataset d ON d.id = s.dataset_id{where} "
        "ORDER BY sc.scene_id"
    )
    cursor = _raw_cursor(session)
    cursor.execute(sql)
    frame = pd.DataFrame.from_records(cursor.fetchall(), columns=[d[0] for d in cursor.description])
    cursor.close()
    if frame.empty:
        frame = pd.DataFrame(
            columns=["scene_id", "dataset", "split", "choice_cnt", "item_pos", *SCORE_COLUMNS, *PAIR_COLUMNS]
        )
    return frame


def count_scores(*, session: Session) -> int:
    """Number of scored scenes."""
    return int(session.exec(select(func.count()).select_from(Score)).one())


def data_version(*, session: Session) -> tuple:
    """Changes whenever the Score table is replaced: (last finished score run id,).

    A running score run does not count until it is done (its rows are committed just before), so a preview taken
    meanwhile is never cached under the new version. One index lookup: a live preview can ask on every slider move.
    """
    run = session.exec(select(func.max(Run.id)).where(Run.kind == "score", Run.status == "done")).one()
    return (run,)
