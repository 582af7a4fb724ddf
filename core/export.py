"""Export (DESIGN.md §8): DPO / SFT pairs of a selection, eval scenes, per-scene scores; JSONL or Parquet, each with a
manifest JSON beside it (selection + config, counts by dataset x exposure length x status, rows, sha256, version).

The target is checked first (core.outfile: never the database, only a regular file, an existing one only with force);
files are written to a temporary name beside it and moved into place when complete, so a failed or killed export
leaves the old file untouched.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import __version__
from core.choices import (
    DEFAULT_EXPORT_STATUS,
    EDIT_PAIRS,
    EXPORT_FORMATS,
    EXPORT_PAIRS,
    EXPORT_SPLITS,
    EXPORT_STATUSES,
    SELECTION_PAIRS,
)
from core.errors import BadInput, NotFound
from core.evaluation.results_export import evalresult_rows
from core.export_checks import check_rejected_current, check_train_only
from core.export_edits import EDIT_PAIR, IDENTITY, edit_rows
from core.outfile import check_target, commit, database_files, staged
from core.reference_prompts import text_fields
from core.scene_prompts import SceneText, answer_turn, scene_prompt
from storage.constants import ANY, COMPUTED_PAIR, COUNT_COLUMNS, HUMAN_PAIR, ROLES, SCORE_COLUMNS, TRAIN, letter
from storage.datasets import get_dataset, list_datasets
from storage.db import database_file
from storage.exports import edit_pair_rows, item_external_ids, record_export, scene_rows, selection_rows
from storage.models import Selection
from storage.reviewers import require_writer
from storage.scores import prediction_arrays, prediction_conditionings, scores_frame
from storage.selections import get_selection, list_selections

# The public UserMirrorer eval layout (what core.importers reads back): scene text nested under `text`.
EVAL_FIELDS = ("scene_id", "dataset", "split", "user_id", "item_id", "timestamp", "text", "impression_list")
EVAL_FIELDS += ("item_pos", "choice_cnt", "prompt_style")
# The scores export: every score column but the counts and the log-losses, in table order.
SCORE_FIELDS = tuple(c for c in SCORE_COLUMNS if c not in COUNT_COLUMNS and not c.endswith("_logloss"))


@dataclass
class ExportResult:
    """The written file, its row count and sha256, and the manifest written beside it."""

    path: Path
    rows: int
    sha256: str
    manifest: dict


def _scene_fields(frame: pd.DataFrame, session: Session) -> pd.DataFrame:
    """JSON text columns decoded; impression_list = external ids of the exposure."""
    frame = frame.copy()
    for column in ("history", "options", "exposure_item_ids"):
        frame[column] = [json.loads(v) if isinstance(v, str) else v for v in frame[column]]
    ids = item_external_ids(session=session, item_ids=[i for ids in frame["exposure_item_ids"] for i in ids])
    frame["impression_list"] = [[ids[i] for i in exposure] for exposure in frame["exposure_item_ids"]]
    frame["timestamp"] = frame["timestamp"].astype(int)
    return frame


def _pair_rows(frame: pd.DataFrame, fmt: str) -> list[dict]:
    rows = []
    for rec in frame.itertuples(index=False):
        scene = SceneText.from_row(rec._asdict())
        prompt = scene_prompt(scene, "rationale").messages
        chosen = [*prompt, {"role": "assistant", "content": answer_turn(scene.style, rec.chosen_text, rec.item_pos)}]
        ident = {k: getattr(rec, k) for k in IDENTITY}
        trace = {"scene_id": rec.scene_id, "chosen_rationale_id": rec.chosen_rationale_id}
        trace["chosen_version"] = rec.chosen_version
        review = {"pair_source": rec.pair_source, "review_status": rec.status, "reviewer": rec.reviewer}
        if fmt == "sft":  # `messages` for TRL, the same turns as `messages_chosen` for the reference's sft.yaml
            tail = {"impression_list": rec.impression_list, "item_pos": rec.item_pos}
            rows.append({**ident, "messages": chosen, "messages_chosen": chosen, **tail, **trace, **review})
            continue
        wrong = answer_turn(scene.style, rec.rejected_text, rec.rejected_behavior)
        rejected = [*prompt, {"role": "assistant", "content": wrong}]
        pair = {"messages_chosen": chosen, "messages_rejected": rejected}
        trace |= {"rejected_rationale_id": rec.rejected_rationale_id, "rejected_version": rec.rejected_version}
        tail = {"impression_list": rec.impression_list, "item_pos": rec.item_pos}
        rows.append({**ident, **pair, **tail, **trace, **review})
    return rows


def _eval_rows(frame: pd.DataFrame) -> list[dict]:
    """Rows as the public eval set: ids, `text: {profile, history, action_list}` exactly as the reference's scene
    files hold it (history one newline-joined string, so its texts_to_messages(convert_action_list(text)) gives the
    messages a reference-style scene is sent), impression_list, item_pos, choice_cnt, and the scene's prompt_style."""
    texts = [
        text_fields(profile=p, history=h, options=o)
        for p, h, o in zip(frame["profile"], frame["history"], frame["options"], strict=True)
    ]
    return frame.assign(text=texts)[list(EVAL_FIELDS)].to_dict("records")


