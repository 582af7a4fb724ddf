"""Non-LLM baselines (issue 10): a distribution over each scene's options without reading any text.

- random: uniform over the options;
- popularity: proportional to each option's count among the training interactions of its dataset strictly before
  the scene's time — every interaction but the held-out targets of eval scenes (uniform when no option has one);
- position: the frequency of the true item's position among the train scenes of the same dataset and option count
  (uniform when there is none).

They make biases visible: a simulator that does not beat popularity is not simulating preferences.
"""

import numpy as np
import pandas as pd
from sqlmodel import Session

from storage.evaluations import item_times, position_counts


def _uniform(n: int) -> np.ndarray:
    return np.full(n, 1.0 / n)


def _proportional(weights: np.ndarray) -> np.ndarray:
    total = weights.sum()
    return weights / total if total > 0 else _uniform(len(weights))


def counts_before(items: np.ndarray, times: np.ndarray, query_items: np.ndarray, query_times: np.ndarray) -> np.ndarray:
    """For each query (item, time): how many of the (items, times) events are that item strictly before that time.

    One sort and two binary searches: events are keyed item × (distinct times + 1) + rank of their time.
    """
    distinct = np.unique(times)
    span = len(distinct) + 1
    keys = np.sort(items.astype(np.int64) * span + np.searchsorted(distinct, times))
    base = query_items.astype(np.int64) * span
    before = np.searchsorted(distinct, query_times, side="left")  # distinct times < t
    return np.searchsorted(keys, base + before, side="left") - np.searchsorted(keys, base, side="left")


def _popularity(session: Session, scenes: list[dict]) -> list[np.ndarray]:
    out: list[np.ndarray | None] = [None] * len(scenes)
    frame = pd.DataFrame({"dataset_id": [s["dataset_id"] for s in scenes]})
    for dataset_id, group in frame.groupby("dataset_id").groups.items():
        items, times = item_times(session=session, dataset_id=int(dataset_id))
        index = list(group)
        options = [np.asarray(scenes[i]["exposure_item_ids"], dtype=np.int64) for i in index]
        lengths = np.array([len(o) for o in options])
        query_times = np.repeat([scenes[i]["timestamp"] for i in index], lengths)
        counts = counts_before(items, times, np.concatenate(options), query_times).astype(np.float64)
        for i, part in zip(index, np.split(counts, np.cumsum(lengths)[:-1]), strict=True):
            out[i] = _proportional(part)
    return out  # type: ignore[return-value]


def _position(session: Session, scenes: list[dict]) -> list[np.ndarray]:
    counts = position_counts(session=session, split="train")
    table: dict[tuple[int, int], np.ndarray] = {}
    for (dataset_id, n), group in counts.groupby(["dataset_id", "choice_cnt"]):
        weights = np.zeros(int(n))
        weights[group["item_pos"].to_numpy(np.int64)] = group["scenes"].to_numpy(np.float64)
        table[int(dataset_id), int(n)] = _proportional(weights)
    return [table.get((s["dataset_id"], s["choice_cnt"]), _uniform(s["choice_cnt"])) for s in scenes]


def baseline_distributions(*, session: Session, name: str, scenes: list[dict]) -> list[np.ndarray]:
    """One distribution per scene (storage.evaluations.eval_scenes rows) for the named baseline."""
    if name == "random":
        return [_uniform(s["choice_cnt"]) for s in scenes]
    if name == "popularity":
        return _popularity(session, scenes)
    if name == "position":
        return _position(session, scenes)
    raise ValueError(f"unknown baseline {name!r}")
