"""Buffered writer of one import: users/items by external id, scenes, parsed rationales, predictions, in chunks."""

import hashlib
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_all_start_methods, get_context

import numpy as np
from sqlalchemy import Connection

from core.importers.um_scenes import SceneRow
from core.rationale_parser import parse_rationale
from core.seeded_draws import sample_behaviors
from storage import bulk

SOURCE = "usermirrorer"
PROB_FLOOR = 1e-10  # the reference's get_prob floor (usermirrorer/filter/utils.py) and DESIGN.md §4
SAMPLE_SEED = 0  # core.predict's default seed: imported behaviours are the draws `predict` would make
_SCENE_CHUNK = 5_000
_RATIONALE_CHUNK = 10_000
_MAX_INFLIGHT = 4


def rationale_rows(specs: list[tuple], stamp: datetime | str) -> list[tuple]:
    """Rationale rows (storage.bulk.COLUMNS order) from (id, scene_id, role, sample_index, model, text, n_options,
    note) specs: the text parsed like a native rationale (version 1, no endpoint), note appended to its problems.
    Runs in the parse workers when there are some, so the importing process only writes."""
    rows = []
    for rid, scene_id, role, index, model, text, n, note in specs:
        p = parse_rationale(text, n)
        rows.append(
            (
                rid,
                scene_id,
                role,
                index,
                model,
                text,
                p.stimulus,
                bulk.dumps_list(p.stimulus_factors),
                p.knowledge,
                bulk.dumps_list(p.knowledge_factors),
                p.evaluation,
                p.style,
                p.behavior,
                bulk.dumps_list([*p.problems, note] if note else p.problems),
                None,
                1,
                SOURCE,
                stamp,
                stamp,
            )
        )
    return rows


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

    def __init__(self, conn: Connection, *, ids: bulk.IdBlock, dataset_id: int, name: str, workers: int = 0) -> None:
        self.conn, self.ids, self.dataset_id, self.name = conn, ids, dataset_id, name
        self.stamp = bulk.stamp(conn)
        self.users: dict[str, int] = {}
        self.items: dict[str, int] = {}
        self.option_items: dict[str, int] = {}  # option text -> item id, for options without an id
        self.pool = _pool(workers)
        self._inflight: deque[tuple[object, list[tuple]]] = deque()
        self._specs: list[tuple] = []
        self._probs: list[tuple] = []
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
            self._users.append((found, self.dataset_id, key, bulk.dumps(features)))
        return found

    def item_id(self, key: str, title: str, source: str | None) -> int:
        found = self.items.get(key)
        if found is None:
            found = self.items[key] = self.ids.take("item", 1)
            features = {"source_dataset": source} if source else {}
            self._items.append((found, self.dataset_id, key, item_title(title), None, bulk.dumps(features)))
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
                bulk.dumps(row.history),
                "[]",
                bulk.dumps(options),
                bulk.dumps(row.options),
                bulk.dumps(sources),
                row.item_pos,
                len(row.options),
                None,
                SOURCE,
                row.style,  # the reference's own text is rendered in the reference's layout
                row.system,
                self.stamp,
                row.source_dataset,
                row.source_timestamp,
            )
        )
        self.counts["scenes"] += 1
        if len(self._scenes) >= _SCENE_CHUNK:
            self._flush_scenes()
        return scene_id

    def _flush_scenes(self) -> None:
        bulk.write_users(conn=self.conn, rows=self._users)
        bulk.write_items(conn=self.conn, rows=self._items)
        bulk.write_scenes(conn=self.conn, rows=self._scenes, columns=bulk.IMPORTED_SCENE_COLUMNS)
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
        notes = problems or {}
        self._specs.extend(
            (first + k, scene_id, role, k, model, text, n_options, notes.get(k)) for k, text in enumerate(texts)
        )
        if probs is not None:
            self._probs.append((first, scene_id, role, probs[: len(texts)], observed))
        if len(self._specs) >= _RATIONALE_CHUNK:
            self._dispatch()
        return list(range(first, first + len(texts)))

    def _dispatch(self) -> None:
        """Parse the queued rationales (in worker processes when there is a pool) and write finished chunks."""
        specs, probs = self._specs, self._probs
        self._specs, self._probs = [], []
        if not specs:
            return
        if self.pool is None:
            self._write(rationale_rows(specs, self.stamp), probs)
            return
        self._inflight.append((self.pool.submit(rationale_rows, specs, self.stamp), probs))
        while len(self._inflight) > _MAX_INFLIGHT:
            self._drain_one()

    def _drain_one(self) -> None:
        future, probs = self._inflight.popleft()
        self._write(future.result(), probs)

    def _write(self, rows: list[tuple], probs: list[tuple]) -> None:
        """Insert parsed rationale rows, then the predictions of the probability blocks (first rationale id,
        scene id, role, [k, n] probabilities, observed behaviour) queued with them."""
        self._flush_scenes()
        bulk.write_rationales(conn=self.conn, rows=rows)
        self.counts["rationales"] += len(rows)
        if not probs:
            return
        flat = np.concatenate([block[3].ravel() for block in probs])
        lengths = np.concatenate([np.full(len(block[3]), block[3].shape[1], dtype=np.int64) for block in probs])
        rids = np.concatenate([np.arange(block[0], block[0] + len(block[3]), dtype=np.int64) for block in probs])
        behaviors = sample_behaviors(flat, lengths, seed=SAMPLE_SEED, rationale_ids=rids).tolist()
        first = self.ids.take("prediction", len(rids))
        out, j, stamp = [], 0, self.stamp
        for rid, scene_id, role, block, observed in probs:
            estimated = observed is not None
            for k in range(len(block)):
                sampled = behaviors[j] if observed is None else observed
                probs_blob = block[k].tobytes()
                out.append((first + j, rid + k, scene_id, role, 1, probs_blob, estimated, sampled, None, None, stamp))
                j += 1
        bulk.write_predictions(conn=self.conn, rows=out)
        self.counts["predictions"] += len(out)

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