def _score_rows(frame: pd.DataFrame, session: Session, dataset: str | None, preview: bool) -> list[dict]:
    """One row per scored scene with every rationale's distribution and sampled letter, per role."""
    scene_ids = frame["scene_id"].tolist() if preview else None
    arrays = prediction_arrays(session=session, dataset=dataset, scene_ids=scene_ids)
    order = np.lexsort((arrays.rationale_id, arrays.role, arrays.scene_id))
    offsets = np.r_[0, np.cumsum(arrays.n_probs)]
    lists: dict[tuple[int, int], tuple[list, list]] = {}
    key = arrays.scene_id[order] * 2 + arrays.role[order]
    bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        idx = order[lo:hi]
        probs = [arrays.probs[offsets[i] : offsets[i + 1]].tolist() for i in idx]
        lists[int(key[lo])] = (probs, [letter(int(b)) for b in arrays.behavior_index[idx]])
    conditioned = prediction_conditionings(session=session, dataset=dataset, scene_ids=scene_ids)
    scores = frame.merge(scores_frame(session=session, dataset=dataset)[["scene_id", *SCORE_FIELDS]], on="scene_id")
    rows = []
    for rec in scores.itertuples(index=False):
        row = {k: getattr(rec, k) for k in ("scene_id", "dataset", "split", *IDENTITY[1:], "item_pos", "choice_cnt")}
        for code, role in enumerate(ROLES):  # role code = position in ROLES (PredictionArrays.role)
            probs, letters = lists.get(rec.scene_id * 2 + code, ([], []))
            row[f"{role}_probs"], row[f"{role}_behaviors"] = probs, letters
            row[f"{role}_conditioning"] = conditioned.get((int(rec.scene_id), role))
        rows.append(row | {k: float(getattr(rec, k)) for k in SCORE_FIELDS})
    return rows


_INT_COLUMNS = ("scene_id", "item_pos", "choice_cnt", "timestamp", "chosen_rationale_id", "chosen_version")
_INT_COLUMNS += ("rejected_rationale_id", "rejected_version")


def _native(frame: pd.DataFrame) -> pd.DataFrame:
    """numpy scalars -> Python ints so rows serialise as plain JSON."""
    for column in (*_INT_COLUMNS, "rank"):
        if column in frame:
            frame[column] = frame[column].astype(object).map(int)
    return frame


def _selection(session: Session, name: str) -> Selection:
    """The selection of that name; NotFound listing the known ones."""
    sel = get_selection(session=session, name=name)
    if sel is None:
        known = ", ".join(s.name for s in list_selections(session=session)) or "none"
        raise NotFound(f"selection {name!r} does not exist (selections: {known})")
    return sel


