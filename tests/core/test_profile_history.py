"""History-derived profiles: exact texts on a tiny dataset, never reading at or after the target time."""

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from core.ingest import ingest_frames
from core.scenes import build_scenes, profile_history
from core.scenes.profile_history import label_matrix, mean_before, top_labels
from core.scenes.render import render_profile
from core.templates import current_templates, templates_for
from storage.models import Scene


def ts(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


ITEMS = {  # item_id: genres
    "A": ["Drama", "Comedy"],
    "B": ["Drama"],
    "C": ["Action", "Comedy"],
    "D": ["Horror"],
    "E": ["Thriller"],
    "F": ["Drama"],
    "G": ["Drama"],
    "H": ["Western"],
    "I": ["Western"],
    "J": ["Western"],
}
# u1's history: D and E share a timestamp; F has no rating. u2 only makes H..J items someone else touched.
U1 = [
    ("A", "2014-03-01", 8),
    ("B", "2014-06-01", 6),
    ("C", "2015-01-01", 9),
    ("D", "2015-02-01", 3),
    ("E", "2015-02-01", 10),
    ("F", "2016-01-01", None),
    ("G", "2016-06-01", 0),
]
FAN = "A movie fan who rates films on Twitter."


def tiny_dataset(engine) -> None:
    inter = [("u1", item, ts(day), rating) for item, day, rating in U1]
    inter += [("u2", "H", ts("2015-01-01"), 5), ("u2", "I", ts("2015-01-02"), 5)]
    ingest_frames(
        engine=engine,
        name="tiny",
        fmt="movietweetings",
        users=pd.DataFrame({"user_id": ["u1", "u2"]}),
        items=pd.DataFrame(
            {"item_id": list(ITEMS), "title": [f"Film {k}" for k in ITEMS], "genres": list(ITEMS.values())}
        ),
        interactions=pd.DataFrame(inter, columns=["user_id", "item_id", "timestamp", "rating"]),
        min_interactions=1,
    )


def test_profiles_count_only_what_came_strictly_before_each_target(engine):
    tiny_dataset(engine)
    report = build_scenes(
        engine=engine, dataset="tiny", count=10, min_exposure=2, max_exposure=3, history_min=3, prompt_style="studio"
    )
    assert report.created == 4
    with Session(engine) as s:
        scenes = s.exec(select(Scene).order_by(Scene.timestamp, Scene.interaction_id)).all()
        got = [(datetime.fromtimestamp(x.timestamp, UTC).date().isoformat(), x.profile) for x in scenes]
    before_d = f"{FAN} 3 earlier ratings since 2014; favourite genres: Comedy, Drama, Action; mean rating 7.67/10"
    assert got == [
        ("2015-02-01", before_d),  # D: A, B, C only (its own rating 3 is not counted)
        ("2015-02-01", before_d),  # E: same time as D, so D is not earlier
        (
            "2016-01-01",
            f"{FAN} 5 earlier ratings since 2014; favourite genres: Comedy, Drama, Action; mean rating 7.2/10",
        ),
        (
            "2016-06-01",
            f"{FAN} 6 earlier ratings since 2014; favourite genres: Drama, Comedy, Action; mean rating 7.2/10",
        ),
    ]


def test_movielens_keeps_user_features_and_adds_the_history_part():
    t = templates_for("movielens")
    history = {"history_count": 12, "active_since": 2000, "favourites": ["Drama", "War"], "mean_rating": 3.5}
    assert render_profile(t, {"gender": "female", "age": "25-34", "occupation": "writer"}, history) == (
        "Gender: female; Age: 25-34; Occupation: writer. "
        "12 earlier ratings since 2000; favourite genres: Drama, War; mean rating 3.5/5"
    )
    assert render_profile(t, {}, {"history_count": 4, "active_since": 1999}) == (
        "A movie viewer with no profile information. 4 earlier ratings since 1999"
    )
    assert render_profile(t, {"gender": "male"}, {}) == "Gender: male"
    mind = templates_for("mind")
    assert render_profile(mind, None, {"history_count": 5, "active_since": 2019, "favourites": ["news"]}) == (
        "A reader of an online news feed. 5 earlier clicks since 2019; favourite categories: news"
    )
    books = templates_for("goodbooks")
    assert render_profile(books, None, {"history_count": 5, "active_since": 1970, "mean_rating": 4.0}) == (
        "A reader who rates books online. 5 earlier ratings; mean rating 4/5"
    )


def test_templates_stored_before_profile_history_get_it_from_their_format():
    stored = templates_for("movietweetings")
    del stored["profile_history"]
    stored["profile"]["empty"] = "Custom."
    upgraded = current_templates(stored, "movietweetings")
    assert upgraded["profile"]["empty"] == "Custom."
    assert upgraded["profile_history"] == templates_for("movietweetings")["profile_history"]
    assert current_templates(None, "amazon") == templates_for("amazon")


def test_mean_before_skips_missing_values():
    values = np.array([8.0, np.nan, 6.0, 1.0])
    lo, hi = np.array([0, 0, 1, 3]), np.array([3, 0, 2, 4])
    got = mean_before(values, lo, hi)
    assert got[0] == 7.0 and np.isnan(got[1]) and np.isnan(got[2]) and got[3] == 1.0


def test_top_labels_ties_are_alphabetical_and_chunking_changes_nothing(monkeypatch):
    matrix, vocab = label_matrix(np.array([0, 0, 1, 2, 2, 3]), ["b", "a", "b", "c", "c", "a"], 4)
    assert vocab.tolist() == ["a", "b", "c"] and matrix.toarray().tolist() == [
        [1, 1, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 0, 0],
    ]
    item = np.array([0, 1, 2, 3, 2, 1])
    lo, hi = np.array([0, 0, 2, 1, 3]), np.array([2, 6, 4, 1, 4])
    whole = top_labels(item, lo, hi, matrix, vocab, 2)
    assert whole == [["b", "a"], ["b", "a"], ["a", "c"], [], ["a"]]  # b 3, a 2 = c 2 (alphabetical)
    monkeypatch.setattr(profile_history, "NNZ_CHUNK", 1)
    assert top_labels(item, lo, hi, matrix, vocab, 2) == whole
