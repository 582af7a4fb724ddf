"""Buffered writer of one import: users/items by external id, scenes, parsed rationales, predictions, in chunks."""

import hashlib

import numpy as np
from sqlalchemy import Connection

from core.importers.um_scenes import SceneRow
from core.rationale_parser import parse_rationale
from storage import imports as db

SOURCE = "usermirrorer"
PROB_FLOOR = 1e-10  # the reference's get_prob floor (usermirrorer/filter/utils.py) and DESIGN.md §4
SAMPLE_SEED = 0
_SCENE_CHUNK = 5_000
_RATIONALE_CHUNK = 20_000


def sample_behaviors(probs: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """One sampled option index per distribution (inverse CDF of one uniform draw each), vectorised."""
    if not probs:
        return np.zeros(0, dtype=np.int64)
    width = max(len(p) for p in probs)
    padded = np.zeros((len(probs), width))
    for k, p in enumerate(probs):
        padded[k, : len(p)] = p
    cdf = np.cumsum(padded, axis=1)
    draws = rng.random(len(probs)) * cdf[:, -1]
    index = (cdf <= draws[:, None]).sum(axis=1)
    lengths = np.fromiter((len(p) for p in probs), dtype=np.int64, count=len(probs))
    return np.minimum(index, lengths - 1)


def item_title(option: str) -> str:
    """An item's display title from its option text: the first line, at most 200 characters."""
    return option.split("\n", 1)[0][:200]


class ImportSink:
    """Everything one import writes, through one connection; flush() at the end."""

    def __init__(self, conn: Connection, *, dataset_id: int, name: str) -> None:
        self.conn, self.dataset_id, self.name = conn, dataset_id, name
        self.ids = db.IdCounter(conn)
        self.stamp = db.now_text()
        self.users: dict[str, int] = {}
        self.items: dict[str, int] = {}
        self.rng = np.random.default_rng(SAMPLE_SEED)
        self._users: list[tuple] = []
        self._items: list[tuple] = []
        self._scenes: list[tuple] = []
        self._rationales: list[tuple] = []
        self._versions: list[tuple] = []
        self._pred_rows: list[tuple] = []
        self._pred_probs: list[np.ndarray] = []
        self.counts = {"scenes": 0, "rationales": 0, "predictions": 0, "users": 0, "items": 0}

    # -- users and items -------------------------------------------------------------------------------------
    def _external(self, value: str, source: str | None) -> str:
        return value if source in (None, self.name) else f"{source}/{value}"

    def user_id(self, value: str, source: str | None) -> int:
        key = self._external(value, source)
        found = self.users.get(key)
        if found is None:
            found = self.users[key] = self.ids.take("user", 1)
            features = {"source_dataset": source} if source else {}
            self._users.append((found, self.dataset_id, key, db.dumps(features)))
        return found

    def item_id(self, key: str, title: str, source: str | None) -> int:
        found = self.items.get(key)
        if found is None:
            found = self.items[key] = self.ids.take("item", 1)
            features = {"source_dataset": source} if source else {}
            self._items.append((found, self.dataset_id, key, item_title(title), db.dumps(features)))
        return found

    def _option_ids(self, row: SceneRow) -> list[int]:
        """Internal ids of the options: impression ids when given, else a stable id from the option text."""
        out = []
        for k, text in enumerate(row.options):
            if k == row.item_pos:
                key = self._external(row.item, row.source_dataset)
            elif row.impressions is not None:
                key = self._external(row.impressions[k], row.source_dataset)
            else:
                key = "option:" + hashlib.sha1(text.encode()).hexdigest()[:16]
            out.append(self.item_id(key, text, row.source_dataset))
        return out

    # -- scenes ----------------------------------------------------------------------------------------------
    def add_scene(self, row: SceneRow, split: str) -> int:
        """Buffer one scene; returns its id."""
        scene_id = self.ids.take("scene", 1)
        options = self._option_ids(row)
        sources = ["target" if k == row.item_pos else SOURCE for k in range(len(options))]
        self._scenes.append(
            (
                scene_id,
                self.dataset_id,
                self.user_id(row.user, row.source_dataset),
                options[row.item_pos],
                None,
                row.timestamp,
                split,
                row.profile,
                db.dumps(row.history),
                "[]",
                db.dumps(options),
                db.dumps(row.options),
                db.dumps(sources),
                row.item_pos,
                len(row.options),
                None,
                SOURCE,
                self.stamp,
            )
        )
        self.counts["scenes"] += 1
        if len(self._scenes) >= _SCENE_CHUNK:
            self._flush_scenes()
        return scene_id

    def _flush_scenes(self) -> None:
        db.insert_users(conn=self.conn, rows=self._users)
        db.insert_items(conn=self.conn, rows=self._items)
        db.insert_scenes(conn=self.conn, rows=self._scenes)
        self.counts["users"] += len(self._users)
        self.counts["items"] += len(self._items)
        self._users, self._items, self._scenes = [], [], []

    # -- rationales and predictions --------------------------------------------------------------------------
    def add_rationales(
        self,
        *,
        scene_id: int,
        role: str,
        texts: list[str],
        n_options: int,
        probs: np.ndarray | None = None,
        problems: dict[int, str] | None = None,
        model: str | None = None,
        first_index: int = 0,
    ) -> list[int]:
        """Parse and buffer rationales (sample_index first_index, ...) with their predictions when probs [k, n]."""
        first = self.ids.take("rationale", len(texts))
        author = model or SOURCE
        for k, text in enumerate(texts):
            rid = first + k
            parsed = parse_rationale(text, n_options)
            found = parsed.problems
            if problems and k in problems:
                found = [*found, problems[k]]
            self._rationales.append(
                (
                    rid,
                    scene_id,
                    role,
                    first_index + k,
                    None,
                    model,
                    text,
                    1,
                    parsed.stimulus,
                    db.dumps(parsed.stimulus_factors),
                    parsed.knowledge,
                    db.dumps(parsed.knowledge_factors),
                    parsed.evaluation,
                    parsed.style,
                    parsed.behavior,
                    db.dumps(found),
                    SOURCE,
                    self.stamp,
                    self.stamp,
                )
            )
            self._versions.append((self.ids.take("rationaleversion", 1), rid, text, author))
            if probs is not None:
                self._pred_rows.append((self.ids.take("prediction", 1), rid, scene_id, role))
                self._pred_probs.append(probs[k])
        self.counts["rationales"] += len(texts)
        if len(self._rationales) >= _RATIONALE_CHUNK:
            self._flush_rationales()
        return list(range(first, first + len(texts)))

    def _flush_rationales(self) -> None:
        self._flush_scenes()
        db.insert_rationales(conn=self.conn, rows=self._rationales, versions=self._versions)
        behaviors = sample_behaviors(self._pred_probs, self.rng)
        rows = [
            (*head, np.ascontiguousarray(p, dtype=np.float64).tobytes(), int(b), None)
            for head, p, b in zip(self._pred_rows, self._pred_probs, behaviors, strict=True)
        ]
        db.insert_predictions(conn=self.conn, rows=rows)
        self.counts["predictions"] += len(rows)
        self._rationales, self._versions, self._pred_rows, self._pred_probs = [], [], [], []

    def flush(self) -> None:
        """Write everything still buffered."""
        self._flush_scenes()
        self._flush_rationales()
