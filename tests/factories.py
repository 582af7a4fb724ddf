"""Test factories: rows built straight through the tables, so each layer's tests stand alone."""

import string

import numpy as np
from sqlmodel import Session, select

from storage.models import Dataset, Interaction, Item, Prediction, Rationale, RationaleVersion, Scene, User

LETTERS = string.ascii_uppercase


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
