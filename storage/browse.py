"""The app's read queries: filtered, sorted, paginated scene listing, neighbours, and one scene in full.

Everything is paged and filtered in SQL (LIMIT/OFFSET, ORDER BY a whitelisted column), so a page costs the same
with 100 scenes or 100,000 scenes x 20 rationales.
"""

import json
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import String, and_, cast, exists, func, or_, tuple_
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from core.errors import BadInput
from storage.constants import RANK_COLUMNS, SPLITS, STATUSES
from storage.models import (
    Dataset,
    Rationale,
    Review,
    Scene,
    Score,
    Selection,
    SelectionItem,
)
from storage.ranges import Ranges
from storage.reviews import REVIEW_STATUS

NO_PROBLEMS = ("[]", "null")  # stored JSON of a rationale without format problems (NULL counts as none too)
# The JSON text compared (a CAST, so PostgreSQL's json type compares as text too).
_WITH_PROBLEMS = (col(Rationale.problems).is_not(None), cast(Rationale.problems, String).not_in(NO_PROBLEMS))
# One scan of the rationale table (an IN list), not one probe per scene: 0.4 s instead of 1.4 s at 2M rationales.
_HAS_PROBLEMS = col(Scene.id).in_(select(Rationale.scene_id).where(*_WITH_PROBLEMS))
# name -> (help text, SQL condition); conditions on scores only match scored scenes.
PRESETS: dict[str, tuple[str, ColumnElement]] = {
    "strong right, weak wrong": (
        "strong_hit >= 0.5 and weak_hit < 0.5",
        and_(Score.strong_hit >= 0.5, Score.weak_hit < 0.5),
    ),
    "weak right, strong wrong": (
        "weak_hit >= 0.5 and strong_hit < 0.5",
        and_(Score.weak_hit >= 0.5, Score.strong_hit < 0.5),
    ),
    "both right": ("strong_hit >= 0.5 and weak_hit >= 0.5", and_(Score.strong_hit >= 0.5, Score.weak_hit >= 0.5)),
    "both wrong": ("strong_hit == 0 and weak_hit == 0", and_(Score.strong_hit == 0, Score.weak_hit == 0)),
    "unscored": ("no score yet", col(Score.scene_id).is_(None)),
    "format problems": ("a rationale has format problems", _HAS_PROBLEMS),
}
# Sortable columns: name -> SQL expression (the only way a name reaches ORDER BY).
SORT_COLUMNS: dict[str, ColumnElement] = {
    "id": col(Scene.id),
    "timestamp": col(Scene.timestamp),
    "choice_cnt": col(Scene.choice_cnt),
    "dataset": col(Dataset.name),
    "split": col(Scene.split),
    "status": REVIEW_STATUS,
    **{name: getattr(Score, name) for name in RANK_COLUMNS},
}


@dataclass(frozen=True)
class SceneFilter:
    """What the Samples page filters on; ranges: score column -> inclusive (low, high), None = open side."""

    dataset: str | None = None
    split: str | None = None
    status: str | None = None
    choice_cnt: int | None = None
    selection: str | None = None
    preset: str | None = None
    search: str | None = None
    ranges: Ranges = field(default_factory=dict)


@dataclass(frozen=True)
class SceneOrder:
    """A whitelisted sort column and direction; ties break on scene id."""

    column: str = "id"
    descending: bool = False


@dataclass
class ScenePage:
    """One page of the listing."""

    rows: pd.DataFrame
    total: int
    offset: int
    limit: int


