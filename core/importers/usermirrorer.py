"""Import the reference UserMirrorer pipeline's artifacts and public files as a dataset (see um_files for names).

Everything is written in one transaction: scenes (source "usermirrorer", no interaction), users/items by external
id, rationales parsed like native ones (version 1, no RationaleVersion row until edited), predictions with a
seeded sampled behaviour, and the public DPO pairs as scenes whose chosen rationale is stored as role "strong" and
rejected as role "weak" (sample 0), listed in a selection "NAME-reference". A malformed line raises BadInput naming
file and line; nothing is written.
"""

import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import BadInput
from core.importers import um_files
from core.importers.um_rationales import ProbTable, TrainRows, decision_lines, load_probs, load_probs_apart, probs_lines
from core.importers.um_scenes import Repeats, dpo_row, scene_row
from core.importers.um_sink import PROB_FLOOR, ImportSink
from core.progress import SILENT, Bar, Progress
from core.rationale_parser import parse_rationale
from core.text_checks import check_name
from storage import bulk
from storage.constants import LETTERS, ROLES
from storage.datasets import delete_dataset, get_dataset, insert_dataset, set_dataset_options
from storage.db import bulk_transaction
from storage.selections import delete_selection, write_selection
from storage.status import refresh_counts

FORMAT = "usermirrorer"
ID_TABLES = ("user", "item", "scene", "rationale", "prediction")  # the import assigns these ids itself
_PARALLEL_BYTES = 64 << 20


@dataclass
class ImportReport:
    """What an import did, per file, and what it could not use."""

    dataset: str
    sha256: str
    already_imported: bool = False
    files: dict[str, dict[str, int]] = field(default_factory=dict)  # relative path -> counts
    missing: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    unmatched_custom_ids: int = 0
    unmatched_examples: list[str] = field(default_factory=list)
    selection: str | None = None
    seconds: float = 0.0
    replaced: dict[str, int] | None = None  # what --replace deleted: storage.datasets.delete_dataset's counts

    @property
    def message(self) -> str:
        if self.already_imported:
            return f"dataset {self.dataset!r}: already imported from these files (sha256 {self.sha256[:12]}), no change"
        t = self.totals
        return (
            f"imported {t.get('scenes', 0)} scenes, {t.get('rationales', 0)} rationales, "
            f"{t.get('predictions', 0)} predictions into {self.dataset!r} in {self.seconds:.1f} s"
        )


def _read_scenes(sink: ImportSink, found: um_files.Found, path: Path, split: str, bar: Bar) -> TrainRows:
    rel = found.rel(path)
    rows, repeats = TrainRows(rel=rel), Repeats(rel)
    for lineno, obj in um_files.json_lines(path, rel, bar):
        scene = scene_row(obj, f"{rel}, line {lineno}")
        repeats.check(scene, lineno)
        rows.scene_id.append(sink.add_scene(scene, split))
        rows.choice_cnt.append(len(scene.options))
        rows.user.append(scene.user)
        rows.item.append(scene.item)
    return rows


def _read_dpo(sink: ImportSink, found: um_files.Found, path: Path, bar: Bar, pairs: list[tuple[int, int, int]]) -> dict:
    """Scenes with the chosen (role strong) and rejected (role weak) rationale of each DPO line.

    The rejected turn ends with the option the reference sampled for it; it is stored as an estimated one-sample
    prediction (that option; 1e-10 elsewhere, renormalised) so exports can name it. The chosen rationale gets no
    prediction, so these scenes are never scored (score needs both roles)."""
    rel, n, unusable = found.rel(path), 0, 0
    repeats = Repeats(rel)
    for lineno, obj in um_files.json_lines(path, rel, bar):
        scene, chosen, rejected = dpo_row(obj, f"{rel}, line {lineno}")
        repeats.check(scene, lineno, chosen, rejected)
        scene_id = sink.add_scene(scene, "train")
        n_options = len(scene.options)
        (c,) = sink.add_rationales(scene_id=scene_id, role="strong", texts=[chosen], n_options=n_options)
        letter = parse_rationale(rejected, n_options).behavior
        n += 1
        if letter is None:  # kept for browsing, but without its sampled option no export can use the pair
            sink.add_rationales(scene_id=scene_id, role="weak", texts=[rejected], n_options=n_options)
            unusable += 1
            continue
        observed = LETTERS.index(letter)
        probs = np.full((1, n_options), PROB_FLOOR)
        probs[0, observed] = 1.0
        (r,) = sink.add_rationales(
            scene_id=scene_id,
            role="weak",
            texts=[rejected],
            n_options=n_options,
            probs=probs / probs.sum(),
            observed=observed,
        )
        pairs.append((scene_id, c, r))
    return {"scenes": n, "pairs": n - unusable, "rejected_without_letter": unusable}


