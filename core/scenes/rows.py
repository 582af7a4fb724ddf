"""Scene rows: rendered profile, history and options for each built target, ready for one bulk insert.

The text follows the build's prompt style: `reference` renders the reference's per-dataset layout
(core/scenes/reference_text.py), `studio` the dataset's stored templates (core/templates.py, core/scenes/render.py).
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlmodel import Session

from core.progress import Progress
from core.scenes.exposure import Exposure
from core.scenes.profile_history import history_values
from core.scenes.reference_text import MIND_STATIC_HISTORY, ReferenceRenderer
from core.scenes.render import Renderer, render_profile
from core.scenes.targets import Timeline
from storage import scenes as store
from storage.constants import REFERENCE
from storage.models import Dataset, utcnow

# (profile, history entries, history item ids, option texts) of one scene
Texts = tuple[str, list[str], list[int], list[str]]


@dataclass
class Built:
    """One target with its drawn history and exposure, ready to render."""

    position: int  # timeline position of the target interaction
    history: np.ndarray  # timeline positions of its history, oldest first, -1 padded
    exposure: Exposure | None  # None: too few options (the target is skipped)
    drawn: int  # the history length drawn (the reference's MIND history fills it up from the user's reading log)


@dataclass(frozen=True)
class SceneSource:
    """One scene build's inputs: the dataset with its templates, items and interaction timeline, the build's split,
    seed and prompt style, where progress goes and `lap(phase)`, which times the build's phases."""

    session: Session
    dataset: Dataset
    templates: dict
    items: pd.DataFrame
    timeline: Timeline
    split: str
    seed: int
    progress: Progress
    lap: Callable[[str], None]
    style: str = REFERENCE


@dataclass(frozen=True)
class _Lookups:
    """What rendering a batch reads: titles and features of items, the history interactions' features, users."""

    titles: dict[int, str]
    item_features: Callable[[int], dict]
    inter_feats: dict[int, dict]
    users: dict[int, dict]


def render_scene_rows(source: SceneSource, built: list[Built]) -> list[dict]:
    """Scene rows with profile, history and options rendered in the source's style."""
    if not built:
        return []
    timeline, items = source.timeline, source.items
    item_db = items["id"].to_numpy(np.int64)
    raw = dict(zip(item_db.tolist(), items["features"].tolist(), strict=True))

    def item_features(item_id: int) -> dict:
        value = raw.get(item_id)
        return (json.loads(value) if isinstance(value, str) else value) or {}

    hist_pos = np.concatenate([b.history[b.history >= 0] for b in built])
    targets = np.array([b.position for b in built], dtype=np.int64)
    look = _Lookups(
        titles=dict(zip(item_db.tolist(), items["title"].tolist(), strict=True)),
        item_features=item_features,
        inter_feats=store.interaction_features(session=source.session, interaction_ids=timeline.ids[hist_pos]),
        users=store.user_features(session=source.session, user_ids=timeline.user_id[targets]),
    )
    texts = _reference_texts(source, look, built) if source.style == REFERENCE else _studio_texts(source, look, built)
    now = utcnow()
    rows = []
    for b, (profile, history, history_ids, options) in zip(
        source.progress.iterate(built, label="rendering scenes"), texts, strict=True
    ):
        p = b.position
        rows.append(
            {
                "dataset_id": source.dataset.id,
                "user_id": int(timeline.user_id[p]),
                "item_id": int(timeline.item_id[p]),
                "interaction_id": int(timeline.ids[p]),
                "timestamp": int(timeline.ts[p]),
                "split": source.split,
                "profile": profile,
                "history": history,
                "history_item_ids": history_ids,
                "exposure_item_ids": _exposure_ids(source, b),
                "options": options,
                "option_sources": b.exposure.sources,
                "item_pos": b.exposure.item_pos,
                "choice_cnt": len(b.exposure.items),
                "seed": source.seed,
                "source": "native",
                "prompt_style": source.style,
                "created_at": now,
            }
        )
    return rows


def _exposure_ids(source: SceneSource, b: Built) -> list[int]:
    """Item ids of the options (real impressions are stored as ids, scorer candidates as item indices)."""
    if source.timeline.has_impressions[b.position]:
        return b.exposure.items
    return source.items["id"].to_numpy(np.int64)[np.asarray(b.exposure.items)].tolist()


def _real_history(timeline: Timeline, b: Built) -> tuple[list[int], list[int], list[int]]:
    """(item ids, interaction ids, times) of the drawn earlier interactions, oldest first."""
    h = b.history[b.history >= 0]
    return timeline.item_id[h].tolist(), timeline.ids[h].tolist(), timeline.ts[h].tolist()


def _studio_texts(source: SceneSource, look: _Lookups, built: list[Built]) -> Iterator[Texts]:
    renderer = Renderer(source.templates, look.titles, look.item_features)
    targets = np.array([b.position for b in built], dtype=np.int64)
    facts = history_values(
        session=source.session,
        dataset_id=source.dataset.id,
        section=source.templates.get("profile_history") or {},
        timeline=source.timeline,
        positions=targets,
        items=source.items,
    )
    for b, before in zip(built, facts, strict=True):
        items, inters, times = _real_history(source.timeline, b)
        history = [
            renderer.history(i, look.inter_feats.get(q), t) for i, q, t in zip(items, inters, times, strict=True)
        ]
        user = look.users.get(int(source.timeline.user_id[b.position]))
        options = [renderer.option(i) for i in _exposure_ids(source, b)]
        yield render_profile(source.templates, user, before), history, items, options


def _reference_texts(source: SceneSource, look: _Lookups, built: list[Built]) -> Iterator[Texts]:
    renderer = ReferenceRenderer(source.dataset.format, look.titles, look.item_features)
    by_external = dict(zip(source.items["external_id"].tolist(), source.items["id"].tolist(), strict=True))
    timeline = source.timeline
    for b in built:
        target_ts = int(timeline.ts[b.position])
        user = look.users.get(int(timeline.user_id[b.position])) or {}
        items, inters, times = _real_history(timeline, b)
        history = [
            renderer.history(i, look.inter_feats.get(q), t, target_ts)
            for i, q, t in zip(items, inters, times, strict=True)
        ]
        if renderer.strategy.static_history and b.drawn > len(items):
            logged = [by_external[x] for x in _logged(user)[-MIND_STATIC_HISTORY:] if x in by_external]
            static = logged[max(0, len(logged) - (b.drawn - len(items))) :]
            history = [renderer.history(i, None, None, target_ts) for i in static] + history
            items = static + items
        options = [renderer.option(i, target_ts) for i in _exposure_ids(source, b)]
        yield renderer.profile(user), history, items, options


def _logged(user: dict) -> list[str]:
    """The user's reading history logged before the impressions (MIND's `history` column), as external ids."""
    value = user.get("history")
    return [str(x) for x in value] if isinstance(value, list) else []
