"""Scene rows: rendered profile, history and options for each built target, ready for one bulk insert."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlmodel import Session

from core.progress import Progress
from core.scenes.exposure import Exposure
from core.scenes.profile_history import history_values
from core.scenes.render import Renderer, render_profile
from core.scenes.targets import Timeline
from storage import scenes as store
from storage.models import Dataset, utcnow

# A built target: (interaction position in the timeline, its history positions (-1 = none), its exposure).
Built = tuple[int, np.ndarray, Exposure]


@dataclass(frozen=True)
class SceneSource:
    """One scene build's inputs: the dataset with its templates, items and interaction timeline, the build's split
    and seed, where progress goes and `lap(phase)`, which times the build's phases."""

    session: Session
    dataset: Dataset
    templates: dict
    items: pd.DataFrame
    timeline: Timeline
    split: str
    seed: int
    progress: Progress
    lap: Callable[[str], None]


def _renderer(templates: dict, items: pd.DataFrame) -> Renderer:
    """A Renderer over the dataset's items (features parsed from their JSON on first use)."""
    ids = items["id"].to_numpy(np.int64).tolist()
    raw = dict(zip(ids, items["features"].tolist(), strict=True))

    def item_features(item_id: int) -> dict:
        value = raw.get(item_id)
        return (json.loads(value) if isinstance(value, str) else value) or {}

    return Renderer(templates, dict(zip(ids, items["title"].tolist(), strict=True)), item_features)


def render_scene_rows(source: SceneSource, built: list[Built]) -> list[dict]:
    """Scene rows with rendered profile, history and options."""
    if not built:
        return []
    session, timeline, items, templates = source.session, source.timeline, source.items, source.templates
    item_db = items["id"].to_numpy(np.int64)
    renderer = _renderer(templates, items)
    hist_pos = np.concatenate([h[h >= 0] for _, h, _ in built])
    inter_feats = store.interaction_features(session=session, interaction_ids=timeline.ids[hist_pos])
    targets = np.array([p for p, _, _ in built], dtype=np.int64)
    users = store.user_features(session=session, user_ids=timeline.user_id[targets])
    section = templates.get("profile_history") or {}
    facts = history_values(
        session=session,
        dataset_id=source.dataset.id,
        section=section,
        timeline=timeline,
        positions=targets,
        items=items,
    )
    now = utcnow()
    rows = []
    for (p, hist, exposure), before in zip(
        source.progress.iterate(built, label="rendering scenes"), facts, strict=True
    ):
        real = bool(timeline.has_impressions[p])
        exposure_ids = exposure.items if real else item_db[np.asarray(exposure.items)].tolist()
        user = int(timeline.user_id[p])
        h = hist[hist >= 0]
        h_items = timeline.item_id[h].tolist()
        history = [
            renderer.history(i, inter_feats.get(q), t)
            for i, q, t in zip(h_items, timeline.ids[h].tolist(), timeline.ts[h].tolist(), strict=True)
        ]
        rows.append(
            {
                "dataset_id": source.dataset.id,
                "user_id": user,
                "item_id": int(timeline.item_id[p]),
                "interaction_id": int(timeline.ids[p]),
                "timestamp": int(timeline.ts[p]),
                "split": source.split,
                "profile": render_profile(templates, users.get(user), before),
                "history": history,
                "history_item_ids": h_items,
                "exposure_item_ids": exposure_ids,
                "options": [renderer.option(i) for i in exposure_ids],
                "option_sources": exposure.sources,
                "item_pos": exposure.item_pos,
                "choice_cnt": len(exposure_ids),
                "seed": source.seed,
                "source": "native",
                "prompt_style": "studio",
                "created_at": now,
            }
        )
    return rows