def _read_role(
    sink: ImportSink, found: um_files.Found, role: str, train: TrainRows, bar: Bar, job: Future | None
) -> dict:
    """Probabilities first (kept compactly by train row; job = their load_probs_apart), then the decisions they
    belong to; per-file counts.

    Without a decisions file the probs file's decision_list texts become the rationales (a second read)."""
    counts: dict[str, dict] = {}
    dec_path, prob_path = found.single.get(f"decisions_{role}"), found.single.get(f"probs_{role}")
    table = ProbTable(train, "")
    if prob_path is not None:
        if job is None:
            table, notes = load_probs(prob_path, found.rel(prob_path), train, bar)
        else:  # read by a worker while the scenes were written
            table, notes = job.result()
            table.train = train
            bar.update(prob_path.stat().st_size)
        counts[table.rel] = notes
        if dec_path is None:
            _rationales_from_probs(sink, prob_path, role, table)
    if dec_path is not None:
        rel = found.rel(dec_path)
        counts[rel] = _read_decisions(sink, dec_path, rel, role, table, bar)
        if prob_path is not None:
            counts[table.rel]["without_decisions"] = int(((table.offset >= 0) & ~table.used).sum())
    return counts


def _rationales_from_probs(sink: ImportSink, prob_path: Path, role: str, table: ProbTable) -> None:
    """The probs file's decision_list texts as the role's rationales (there is no decisions file)."""
    train = table.train
    for line in probs_lines(prob_path, table.rel, train, None, {}):
        texts = line.decision_list
        if len(texts) != len(line.choice) or not all(isinstance(t, str) for t in texts):
            raise BadInput(f"{table.rel}, line {line.lineno}: decision_list must hold one text per distribution")
        probs, missing = table.get(line.row)
        sink.add_rationales(
            scene_id=train.scene_id[line.row],
            role=role,
            texts=texts,
            n_options=train.choice_cnt[line.row],
            probs=probs,
            problems=missing,
        )


def _read_decisions(sink: ImportSink, dec_path: Path, rel: str, role: str, table: ProbTable, bar: Bar) -> dict:
    """The decisions file's rationales with their probabilities from table; the file's counts."""
    train, notes, matched = table.train, {}, 0
    for line in decision_lines(dec_path, rel, len(train), bar, notes):
        probs, missing = table.get(line.row) or (None, None)
        if probs is not None and len(probs) != len(line.texts):
            raise BadInput(
                f"{rel}, line {line.lineno}: {len(line.texts)} choices but {table.rel} line "
                f"{table.lineno[line.row]} has {len(probs)} distributions for that scene"
            )
        sink.add_rationales(
            scene_id=train.scene_id[line.row],
            role=role,
            texts=line.texts,
            n_options=train.choice_cnt[line.row],
            probs=probs,
            problems=missing,
            model=line.model,
        )
        matched += 1
    unmatched = notes.pop("unmatched_custom_ids")
    if unmatched and not matched:
        raise BadInput(f"{rel}: no custom_id matches a row of {train.rel} (e.g. {unmatched[0]!r})")
    notes.update(scenes=matched, unmatched_custom_ids=len(unmatched))
    notes["unmatched_examples"] = unmatched[:5]
    return notes


def _import_all(sink: ImportSink, found: um_files.Found, report: ImportReport, bar: Bar) -> None:
    """Scenes, then each role's probabilities and decisions, then the public DPO pairs and their selection."""
    train = TrainRows(rel="")
    jobs = {}  # each role's probabilities, read by the parse workers while the scenes are written
    if sink.pool is not None and "train" in found.single:
        train_path = found.single["train"]
        train_rel = found.rel(train_path)
        for role in ROLES:
            if (path := found.single.get(f"probs_{role}")) is not None:
                jobs[role] = sink.pool.submit(load_probs_apart, train_path, train_rel, path, found.rel(path))
    for kind, split in (("train", "train"), ("eval", "eval")):
        if kind in found.single:
            rows = _read_scenes(sink, found, found.single[kind], split, bar)
            report.files[rows.rel] = {"scenes": len(rows)}
            train = rows if kind == "train" else train
    for file in found.hf_eval:
        rows = _read_scenes(sink, found, file, "eval", bar)
        report.files[rows.rel] = {"scenes": len(rows)}
    for role in ROLES:
        report.files.update(_read_role(sink, found, role, train, bar, jobs.get(role)))
    pairs: list[tuple[int, int, int]] = []
    for file in found.hf_dpo:
        report.files[found.rel(file)] = _read_dpo(sink, found, file, bar, pairs)
    sink.flush()
    if pairs:
        name, selection = report.dataset, f"{report.dataset}-reference"
        config = {"source": FORMAT, "dataset": name, "files": [found.rel(p) for p in found.hf_dpo]}
        items = pd.DataFrame(pairs, columns=["scene_id", "chosen_rationale_id", "rejected_rationale_id"])
        items["rank"], items["rank_value"] = np.arange(1, len(pairs) + 1), None
        with Session(bind=sink.conn) as session:  # joins the import's transaction
            if write_selection(session=session, name=selection, config=config, report={}, items=items) is None:
                raise BadInput(f"a selection named {selection!r} already exists; rename or delete it first")
            session.flush()
        report.selection = selection