def _edit_pairs(
    session: Session, facts: dict, *, selection: str | None, status: str, limit: int | None
) -> tuple[list[dict], dict]:
    """Edited rationales as DPO pairs (core/export_edits.py), of one selection's scenes or of every train scene."""
    sel = _selection(session, selection) if selection else None
    facts |= {"selection": sel and sel.name, "selection_config": sel and sel.config}
    facts["filters"] = {"status": status, "split": TRAIN, "pairs": EDIT_PAIRS}
    frame = edit_pair_rows(
        session=session, selection_id=sel and sel.id, status=None if status == ANY else status, limit=limit
    )
    where = f"selection {sel.name!r}" if sel else "the train scenes"
    if frame.empty:
        raise BadInput(
            f"nothing to export: no edited rationale in {where} whose scene is {status}; edit rationales on the "
            "Review page (or use --status any)"
        )
    frame = _native(_scene_fields(frame, session))
    rows, kept = edit_rows(frame)
    if not rows:
        raise BadInput(f"nothing to export: the {len(kept)} edit(s) in {where} change no more than whitespace")
    facts["pairs"] = {EDIT_PAIR: len(rows), "identical_left_out": len(kept) - len(rows)}
    return rows, facts | {"groups": frame.loc[kept, ["dataset", "choice_cnt", "status"]]}


def _collect(
    session: Session,
    *,
    fmt: str,
    selection: str | None,
    status: str,
    dataset: str | None,
    split: str | None,
    pairs: str = SELECTION_PAIRS,
    limit: int | None = None,
    run: str | None = None,
) -> tuple[list[dict], dict]:
    """(rows, manifest facts) for one export request; BadInput/NotFound for wrong arguments."""
    if pairs not in EXPORT_PAIRS:
        raise BadInput(f"unknown pairs {pairs!r}; use one of: {', '.join(EXPORT_PAIRS)}")
    if pairs == EDIT_PAIRS and fmt != "dpo":
        raise BadInput(f"--pairs {EDIT_PAIRS} makes DPO pairs; use it with --format dpo, not {fmt}")
    if fmt not in EXPORT_FORMATS:
        raise BadInput(f"unknown export format {fmt!r}; use one of: {', '.join(EXPORT_FORMATS)}")
    if status not in EXPORT_STATUSES:
        raise BadInput(f"unknown status {status!r}; use one of: {', '.join(EXPORT_STATUSES)}")
    if split not in (None, *EXPORT_SPLITS):
        raise BadInput(f"unknown split {split!r}; use one of: {', '.join(EXPORT_SPLITS)}")
    if split is None:  # an eval file holds eval scenes unless asked otherwise; scores cover every split
        split = "eval" if fmt == "eval" else ANY
    ds = None
    if dataset is not None and (ds := get_dataset(session=session, name=dataset)) is None:
        known = ", ".join(d.name for d in list_datasets(session=session)) or "none"
        raise NotFound(f"dataset {dataset!r} does not exist (datasets: {known})")
    facts: dict = {"format": fmt, "selection": None, "selection_config": None}
    if fmt == "evalresults":
        rows, about, groups = evalresult_rows(session=session, name=run, limit=limit)
        return rows, facts | about | {"groups": groups}
    if pairs == EDIT_PAIRS:
        return _edit_pairs(session, facts, selection=selection, status=status, limit=limit)
    if fmt in ("dpo", "sft"):
        if not selection:
            raise BadInput(f"--selection is required for the {fmt} format")
        sel = _selection(session, selection)
        facts |= {"selection": sel.name, "selection_config": sel.config, "filters": {"status": status}}
        frame = selection_rows(
            session=session, selection_id=sel.id, status=None if status == ANY else status, limit=limit
        )
        if frame.empty:
            everything = selection_rows(session=session, selection_id=sel.id)
            by_status = everything["status"].value_counts().to_dict() if len(everything) else {}
            raise BadInput(
                f"nothing to export: selection {sel.name!r} has no {status} scenes "
                f"({len(everything)} selected, by status: {by_status or 'none'}); review scenes or use --status any"
            )
        check_train_only(frame, sel.name)
        if fmt == "dpo":
            check_rejected_current(frame, sel.name)
        frame = _native(_scene_fields(frame, session))
        facts["pairs"] = {source: int((frame["pair_source"] == source).sum()) for source in (HUMAN_PAIR, COMPUTED_PAIR)}
        return _pair_rows(frame, fmt), facts | {"groups": frame[["dataset", "choice_cnt", "status"]]}
    facts["filters"] = {"dataset": dataset, "split": split}
    only = None if split == ANY else split
    frame = scene_rows(session=session, dataset_id=ds and ds.id, split=only, scored_only=fmt == "scores", limit=limit)
    if frame.empty:
        what = "scored scenes (run `python -m core score`)" if fmt == "scores" else f"{only or 'train/eval'} scenes"
        raise BadInput(f"nothing to export: no {what} in {f'dataset {dataset!r}' if dataset else 'the database'}")
    frame = _native(_scene_fields(frame, session))
    rows = _eval_rows(frame) if fmt == "eval" else _score_rows(frame, session, dataset, limit is not None)
    return rows, facts | {"groups": frame[["dataset", "choice_cnt", "status"]]}


