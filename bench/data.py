"""The one generator of benchmark data: seeded (the same seed, the same data), bulk written; every bench builds with it.

- ratings(): a MovieLens-like dataset as arrays (Pareto user activity, Zipf item popularity, unique user-item pairs,
  three years of timestamps, 1-5 ratings), written as unified CSV files (write_unified: bench_ingest) or straight
  into the tables (insert_ratings: bench_scenes);
- workspace(): scenes of two datasets with strong and weak rationales and their predictions (bench_score,
  bench_app, bench_cli; without rationales: bench_rationales), then finish(): scores, a selection, a few reviews;
- reference_workdir(): the reference pipeline's working directory of JSON lines (bench_import);
- eval_runs(): finished evaluation runs over the eval scenes of a workspace (bench_eval).
"""

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from storage.constants import LETTERS, ROLES, letter

GENRES = ("Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi", "Thriller", "Documentary", "War", "Western")
AGES = ("under 18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+")
WORDS = ("night", "river", "city", "love", "war", "dream", "ghost", "king", "summer", "blood", "star", "road")
START = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
SPAN = 3 * 365 * 86_400


@dataclass
class Ratings:
    """A rating dataset by index: user k, item k, and one row per interaction."""

    users: int
    items: int
    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray
    rating: np.ndarray
    year: np.ndarray  # release year per item

    def item_title(self, i: int) -> str:
        return f"The {WORDS[i % 12]} {WORDS[(i // 12) % 12]} {i} ({self.year[i]})"

    def item_genres(self, i: int) -> list[str]:
        return [GENRES[i % 10], GENRES[(i * 7) % 10]]

    @staticmethod
    def user_features(u: int) -> dict:
        return {"gender": ("female", "male")[u % 2], "age": AGES[u % 7]}