def import_usermirrorer(
    *,
    engine: Engine,
    name: str,
    path: str | Path,
    replace: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import DIR's usermirrorer files as dataset `name`; same files again = "already imported", nothing written.

    workers: forked processes that parse rationales (default: 2 when the decisions files exceed 64 MB and this is the
    main thread, else none)."""
    started = time.perf_counter()
    progress = progress or SILENT
    check_name(name, "--dataset")
    found = um_files.find_files(Path(path), name)
    if not found.all():
        raise BadInput(f"{path}: no usermirrorer files for dataset {name!r}; expected e.g. datasets/{name}_train.jsonl")
    uses_train = any(k.startswith(("decisions", "probs")) for k in found.single)
    if uses_train and "train" not in found.single:
        raise BadInput(f"{path}: decisions/probs files need datasets/{name}_train.jsonl (their rows point into it)")
    with ThreadPoolExecutor(1) as hasher:  # hashlib and file reads release the GIL: hashing overlaps the import
        hashing = hasher.submit(um_files.content_hash, found)
        return _import(
            engine=engine,
            name=name,
            path=path,
            found=found,
            replace=replace,
            progress=progress,
            workers=workers,
            hashing=hashing,
            started=started,
        )


def _import(
    *,
    engine: Engine,
    name: str,
    path: str | Path,
    found: um_files.Found,
    replace: bool,
    progress: Progress,
    workers: int | None,
    hashing: Future,
    started: float,
) -> ImportReport:
    """import_usermirrorer once the files are known; hashing yields their content hash."""
    with Session(engine) as session:
        existing = get_dataset(session=session, name=name)
    report = ImportReport(dataset=name, sha256="", missing=found.missing)
    old_import = ((existing.options or {}).get("import") or {}) if existing else {}
    if existing is not None and not replace:
        report.sha256 = digest = hashing.result()
        if existing.format == FORMAT and old_import.get("sha256") == digest:
            report.already_imported = True
            report.files = old_import.get("files", {})
            return report
        raise BadInput(f"dataset {name!r} already exists with other content; pass --replace to overwrite it")
    total = sum(p.stat().st_size for p in found.all())
    with (
        bulk_transaction(engine=engine, foreign_keys=False) as conn,
        progress.bar(total=total, label=f"import {name}") as bar,
    ):
        if existing is not None:
            report.replaced = delete_dataset(conn=conn, dataset_id=existing.id)
            delete_selection(conn=conn, name=f"{name}-reference")
        dataset_id = insert_dataset(conn=conn, name=name, fmt=FORMAT, source_path=str(path), templates=None, options={})
        if workers is None:  # forking is only safe from the main thread (the app runs pages in other threads)
            dec_bytes = sum(p.stat().st_size for k, p in found.single.items() if k.startswith("decisions"))
            big = dec_bytes > _PARALLEL_BYTES and threading.current_thread() is threading.main_thread()
            workers = min(2, os.cpu_count() or 1) if big else 0
        with bulk.id_block(conn=conn, tables=ID_TABLES, large=True) as ids:
            sink = ImportSink(conn, ids=ids, dataset_id=dataset_id, name=name, workers=workers)
            try:
                _import_all(sink, found, report, bar)
            finally:
                sink.close()
        report.totals = dict(sink.counts)
        for notes in report.files.values():
            report.unmatched_custom_ids += notes.get("unmatched_custom_ids", 0)
            report.unmatched_examples += notes.get("unmatched_examples", [])
        report.sha256 = digest = hashing.result()
        options = {"import": {"format": FORMAT, "sha256": digest, "files": report.files, "missing": found.missing}}
        set_dataset_options(conn=conn, dataset_id=dataset_id, options=options)
    with engine.begin() as conn:
        refresh_counts(conn=conn)
    report.seconds = time.perf_counter() - started
    return report
