"""Buffered writer of one import: users/items by external id, scenes, parsed rationales, predictions, in chunks."""

import hashlib
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context

import numpy as np
from sqlalchemy import Connection

from core.importers.um_sampling import sample_behaviors
from core.importers.um_scenes import SceneRow
from core.rationale_parser import parse_rationale
from storage import imports as db

SOURCE = "usermirrorer"
PROB_FLOOR = 1e-10  # the reference's get_prob floor (usermirrorer/filter/utils.py) and DESIGN.md §4
SAMPLE_SEED = 0  # core.predict's default seed: imported behaviours are the draws `predict` would make
_SCENE_CHUNK = 5_000
_RATIONALE_CHUNK = 10_000
_MAX_INFLIGHT = 4


def parse_many(items: list[tuple[str, int]]) -> list[tuple]:
    """parse_rationale over (text, n_options) pairs -> the Rationale columns it fills (runs in worker processes)."""
    out = []
    for text, n in items:
        p = parse_rationale(text, n)
        out.append(
            (
                p.stimulus,
                db.dumps_list(p.stimulus_factors),
                p.knowledge,
                db.dumps_list(p.knowledge_factors),
                p.evaluation,
                p.style,
                p.behavior,
                p.problems,
            )
        )
    return out


def item_title(option: str) -> str:
    """An item's display title from its option text: the first line, at most 200 characters."""
    return option.split("\n", 1)[0][:200]


def _pool(workers: int) -> ProcessPoolExecutor | None:
    """Parse workers forked from this process: they only parse text and leave by os._exit, so the open SQLite
    connection they inherit is never touched or closed (spawn would re-run an unguarded __main__)."""
    if workers <= 0 or "fork" not in get_all_start_methods():
        return None
    return ProcessPoolExecutor(workers, mp_context=get_context("fork"))


class ImportSink:
    """Everything one import writes, through one connection; flush() at the end."""

    def __init__(self, conn: Connection, *, dataset_id: int, name: str, workers: int = 0) -> None:
        self.conn, self.dataset_id, self.name = conn, dataset_id, name
        self.ids = db.IdCounter(conn)
        self.stamp = db.now_text()
        self.users: dict[str, int] = {}
        self.items: dict[str, int] = {}
        self.option_items: dict[str, int] = {}  # option text -> item id, for options without an id
        self.pool = _pool(workers)
        self._inflight: deque[tuple[list[tuple], object]] = deque()
        self._specs: list[tuple] = []
        self._users: list[tuple] = []
        self._items: list[tuple] = []
        self._scenes: list[tuple] = []
        self.counts = {"scenes": 0, "rationales": 0, "predictions": 0, "users": 0, "items": 0}

    # -- users and items -------------------------------------------------------------------------------------
    # External ids stay exactly as in the files (so exports give them back); the public sets mix several source
    # datasets, and an id two of them share becomes one user/item row (features keep the first source seen).
    def user_id(self, key: str, source: str | None) -> int:
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
                key = row.item
            elif row.impressions is not None:
                key = row.impressions[k]
            else:  # no id in the file: the option text names the item
                found = self.option_items.get(text)
                if found is None:
                    key = "option:" + hashlib.sha1(text.encode()).hexdigest()[:16]
                    found = self.option_items[text] = self.item_id(key, text, row.source_dataset)
                out.append(found)
                continue
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
        observed: int | None = None,
    ) -> list[int]:
        """Queue rationales (sample_index 0, 1, ...) and, when probs [k, n] is given, their predictions.

        observed: the behaviour already sampled by the reference (one rationale): stored as the sampled behaviour
        of an estimated prediction instead of a new draw."""
        first = self.ids.take("rationale", len(texts))
        for k, text in enumerate(texts):
            note = problems.get(k) if problems else None
            dist = probs[k] if probs is not None else None
            self._specs.append((first + k, scene_id, role, k, model, text, n_options, note, dist, observed))
        if len(self._specs) >= _RATIONALE_CHUNK:
            self._dispatch()
        return list(range(first, first + len(texts)))

    def _dispatch(self) -> None:
        """Parse the queued rationales (in worker processes when there is a pool) and write finished chunks."""
        specs, self._specs = self._specs, []
        if not specs:
            return
        items = [(spec[5], spec[6]) for spec in specs]
        if self.pool is None:
            self._write(specs, parse_many(items))
            return
        self._inflight.append((specs, self.pool.submit(parse_many, items)))
        while len(self._inflight) > _MAX_INFLIGHT:
            self._drain_one()

    def _drain_one(self) -> None:
        specs, future = self._inflight.popleft()
        self._write(specs, future.result())

    def _write(self, specs: list[tuple], parsed: list[tuple]) -> None:
        self._flush_scenes()
        n = len(specs)
        rationales = []
        for spec, fields in zip(specs, parsed, strict=True):
            rid, scene_id, role, index, model, text, _, note, _, _ = spec
            *head, problems = fields
            rationales.append(
                (
                    rid,
                    scene_id,
                    role,
                    index,
                    None,
                    model,
                    text,
                    1,
                    *head,
                    db.dumps_list([*problems, note] if note else problems),
                    SOURCE,
                    self.stamp,
                    self.stamp,
                )
            )
        db.insert_rationales(conn=self.conn, rows=rationales)
        with_probs = [spec for spec in specs if spec[8] is not None]
        if with_probs:
            lengths = np.fromiter((len(spec[8]) for spec in with_probs), dtype=np.int64, count=len(with_probs))
            flat = np.concatenate([spec[8] for spec in with_probs])
            rids = np.fromiter((spec[0] for spec in with_probs), dtype=np.int64, count=len(with_probs))
            behaviors = sample_behaviors(flat, lengths, seed=SAMPLE_SEED, rationale_ids=rids).tolist()
            first = self.ids.take("prediction", len(with_probs))
            rows = [
                (
                    first + j,
                    spec[0],
                    spec[1],
                    spec[2],
                    spec[8].tobytes(),
                    spec[9] is not None,
                    behaviors[j] if spec[9] is None else spec[9],
                )
                for j, spec in enumerate(with_probs)
            ]
            db.insert_predictions(conn=self.conn, rows=rows)
            self.counts["predictions"] += len(rows)
        self.counts["rationales"] += n

    def flush(self) -> None:
        """Write everything still queued."""
        self._flush_scenes()
        self._dispatch()
        while self._inflight:
            self._drain_one()

    def close(self) -> None:
        """Stop the parse workers (also after an error: queued work is dropped)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