def ratings(*, users: int, items: int, interactions: int, seed: int = 0) -> Ratings:
    """Unique user-item pairs drawn by user activity (Pareto) and item popularity (Zipf), at random times."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, items + 1) ** 0.9
    popularity /= popularity.sum()
    activity = rng.pareto(1.2, users) + 1.0
    activity /= activity.sum()
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < interactions:
        need = int((interactions - len(keys)) * 1.3) + 1000
        pairs = rng.choice(users, need, p=activity).astype(np.int64) * items + rng.choice(items, need, p=popularity)
        keys = np.unique(np.concatenate([keys, pairs]))
    keys = rng.permutation(keys)[:interactions]
    stamps = START + rng.integers(0, SPAN, interactions)
    return Ratings(
        users=users,
        items=items,
        user=keys // items,
        item=keys % items,
        timestamp=stamps,
        rating=rng.integers(1, 6, interactions),
        year=rng.integers(1930, 2003, items),
    )


def write_unified(root: Path, data: Ratings) -> None:
    """users.csv, items.csv and interactions.csv in the unified form (ids u0.., i0..; genres joined by '|')."""
    root.mkdir(parents=True, exist_ok=True)
    features = [Ratings.user_features(u) for u in range(data.users)]
    pd.DataFrame({"user_id": [f"u{u}" for u in range(data.users)], **pd.DataFrame(features).to_dict("list")}).to_csv(
        root / "users.csv", index=False
    )
    pd.DataFrame(
        {
            "item_id": [f"i{i}" for i in range(data.items)],
            "title": [data.item_title(i) for i in range(data.items)],
            "year": data.year,
            "genre": ["|".join(data.item_genres(i)) for i in range(data.items)],
        }
    ).to_csv(root / "items.csv", index=False)
    pd.DataFrame(
        {
            "user_id": np.char.add("u", data.user.astype(str)),
            "item_id": np.char.add("i", data.item.astype(str)),
            "timestamp": data.timestamp,
            "rating": data.rating,
        }
    ).to_csv(root / "interactions.csv", index=False)


def _dataset(conn, *, dataset_id: int | None, name: str, fmt: str) -> int:
    """A dataset row; its id."""
    from sqlalchemy import insert

    from storage.models import Dataset, utcnow

    values = {"name": name, "format": fmt, "options": {}, "created_at": utcnow()}
    if dataset_id is not None:
        values["id"] = dataset_id
    return int(conn.execute(insert(Dataset).values(**values)).inserted_primary_key[0])


def insert_ratings(db: str, data: Ratings, *, name: str = "bench") -> None:
    """The dataset straight into the tables, as the movielens adapter would store it (any backend)."""
    from storage import bulk
    from storage.db import bulk_transaction, get_engine

    with bulk_transaction(engine=get_engine(db)) as conn:
        ds = _dataset(conn, dataset_id=None, name=name, fmt="movielens")
        with bulk.id_block(conn=conn, tables=("user", "item", "interaction"), large=True) as ids:
            users, items = ids.take("user", data.users), ids.take("item", data.items)
            first = ids.take("interaction", len(data.user))
            bulk.write_users(
                conn=conn,
                rows=((users + u, ds, str(u), json.dumps(Ratings.user_features(u))) for u in range(data.users)),
            )
            bulk.write_items(
                conn=conn,
                rows=(
                    (items + i, ds, str(i), data.item_title(i),
                     int(datetime(int(data.year[i]), 1, 1, tzinfo=UTC).timestamp()),
                     json.dumps({"genres": data.item_genres(i), "year": int(data.year[i])}))
                    for i in range(data.items)
                ),
            )  # fmt: skip
            rows = zip(
                data.user.tolist(), data.item.tolist(), data.timestamp.tolist(), data.rating.tolist(), strict=True
            )
            bulk.write_interactions(
                conn=conn,
                rows=(
                    (first + k, ds, users + u, items + i, t, f'{{"rating": {r}}}', None)
                    for k, (u, i, t, r) in enumerate(rows)
                ),
            )


# The rationale every generated one is a copy of, with its sampled letter.
RATIONALE = (
    "Stimulus: I had a free evening and felt curious. [curiosity]\n"
    "Knowledge: option {L} matches the dramas I rated highly. [personal relevance, past experience]\n"
    "Evaluation: it fits my taste best. [logical]\nBehavior: [{L}]"
)
DATASETS = ("bench-a", "bench-b")
USERS, ITEMS = 2_500, 5_000  # per dataset
CHUNK = 5_000  # scenes per insert batch


def workspace(
    db: str,
    *,
    scenes: int,
    rationales: int = 10,
    options: tuple[int, int] = (2, 12),
    history: int = 3,
    seed: int = 0,
) -> None:
    """Scenes over two datasets (every 10th an eval scene; options lengths uniform in `options`, the true item
    anywhere) with `rationales` strong and weak rationales each and their predictions: the strong ones' Dirichlet
    distributions lean to the true item more than the weak ones', behaviours are sampled from them. Written through
    storage.bulk, so db may be a SQLite file or a PostgreSQL URL."""
    from storage import bulk
    from storage.db import bulk_transaction, get_engine

    rng = np.random.default_rng(seed)
    engine = get_engine(db)
    with bulk_transaction(engine=engine) as conn:
        for d, name in enumerate(DATASETS):
            _dataset(conn, dataset_id=d + 1, name=name, fmt="unified")
        with bulk.id_block(conn=conn, tables=("dataset", "user", "item"), large=True):
            for d in range(len(DATASETS)):
                age, genres = '{"age": "25-34"}', '{"genres": ["Drama"]}'
                bulk.write_users(conn=conn, rows=[(d * USERS + u + 1, d + 1, f"u{u}", age) for u in range(USERS)])
                items = [(d * ITEMS + i + 1, d + 1, f"i{i}", f"Movie {i}", None, genres) for i in range(ITEMS)]
                bulk.write_items(conn=conn, rows=items)
    rid = 0
    for start in range(0, scenes, CHUNK):
        ids = np.arange(start + 1, min(scenes, start + CHUNK) + 1)
        dataset = rng.integers(0, len(DATASETS), ids.size)
        count = rng.integers(options[0], options[1] + 1, ids.size)
        pos = (rng.random(ids.size) * count).astype(np.int64)
        first = rng.integers(0, ITEMS, ids.size)
        with bulk_transaction(engine=engine, foreign_keys=False) as conn:
            now = bulk.stamp(conn)
            scene_rows, rationale_rows, prediction_rows = [], [], []
            drawn = zip(ids.tolist(), dataset.tolist(), count.tolist(), pos.tolist(), first.tolist(), strict=True)
            for sid, d, c, p, f in drawn:
                exposure = [d * ITEMS + (f + 7 * k) % ITEMS + 1 for k in range(c)]
                scene_rows.append(
                    (sid, d + 1, d * USERS + sid % USERS + 1, exposure[p], None, 1_700_000_000 + sid,
                     "eval" if sid % 10 == 0 else "train", f"A user aged 25-34, number {sid}.",
                     json.dumps([f"Watched Movie {(sid + k) % ITEMS}, rated 4" for k in range(history)]),
                     json.dumps(exposure[:history]), json.dumps(exposure),
                     json.dumps([f"Movie {x - d * ITEMS - 1} (Drama, 1999)" for x in exposure]),
                     json.dumps(["random"] * c), p, c, 0, "native", "studio", None, now)
                )  # fmt: skip
                for r, role in enumerate(ROLES if rationales else ()):
                    alpha = np.full(c, 0.5)
                    alpha[p] += 3.0 if r == 0 else 0.5
                    probs = rng.dirichlet(alpha, rationales)
                    sampled = (probs.cumsum(axis=1) < rng.random((rationales, 1))).sum(axis=1).clip(0, c - 1)
                    for j in range(rationales):
                        rid += 1
                        chosen = letter(int(sampled[j]))
                        text = RATIONALE.replace("{L}", chosen)
                        rationale_rows.append(
                            (rid, sid, role, j, "m", text, None, None, None, None, None, None, chosen, "[]", "bench",
                             1, "native", now, now)
                        )  # fmt: skip
                        prediction_rows.append(
                            (rid, rid, sid, role, 1, probs[j].tobytes(), False, int(sampled[j]), "bench", "m", now)
                        )
            with bulk.id_block(conn=conn, tables=("scene", "rationale", "prediction"), large=True):
                bulk.write_scenes(conn=conn, rows=scene_rows)
                bulk.write_rationales(conn=conn, rows=rationale_rows)
                bulk.write_predictions(conn=conn, rows=prediction_rows)


def finish(db: str, *, target: int = 10_000, reviews: int = 20) -> None:
    """Scores, a selection named "bench" of `target` scenes, and verdicts on its first `reviews` scenes."""
    from core.review import set_review
    from core.scoring import score
    from core.selection import SelectionConfig, save_selection
    from storage.db import get_engine, session_scope

    engine = get_engine(db)
    score(engine=engine)
    result = save_selection(engine=engine, config=SelectionConfig(name="bench", target=target))
    with session_scope(engine) as session:
        for k, scene_id in enumerate(result.kept["scene_id"].head(reviews).tolist()):
            status = "approved" if k % 4 else "rejected"
            set_review(session=session, scene_id=int(scene_id), status=status, reviewer="bench")


STIMULI = ("Boredom", "Curiosity", "Time of Day", "Emotional State", "Day of Week", "Inspiration", "Social Factors")
KNOWLEDGE = ("Price", "Quality", "Novelty", "Personal Relevance", "Past Experience", "Rating Score", "Emotional Appeal")
STYLES = ("Logical", "Intuitive", "Impulsive", "Habitual")


def _decision(rng: random.Random, row: int, k: int, n: int) -> str:
    """A decision in the reference output format (about 500 characters)."""
    stim = ", ".join(rng.sample(STIMULI, rng.randint(1, 3)))
    know = ", ".join(rng.sample(KNOWLEDGE, rng.randint(2, 4)))
    pick = LETTERS[rng.randrange(n)]
    return (
        f"Thought:\nStimulus: It is evening and after scene {row} I want something to fill an hour ({k}); "
        f"I feel like trying a film that matches my mood.\nStimulus Factors: {stim}\n"
        f"Knowledge: Option {pick} looks like the {rng.choice(GENRES).lower()} films I rated highly, "
        f"while the others seem long or unfamiliar.\nKnowledge Factors: {know}\n"
        f"Evaluation: {pick} fits my taste and my history, so I choose it.\n"
        f"Evaluation Style: {rng.choice(STYLES)}\nBehavior: [{pick}]"
    )


def reference_workdir(root: Path, *, name: str, scenes: int, n: int, seed: int = 0) -> int:
    """datasets/, decisions/ and probs/ files of the reference layout for dataset `name`; the bytes written."""
    rng = random.Random(seed)
    for sub in ("datasets", "decisions", "probs"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    sizes = [rng.randint(2, 12) for _ in range(scenes)]
    items = [rng.randrange(4000) for _ in range(scenes)]
    with (root / "datasets" / f"{name}_train.jsonl").open("w") as out:
        for row, size in enumerate(sizes):
            options = [f"Title: Film {rng.randrange(50_000)}, Genres: {rng.choice(GENRES)}" for _ in range(size)]
            past = "\n".join(f"Watched Film {rng.randrange(50_000)} and rated it {rng.randint(1, 5)}" for _ in range(5))
            text = {
                "profile": f"Gender: F, Age: 25-34, Occupation: writer (user {row % 6000})",
                "history": past,
                "action_list": options,
            }
            line = {"text": text, "user_id": row % 6000, "item_id": items[row], "timestamp": 978300760000}
            line |= {"item_pos": rng.randrange(size), "choice_cnt": size, "dataset": name}
            out.write(json.dumps(line) + "\n")
    for role in ROLES:
        with (
            (root / "decisions" / f"{name}_decisions_{role}.jsonl").open("w") as dec,
            (root / "probs" / f"{name}_probs_{role}.jsonl").open("w") as prob,
        ):
            for row, size in enumerate(sizes):
                texts = [_decision(rng, row, k, size) for k in range(n)]
                choices = [{"index": k, "message": {"role": "assistant", "content": t}} for k, t in enumerate(texts)]
                body = {"model": f"{role}-model", "choices": choices}
                dec.write(json.dumps({"custom_id": f"{name}-{row}", "response": {"status_code": 200, "body": body}}))
                dec.write("\n")
                dists = []
                for _ in range(n):
                    w = [rng.random() + 1e-3 for _ in range(size)]
                    total = sum(w)
                    dists.append({LETTERS[j]: w[j] / total for j in range(size)})
                decision_list = [t.split("Behavior:")[0].strip() for t in texts]
                line = {"user_id": row % 6000, "item_id": items[row], "decision_list": decision_list, "choice": dists}
                prob.write(json.dumps(line) + "\n")
    return sum(p.stat().st_size for p in root.rglob("*.jsonl"))


def eval_runs(db: str, *, runs: int, scenes: int, repeat: int = 3, seed: int = 0) -> None:
    """A workspace with `scenes` eval scenes (workspace(), no rationales) and `runs` finished evaluation runs over all
    of them (`repeat` rows per scene: Dirichlet distributions leaning to the truth by a run-specific strength, seeded
    behaviours), each with its summary and details computed as `evaluate` stores them (any backend)."""
    from sqlalchemy import insert, text

    from core.evaluation.summary import refresh_summary
    from core.seeded_draws import draw_options
    from storage import bulk
    from storage.db import bulk_transaction, get_engine, session_scope
    from storage.evaluations import get_eval_run
    from storage.models import EvalRun, utcnow

    workspace(db, scenes=scenes * 10, rationales=0)
    rng = np.random.default_rng(seed)
    engine = get_engine(db)
    columns = ("eval_run_id", "scene_id", "repeat", "probs", "behavior", "estimated", "created_at")
    with bulk_transaction(engine=engine) as conn:
        facts = conn.execute(text("SELECT id, choice_cnt, item_pos FROM scene WHERE split = 'eval' ORDER BY id")).all()
        ids, count, pos = (np.array(column, dtype=np.int64) for column in zip(*facts, strict=True))
        now = bulk.stamp(conn)
        for k in range(runs):
            mode = ("direct", "thought")[k % 2]
            config = {"mode": mode, "endpoint": f"model-{k}", "model": f"m{k}", "split": "eval", "repeat": repeat}
            row = {"name": f"run-{k:02d}", "mode": mode, "endpoint": f"model-{k}", "model": f"m{k}", "config": config}
            run_id = int(conn.execute(insert(EvalRun).values(**row, created_at=utcnow())).inserted_primary_key[0])
            probs = np.zeros((len(ids), int(count.max())))
            for i, (c, p) in enumerate(zip(count.tolist(), pos.tolist(), strict=True)):
                alpha = np.full(c, 0.5)
                alpha[p] += 0.2 * k
                probs[i, :c] = rng.dirichlet(alpha)
            for r in range(repeat):
                behavior = draw_options(probs, count, seed=seed, keys=(ids, np.full(len(ids), r)))
                rows = [
                    (run_id, s, r, probs[i, : count[i]].tobytes(), int(behavior[i]), False, now)
                    for i, s in enumerate(ids.tolist())
                ]
                bulk.write_rows(conn=conn, table="evalrow", rows=rows, columns=columns)
    for k in range(runs):
        with session_scope(engine) as session:
            run = get_eval_run(session=session, name=f"run-{k:02d}")
        refresh_summary(engine=engine, run=run)