def preview_rows(
    *,
    engine: Engine,
    fmt: str,
    selection: str | None = None,
    status: str = DEFAULT_EXPORT_STATUS,
    dataset: str | None = None,
    split: str | None = None,
    pairs: str = SELECTION_PAIRS,
    limit: int = 5,
    run: str | None = None,
) -> list[dict]:
    """The first `limit` rows an export with these arguments would write (nothing written)."""
    with Session(engine) as session:
        rows, _ = _collect(
            session,
            fmt=fmt,
            selection=selection,
            status=status,
            dataset=dataset,
            split=split,
            pairs=pairs,
            limit=limit,
            run=run,
        )
    return rows


def _write(rows: list[dict], tmp: Path, parquet: bool) -> None:
    if parquet:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), tmp)
        return
    with tmp.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def default_export_dir(db: str) -> Path:
    """Where the app suggests writing exports: `exports/` beside a SQLite database file, else in the working folder."""
    file = database_file(db)
    return (file.parent if file else Path.cwd()) / "exports"


def manifest_path(out: Path) -> Path:
    """Where the manifest of an export file goes: `<file>.manifest.json` beside it."""
    return out.with_name(out.name + ".manifest.json")


def export(
    *,
    engine: Engine,
    fmt: str,
    out: str | Path,
    selection: str | None = None,
    status: str = DEFAULT_EXPORT_STATUS,
    parquet: bool = False,
    dataset: str | None = None,
    split: str | None = None,
    run: str | None = None,
    pairs: str = SELECTION_PAIRS,
    reviewer: str | None = None,
    force: bool = False,
) -> ExportResult:
    """Write one export file + manifest and record it with who wrote it (reviewer; Forbidden when read-only); zero
    rows, wrong arguments or a refused target (the database, not a regular file, an existing file without force)
    raise BadInput, nothing written.

    run: the evaluation run of the `evalresults` format; pairs: the DPO pairs (the selection's, or edits)."""
    protected = database_files(engine)
    out = check_target(out, protected=protected, force=force)
    check_target(manifest_path(out), protected=protected, force=force)
    with Session(engine) as session:
        if reviewer is not None:
            require_writer(session=session, name=reviewer)
        request = {"selection": selection, "status": status, "dataset": dataset, "split": split, "run": run}
        rows, facts = _collect(session, fmt=fmt, pairs=pairs, **request)
        groups = facts.pop("groups").value_counts().sort_index()
        counts = [{"dataset": d, "choice_cnt": int(c), "status": s, "rows": int(n)} for (d, c, s), n in groups.items()]
        with staged(out) as tmp, staged(manifest_path(out)) as tmp_manifest:
            _write(rows, tmp, parquet)
            sha = _sha256(tmp)
            manifest = {
                "file": out.name,
                **facts,
                "file_format": "parquet" if parquet else "jsonl",
                "rows": len(rows),
                "counts": counts,
                "sha256": sha,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "software_version": __version__,
                "exported_by": reviewer,
            }
            tmp_manifest.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            commit(tmp, out, force=force)
            commit(tmp_manifest, manifest_path(out), force=force)
        record_export(
            session=session,
            selection_name=facts["selection"],
            fmt=fmt + ("+parquet" if parquet else ""),
            path=str(out.resolve()),
            rows=len(rows),
            sha256=sha,
            manifest=manifest,
            reviewer=reviewer,
        )
    return ExportResult(path=out, rows=len(rows), sha256=sha, manifest=manifest)
