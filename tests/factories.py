"""Test factories: rows built straight through the tables, so each layer's tests stand alone."""

import subprocess
import sys

import numpy as np
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from storage.constants import LETTERS
from storage.models import Dataset, Interaction, Item, Prediction, Rationale, RationaleVersion, Scene, User


def stored_rows(engine: Engine, sql: str, **params) -> list[tuple]:
    """Rows of a raw query with JSON columns as the stored text on both backends (psycopg would parse them)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            from psycopg.types.string import TextLoader

            conn.connection.driver_connection.adapters.register_loader("json", TextLoader)
        try:
            return [tuple(r) for r in conn.execute(text(sql), params).all()]
        finally:
            conn.invalidate()  # the loader stays on that connection: never hand it back to the pool


def make_dataset(session: Session, *, name: str = "toy", n_users: int = 3, n_items: int = 20) -> Dataset:
    """A dataset with users u0.., items i0.. and no interactions."""
    ds = Dataset(name=name, format="unified")
    session.add(ds)
    session.flush()
    session.add_all(User(dataset_id=ds.id, external_id=f"u{k}", features={"age": 20 + k}) for k in range(n_users))
    session.add_all(
        Item(dataset_id=ds.id, external_id=f"i{k}", title=f"Item {k}", features={"genre": "drama"})
        for k in range(n_items)
    )
    session.commit()
    return ds


def make_scene(
    session: Session,
    *,
    dataset: Dataset,
    choice_cnt: int = 4,
    item_pos: int = 0,
    split: str = "train",
    user_index: int = 0,
    timestamp: int = 1_700_000_000,
    profile: str = "A user.",
) -> Scene:
    """A scene over the dataset's first items; the true item sits at item_pos."""
    users = session.exec(select(User).where(User.dataset_id == dataset.id).order_by(User.id)).all()
    items = session.exec(select(Item).where(Item.dataset_id == dataset.id).order_by(Item.id)).all()
    user_id = users[user_index].id
    item_ids = [row.id for row in items[:choice_cnt]]
    inter = Interaction(dataset_id=dataset.id, user_id=user_id, item_id=item_ids[item_pos], timestamp=timestamp)
    session.add(inter)
    session.flush()
    scene = Scene(
        dataset_id=dataset.id,
        user_id=user_id,
        item_id=item_ids[item_pos],
        interaction_id=inter.id,
        timestamp=timestamp,
        split=split,
        profile=profile,
        history=["Watched Item 9"],
        history_item_ids=[items[9].id],
        exposure_item_ids=item_ids,
        options=[f"Item {k}" for k in range(choice_cnt)],
        option_sources=["target" if k == item_pos else "random" for k in range(choice_cnt)],
        item_pos=item_pos,
        choice_cnt=choice_cnt,
        seed=0,
    )
    session.add(scene)
    session.commit()
    return scene


def make_rationale(
    session: Session,
    *,
    scene: Scene,
    role: str,
    sample_index: int,
    behavior: str = "A",
    probs: list[float] | None = None,
    behavior_index: int | None = None,
    text: str | None = None,
) -> Rationale:
    """A rationale (version 1) and, when probs is given, its prediction."""
    body = text or f"{role} rationale {sample_index}.\nBehavior: [{behavior}]"
    rat = Rationale(
        scene_id=scene.id,
        role=role,
        sample_index=sample_index,
        endpoint="test",
        model="m",
        text=body,
        behavior=behavior,
        problems=[],
    )
    session.add(rat)
    session.flush()
    session.add(RationaleVersion(rationale_id=rat.id, version=1, text=body, author="m"))
    if probs is not None:
        idx = behavior_index if behavior_index is not None else int(np.argmax(probs))
        session.add(
            Prediction(
                rationale_id=rat.id,
                scene_id=scene.id,
                role=role,
                probs=np.asarray(probs, dtype=np.float64).tobytes(),
                behavior_index=idx,
            )
        )
    session.commit()
    return rat


def make_workspace(
    session: Session, *, n_scenes: int = 8, name: str = "toy", profile: str | None = None, selection: str = "sel"
) -> list[Scene]:
    """A scored workspace: n scenes (lengths 3/4), 2 strong + 2 weak predicted rationales each, a selection.

    Scene k: strong right (peak 0.6 + 0.04 k) when k % 4 != 3, weak right (peak 0.5) when k % 4 == 0; the
    selection holds the scenes with strong right and weak wrong (k % 4 in {1, 2}),
    chosen = strong #0, rejected = weak #0.
    """
    from core.scoring import score
    from storage.models import Selection, SelectionItem

    ds = make_dataset(session, name=name)
    scenes, items = [], []
    for k in range(n_scenes):
        cnt = 3 + k % 2
        pos = k % cnt
        scene = make_scene(
            session,
            dataset=ds,
            choice_cnt=cnt,
            item_pos=pos,
            user_index=k % 3,
            timestamp=1_700_000_000 + k,
            profile=profile or f"User {k} likes drama.",
        )
        rats = {}
        for role, right in (("strong", k % 4 != 3), ("weak", k % 4 == 0)):
            pick = pos if right else (pos + 1) % cnt
            peak = 0.6 + 0.04 * k if role == "strong" else 0.5
            probs = [(1 - peak) / (cnt - 1)] * cnt
            probs[pick] = peak
            for j in range(2):
                rats[role, j] = make_rationale(
                    session, scene=scene, role=role, sample_index=j, behavior=LETTERS[pick], probs=probs
                )
        if k % 4 in (1, 2):
            items.append((scene.id, rats["strong", 0].id, rats["weak", 0].id))
        scenes.append(scene)
    score(engine=session.get_bind())
    sel = Selection(name=selection, config={"column": "diff_model"}, report={})
    session.add(sel)
    session.flush()
    session.add_all(
        SelectionItem(selection_id=sel.id, scene_id=s, chosen_rationale_id=c, rejected_rationale_id=r, rank=i)
        for i, (s, c, r) in enumerate(items)
    )
    session.commit()
    return scenes


