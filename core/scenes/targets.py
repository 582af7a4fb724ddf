"""Eligible targets and their histories, vectorised over a dataset's interactions."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

MIN_EARLIER = 3  # a target needs at least this many earlier interactions by the same user


@dataclass
class Timeline:
    """Interactions sorted by (user, time, id) with user/item indices and the count of strictly earlier ones."""

    ids: np.ndarray
    user_id: np.ndarray
    item_id: np.ndarray
    ts: np.ndarray
    has_impressions: np.ndarray
    user: np.ndarray  # user index 0..n_users-1
    item: np.ndarray  # item index into the items frame
    n_before: np.ndarray  # interactions of the same user strictly before this one's time
    n_users: int

    def user_items(self, n_items: int) -> sp.csr_matrix:
        """Users x items, 1 where the user ever interacted with the item."""
        matrix = sp.csr_matrix(
            (np.ones(len(self.ids), dtype=np.float32), (self.user, self.item)), shape=(self.n_users, n_items)
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        return matrix


def build_timeline(interactions: pd.DataFrame, item_ids: np.ndarray) -> Timeline:
    """Sort interactions and compute, per interaction, how many of the user's interactions are strictly earlier."""
    ids = interactions["id"].to_numpy(np.int64)
    user_id = interactions["user_id"].to_numpy(np.int64)
    ts = interactions["timestamp"].to_numpy(np.int64)
    order = np.lexsort((ids, ts, user_id))
    ids, user_id, ts = ids[order], user_id[order], ts[order]
    item_id = interactions["item_id"].to_numpy(np.int64)[order]
    n = len(ids)
    new_user = np.ones(n, dtype=bool)
    new_user[1:] = user_id[1:] != user_id[:-1]
    user = np.cumsum(new_user) - 1  # user index in sorted order
    new_time = new_user.copy()
    new_time[1:] |= ts[1:] != ts[:-1]
    positions = np.arange(n)
    user_start = np.maximum.accumulate(np.where(new_user, positions, 0))
    time_start = np.maximum.accumulate(np.where(new_time, positions, 0))
    return Timeline(
        ids=ids,
        user_id=user_id,
        item_id=item_id,
        ts=ts,
        has_impressions=interactions["has_impressions"].to_numpy(bool)[order],
        user=user.astype(np.int64),
        item=np.searchsorted(item_ids, item_id).astype(np.int64),
        n_before=time_start - user_start,
        n_users=int(user.max()) + 1 if n else 0,
    )


def eligible_positions(timeline: Timeline, used_ids: np.ndarray, min_earlier: int = MIN_EARLIER) -> np.ndarray:
    """Positions (into the timeline) of interactions that may become a new scene's target."""
    ok = (timeline.n_before >= min_earlier) & ~np.isin(timeline.ids, used_ids)
    return np.flatnonzero(ok)


def draw_history(
    timeline: Timeline, positions: np.ndarray, rng: np.random.Generator, k_min: int, k_max: int
) -> tuple[np.ndarray, np.ndarray]:
    """(hist, drawn): hist (n, k_max) = timeline positions of each target's last k earlier interactions, oldest
    first, -1 padded, where k = min(drawn, earlier interactions) and drawn is uniform in [k_min, k_max]."""
    drawn = rng.integers(k_min, k_max + 1, size=len(positions))
    k = np.minimum(drawn, timeline.n_before[positions])
    first_same_time = user_start(timeline, positions) + timeline.n_before[positions]
    cols = np.arange(k_max)[None, :]
    hist = (first_same_time - k)[:, None] + cols
    return np.where(cols < k[:, None], hist, -1), drawn


def history_positions(
    timeline: Timeline, positions: np.ndarray, rng: np.random.Generator, k_min: int, k_max: int
) -> np.ndarray:
    """draw_history's positions only."""
    return draw_history(timeline, positions, rng, k_min, k_max)[0]


def user_start(timeline: Timeline, positions: np.ndarray) -> np.ndarray:
    """Timeline position of the first interaction of each position's user."""
    starts = np.flatnonzero(np.r_[True, timeline.user[1:] != timeline.user[:-1]])
    return starts[np.searchsorted(starts, positions, side="right") - 1]