def like_pattern(term: str) -> str:
    """A LIKE pattern matching term anywhere, with %, _ and the escape character escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_condition(term: str) -> ColumnElement:
    # history/options are stored as JSON text, where quotes, backslashes and non-ASCII are escaped.
    raw = like_pattern(term)
    encoded = like_pattern(json.dumps(term)[1:-1])
    conds = [col(Scene.profile).like(raw, escape="\\")]
    for column in (Scene.history, Scene.options):
        text = cast(column, String)  # JSON text (PostgreSQL: json has no LIKE)
        conds.append(text.like(raw, escape="\\"))
        if encoded != raw:
            conds.append(text.like(encoded, escape="\\"))
    return or_(*conds)


def _conditions(session: Session, flt: SceneFilter) -> tuple[list[ColumnElement], bool, bool]:
    """SQL conditions for a filter, plus whether they need the score and review joins."""
    conds: list[ColumnElement] = []
    needs_score = needs_review = False
    if flt.dataset:
        conds.append(col(Dataset.name) == flt.dataset)
    if flt.split:
        conds.append(col(Scene.split) == flt.split)
    if flt.choice_cnt:
        conds.append(col(Scene.choice_cnt) == int(flt.choice_cnt))
    if flt.status:
        if flt.status not in STATUSES:
            raise BadInput(f"unknown review status {flt.status!r}; use one of {', '.join(STATUSES)}")
        conds.append(REVIEW_STATUS == flt.status)  # noqa: SIM300
        needs_review = True
    if flt.selection:
        sel_id = session.exec(select(Selection.id).where(Selection.name == flt.selection)).first()
        in_sel = exists().where(SelectionItem.scene_id == Scene.id, SelectionItem.selection_id == (sel_id or -1))
        conds.append(in_sel)
    if flt.preset:
        if flt.preset not in PRESETS:
            raise BadInput(f"unknown preset {flt.preset!r}")
        conds.append(PRESETS[flt.preset][1])
        needs_score = flt.preset != "format problems"
    for name, (low, high) in flt.ranges.items():
        if name not in RANK_COLUMNS:
            raise BadInput(f"unknown score column {name!r}")
        column = getattr(Score, name)
        if low is not None:
            conds.append(column >= float(low))
            needs_score = True
        if high is not None:
            conds.append(column <= float(high))
            needs_score = True
    if flt.search and flt.search.strip():
        conds.append(_search_condition(flt.search.strip()))
    return conds, needs_score, needs_review


def _from(stmt, *, score: bool, review: bool, dataset: bool = True):
    """stmt over scenes with the joins it needs (dataset=False: a count or id list whose filter does not name a
    dataset; joining it anyway makes SQLite visit the dataset for every scene, 9 ms per 100k)."""
    stmt = stmt.select_from(Scene)
    if dataset:
        stmt = stmt.join(Dataset, col(Dataset.id) == col(Scene.dataset_id))
    if score:
        stmt = stmt.outerjoin(Score, col(Score.scene_id) == col(Scene.id))
    if review:
        stmt = stmt.outerjoin(Review, col(Review.scene_id) == col(Scene.id))
    return stmt


def _sort_key(order: SceneOrder) -> ColumnElement:
    if order.column not in SORT_COLUMNS:
        raise BadInput(f"cannot sort by {order.column!r}; use one of {', '.join(SORT_COLUMNS)}")
    expr = SORT_COLUMNS[order.column]
    if order.column in RANK_COLUMNS:  # unscored scenes sort last in both directions
        expr = func.coalesce(expr, -1e308 if order.descending else 1e308)
    return expr


def count_scenes(*, session: Session, flt: SceneFilter) -> int:
    """How many scenes match the filter."""
    conds, score, review = _conditions(session, flt)
    stmt = _from(select(func.count()), score=score, review=review, dataset=bool(flt.dataset)).where(*conds)
    return int(session.exec(stmt).one())


def matching_scene_ids(*, session: Session, flt: SceneFilter) -> Select:
    """SELECT of the id of every scene matching the filter, for set-based writes over the whole filtered set."""
    conds, score, review = _conditions(session, flt)
    return _from(select(col(Scene.id)), score=score, review=review, dataset=bool(flt.dataset)).where(*conds)


def queue_pieces(*, session: Session, flt: SceneFilter, order: SceneOrder) -> list[tuple[Select, ColumnElement, ...]]:
    """The filter's scenes in the order as consecutive pieces, each (SELECT of ids joined to the review, sort key, the
    scene id column to break ties with). Ordered by a score: the scored scenes driven from the score table (its index
    walks the order and a LIMIT stops early, instead of sorting every scene row; ties by score.scene_id, which the
    index holds), then the unscored ones by id when there are any."""
    conds, score, _ = _conditions(session, flt)
    if order.column not in RANK_COLUMNS:
        return [(_from(select(col(Scene.id)), score=score, review=True).where(*conds), _sort_key(order), col(Scene.id))]
    scored = (
        select(col(Scene.id))
        .select_from(Score)
        .join(Scene, col(Scene.id) == col(Score.scene_id))
        .join(Dataset, col(Dataset.id) == col(Scene.dataset_id))
        .outerjoin(Review, col(Review.scene_id) == col(Scene.id))
        .where(*conds)
    )
    pieces = [(scored, getattr(Score, order.column), col(Score.scene_id))]
    n_scenes = session.exec(select(func.count()).select_from(Scene)).one()
    if n_scenes > session.exec(select(func.count()).select_from(Score)).one():
        unscored = _from(select(col(Scene.id)), score=True, review=True).where(*conds, col(Score.scene_id).is_(None))
        pieces.append((unscored, col(Scene.id), col(Scene.id)))
    return pieces


def list_scenes(
    *, session: Session, flt: SceneFilter, order: SceneOrder = SceneOrder(), offset: int = 0, limit: int = 50
) -> ScenePage:
    """One page of matching scenes with dataset, split, length, status, key scores and format-problem count."""
    conds, _, _ = _conditions(session, flt)
    key = _sort_key(order)
    direction = (key.desc(), col(Scene.id).desc()) if order.descending else (key.asc(), col(Scene.id).asc())
    columns = [
        col(Scene.id).label("scene_id"),
        col(Dataset.name).label("dataset"),
        col(Scene.split).label("split"),
        col(Scene.choice_cnt).label("choice_cnt"),
        REVIEW_STATUS.label("status"),
        *(getattr(Score, name).label(name) for name in RANK_COLUMNS),
    ]
    offset, limit = max(0, offset), max(1, limit)
    names = [c.name for c in columns]
    if order.column in RANK_COLUMNS:  # the page's ids from the score index, then their rows
        ids = _ranked_page(session, flt, order, offset=offset, limit=limit)
        stmt = _from(select(*columns), score=True, review=True).where(col(Scene.id).in_(ids))
        found = {row[0]: row for row in session.exec(stmt).all()}
        rows = pd.DataFrame([found[i] for i in ids], columns=names)
    else:
        stmt = _from(select(*columns), score=True, review=True).where(*conds).order_by(*direction)
        rows = pd.DataFrame(session.exec(stmt.offset(offset).limit(limit)).all(), columns=names)
    rows["problems"] = _problem_counts(session, rows["scene_id"].tolist())
    return ScenePage(rows=rows, total=count_scenes(session=session, flt=flt), offset=offset, limit=limit)


def _ranked_page(session: Session, flt: SceneFilter, order: SceneOrder, *, offset: int, limit: int) -> list[int]:
    """Scene ids of one page in a score order, the same order as the review queue's: the scored scenes by the score
    (ties by id in the same direction), walked on the score table so a LIMIT stops early, then the unscored ones by
    id. The scored ones are counted only when the page reaches past them."""
    pieces = queue_pieces(session=session, flt=flt, order=order)
    stmt, key, sid = pieces[0]
    by = (key.desc(), sid.desc()) if order.descending else (key.asc(), sid.asc())
    ids = list(session.exec(stmt.order_by(*by).offset(offset).limit(limit)).all())
    if len(ids) < limit and len(pieces) > 1:
        scored = session.exec(select(func.count()).select_from(stmt.subquery())).one()
        rest, _, rest_id = pieces[1]
        rest_by = rest_id.desc() if order.descending else rest_id.asc()
        ids += session.exec(rest.order_by(rest_by).offset(max(0, offset - scored)).limit(limit - len(ids))).all()
    return [int(i) for i in ids]


def _problem_counts(session: Session, scene_ids: list[int]) -> list[int]:
    if not scene_ids:
        return []
    stmt = (
        select(Rationale.scene_id, func.count())
        .where(col(Rationale.scene_id).in_(scene_ids))
        .where(*_WITH_PROBLEMS)
        .group_by(Rationale.scene_id)
    )
    counts = dict(session.exec(stmt).all())
    return [int(counts.get(sid, 0)) for sid in scene_ids]


def beyond(key: ColumnElement, sid: ColumnElement, value, scene_id: int, *, later: bool = True) -> ColumnElement:
    """Rows after (later) or before (value, scene_id) in (key, scene id) order, as one row-value comparison. SQLite
    and PostgreSQL walk an index range with it; the same test spelled `key > v OR (key = v AND id > i)` made SQLite
    scan the table once the values were bound parameters (24 ms per neighbour at 100k scenes, instead of 0.01)."""
    here = tuple_(key, sid)
    return here > tuple_(value, scene_id) if later else here < tuple_(value, scene_id)


def neighbours(
    *, session: Session, scene_id: int, flt: SceneFilter, order: SceneOrder = SceneOrder()
) -> tuple[int | None, int | None]:
    """(previous, next) scene id around scene_id within the filter and order; None at either end."""
    if order.column in RANK_COLUMNS:
        return _score_neighbours(session, scene_id, flt, order)
    conds, score, review = _conditions(session, flt)
    key = _sort_key(order)
    score = score or order.column in RANK_COLUMNS
    review = review or order.column == "status"
    sid = col(Scene.id)
    here = session.exec(_from(select(sid, key), score=score, review=review).where(sid == scene_id)).first()
    if here is None:
        return None, None
    value = here[1]
    after, before = beyond(key, sid, value, scene_id), beyond(key, sid, value, scene_id, later=False)
    if order.descending:
        after, before = before, after
    fwd = (key.desc(), sid.desc()) if order.descending else (key.asc(), sid.asc())
    back = (key.asc(), sid.asc()) if order.descending else (key.desc(), sid.desc())
    base = _from(select(sid), score=score, review=review).where(*conds)
    nxt = session.exec(base.where(after).order_by(*fwd).limit(1)).first()
    prev = session.exec(base.where(before).order_by(*back).limit(1)).first()
    return prev, nxt


def _score_neighbours(session: Session, scene_id: int, flt: SceneFilter, order: SceneOrder):
    """neighbours() in a score order, from queue_pieces (the score index walks the order, a LIMIT 1 stops at once):
    the scored scenes by the score, ties by id in the same direction, then the unscored ones by id."""
    pieces = queue_pieces(session=session, flt=flt, order=order)
    if len(pieces) == 1:  # every scene is scored: an empty unscored piece keeps the indexes below the same
        pieces.append((pieces[0][0].where(col(Scene.id).is_(None)), col(Scene.id), col(Scene.id)))
    value = session.exec(select(getattr(Score, order.column)).where(Score.scene_id == scene_id)).first()
    k, value = (0, value) if value is not None else (1, scene_id)
    if k == 1 and session.get(Scene, scene_id) is None:
        return None, None
    stmt, key, sid = pieces[k]
    after, before = beyond(key, sid, value, scene_id), beyond(key, sid, value, scene_id, later=False)
    if order.descending:
        after, before = before, after
    fwd = (key.desc(), sid.desc()) if order.descending else (key.asc(), sid.asc())
    back = (key.asc(), sid.asc()) if order.descending else (key.desc(), sid.desc())
    nxt = session.exec(stmt.where(after).order_by(*fwd).limit(1)).first()
    prev = session.exec(stmt.where(before).order_by(*back).limit(1)).first()
    if nxt is None and k == 0:  # past the last scored scene: the first unscored one
        unscored, by_id, _ = pieces[1]
        nxt = session.exec(unscored.order_by(by_id.desc() if order.descending else by_id.asc()).limit(1)).first()
    if prev is None and k == 1:  # before the first unscored scene: the last scored one
        scored, by_score, score_id = pieces[0]
        last = (by_score.asc(), score_id.asc()) if order.descending else (by_score.desc(), score_id.desc())
        prev = session.exec(scored.order_by(*last).limit(1)).first()
    return prev, nxt


def first_scene_id(*, session: Session, flt: SceneFilter, order: SceneOrder = SceneOrder()) -> int | None:
    """The first scene of the filtered, ordered listing (None when nothing matches)."""
    page = list_scenes(session=session, flt=flt, order=order, limit=1)
    return int(page.rows["scene_id"].iloc[0]) if len(page.rows) else None


def filter_choices(*, session: Session) -> dict[str, list]:
    """Values offered by the filter widgets: dataset names, splits, exposure lengths, selection names."""
    return {
        "datasets": list(session.exec(select(Dataset.name).order_by(Dataset.name)).all()),
        "splits": list(SPLITS),
        "lengths": [int(v) for v in session.exec(select(Scene.choice_cnt).distinct().order_by(Scene.choice_cnt))],
        "selections": list(session.exec(select(Selection.name).order_by(col(Selection.id).desc())).all()),
    }


def score_ranges(*, session: Session) -> dict[str, tuple[float, float]]:
    """(min, max) of every score column over scored scenes; empty when nothing is scored."""
    stmt = select(
        *(f for name in RANK_COLUMNS for f in (func.min(getattr(Score, name)), func.max(getattr(Score, name))))
    )
    row = session.exec(stmt).one()
    if row[0] is None:
        return {}
    return {name: (float(row[2 * i]), float(row[2 * i + 1])) for i, name in enumerate(RANK_COLUMNS)}