def make_interaction_dataset(
    session: Session,
    *,
    name: str = "synth",
    fmt: str = "movielens",
    n_users: int = 30,
    n_items: int = 80,
    per_user: tuple[int, int] = (4, 25),
    seed: int = 0,
    release_share: float = 0.3,
    impression_share: float = 0.0,
) -> Dataset:
    """A random dataset bulk-inserted straight into the tables: users with features, items (some with
    release_ts), interactions with tied timestamps, and impressions (internal item ids) on a share of them."""
    from sqlalchemy import insert

    rng = np.random.default_rng(seed)
    ds = Dataset(name=name, format=fmt)
    session.add(ds)
    session.flush()
    genders = ["female", "male"]
    session.execute(
        insert(User),
        [
            {"dataset_id": ds.id, "external_id": f"u{k}", "features": {"gender": genders[k % 2], "age": "25-34"}}
            for k in range(n_users)
        ],
    )
    t0 = 1_000_000_000
    release = rng.integers(t0, t0 + 2_000_000, size=n_items)
    session.execute(
        insert(Item),
        [
            {
                "dataset_id": ds.id,
                "external_id": f"i{k}",
                "title": f"Item {k} {['space', 'love', 'war', 'crime'][k % 4]} story",
                "release_ts": int(release[k]) if rng.random() < release_share else None,
                "features": {"genres": [["Sci-Fi"], ["Romance"], ["War"], ["Crime", "Drama"]][k % 4], "year": 1990},
            }
            for k in range(n_items)
        ],
    )
    user_ids = [u.id for u in session.exec(select(User).where(User.dataset_id == ds.id).order_by(User.id))]
    item_ids = [i.id for i in session.exec(select(Item).where(Item.dataset_id == ds.id).order_by(Item.id))]
    rows = []
    for uid in user_ids:
        n = int(rng.integers(per_user[0], per_user[1] + 1))
        chosen = rng.choice(n_items, size=min(n, n_items), replace=False)
        times = t0 + rng.integers(0, 200, size=len(chosen)) * 10_000  # coarse clock: ties happen
        for item, ts in zip(chosen.tolist(), times.tolist(), strict=True):
            impressions = None
            if rng.random() < impression_share:
                shown = rng.choice(n_items, size=int(rng.integers(3, 20)), replace=False).tolist()
                impressions = [item_ids[j] for j in shown if j != item]
                impressions.insert(int(rng.integers(0, len(impressions) + 1)), item_ids[item])
            rows.append(
                {
                    "dataset_id": ds.id,
                    "user_id": uid,
                    "item_id": item_ids[item],
                    "timestamp": int(ts),
                    "features": {"rating": int(rng.integers(1, 6))},
                    "impressions": impressions,
                }
            )
    session.execute(insert(Interaction), rows)
    session.commit()
    return ds


# A well-formed rationale answer (every field, behavior letter {letter}); the fake LLM servers reply with it.
GOOD_RATIONALE = """Stimulus: I am bored tonight.
Stimulus factors: boredom, time of day
Knowledge: B looks like the comedies I love.
Knowledge factors: personal relevance, past experience
Evaluation: I go with my habit.
Evaluation style: habitual
Behavior: [{letter}]"""


def make_eval_workspace(session: Session, *, n_eval: int = 8, baselines: tuple[str, ...] = ("random", "position")):
    """Eval scenes (3 and 4 options, truth at k % options) and 4 train scenes of dataset "toy", and one finished
    evaluation run (2 repeats) per baseline named after it; returns the eval scene ids."""
    from core.evaluation.runs import evaluate

    ds = make_dataset(session, name="toy")
    for k in range(4):
        make_scene(session, dataset=ds, choice_cnt=3 + k % 2, item_pos=0, timestamp=1_600_000_000 + k)
    ids = []
    for k in range(n_eval):
        cnt = 3 + k % 2
        scene = make_scene(
            session, dataset=ds, choice_cnt=cnt, item_pos=k % cnt, split="eval", timestamp=1_700_000_000 + k
        )
        ids.append(scene.id)
    for name in baselines:
        evaluate(engine=session.get_bind(), baseline=name, repeat=2)
    return ids


def dead_pid() -> int:
    """The pid of a process that has just exited (a killed run's pid)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def wait_for_demo_run(engine, until, timeout: float = 120.0):
    """Poll the latest demo build's run record until until(run) holds (a process of its own writes it)."""
    import time

    from core.choices import DEMO_RUN
    from storage.runs import latest_run

    deadline = time.monotonic() + timeout
    while True:
        with Session(engine) as session:
            run = latest_run(session=session, kind=DEMO_RUN)
        if run is not None and until(run):
            return run
        assert time.monotonic() < deadline, f"the demo build did not get there: {run}"
        time.sleep(0.2)
