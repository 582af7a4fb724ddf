"""Scene rows: rendered profile, history and options for each built target, ready for one bulk insert."""

import json

import numpy as np

from core.scenes.render import Renderer, render_profile
from storage import scenes as store
from storage.models import utcnow


def scene_rows(session, ds, templates, timeline, items, built, split, seed, progress) -> list[dict]:
    """Scene rows with rendered profile, history and options."""
    if not built:
        return []
    item_db = items["id"].to_numpy(np.int64)
    raw = dict(zip(item_db.tolist(), items["features"].tolist(), strict=True))

    def item_features(item_id: int) -> dict:
        value = raw.get(item_id)
        return (json.loads(value) if isinstance(value, str) else value) or {}

    renderer = Renderer(templates, dict(zip(item_db.tolist(), items["title"].tolist(), strict=True)), item_features)
    hist_pos = np.concatenate([h[h >= 0] for _, h, _ in built])
    inter_feats = store.interaction_features(session=session, interaction_ids=timeline.ids[hist_pos])
    users = store.user_features(session=session, user_ids=[timeline.user_id[p] for p, _, _ in built])
    profiles: dict[int, str] = {}
    now = utcnow()
    rows = []
    for p, hist, exposure in progress.iterate(built, label="rendering scenes"):
        real = bool(timeline.has_impressions[p])
        exposure_ids = exposure.items if real else item_db[np.asarray(exposure.items)].tolist()
        user = int(timeline.user_id[p])
        if user not in profiles:
            profiles[user] = render_profile(templates, users.get(user))
        h = hist[hist >= 0]
        h_items = timeline.item_id[h].tolist()
        history = [
            renderer.history(i, inter_feats.get(q), t)
            for i, q, t in zip(h_items, timeline.ids[h].tolist(), timeline.ts[h].tolist(), strict=True)
        ]
        rows.append(
            {
                "dataset_id": ds.id,
                "user_id": user,
                "item_id": int(timeline.item_id[p]),
                "interaction_id": int(timeline.ids[p]),
                "timestamp": int(timeline.ts[p]),
                "split": split,
                "profile": profiles[user],
                "history": history,
                "history_item_ids": h_items,
                "exposure_item_ids": exposure_ids,
                "options": [renderer.option(i) for i in exposure_ids],
                "option_sources": exposure.sources,
                "item_pos": exposure.item_pos,
                "choice_cnt": len(exposure_ids),
                "seed": seed,
                "source": "native",
                "created_at": now,
            }
        )
    return rows
