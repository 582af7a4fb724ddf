"""Which usermirrorer files a directory holds, their content hash, and a JSON-lines reader that names file and line.

Accepted names (DIR = --path, NAME = --dataset):
- reference working directory: DIR/datasets/NAME_train.jsonl, DIR/datasets/NAME_eval.jsonl,
  DIR/decisions/NAME_decisions_strong.jsonl, DIR/decisions/NAME_decisions_weak.jsonl,
  DIR/probs/NAME_probs_strong.jsonl, DIR/probs/NAME_probs_weak.jsonl;
- public Hugging Face sets saved as JSON lines: the eval set as DIR/UserMirrorer-eval*.jsonl (or
  DIR/UserMirrorer_eval*.jsonl), the DPO training set as DIR/UserMirrorer.jsonl, DIR/UserMirrorer-train*.jsonl
  (or DIR/UserMirrorer_train*.jsonl), and the reference filter's own output DIR/datasets/*_pref.jsonl.
"""

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.errors import BadInput
from core.limits import TIMESTAMP
from core.progress import Bar
from storage.constants import ROLES

_decode = json.JSONDecoder().decode
HF_EVAL_GLOBS = ("UserMirrorer-eval*.jsonl", "UserMirrorer_eval*.jsonl")
HF_DPO_GLOBS = ("UserMirrorer.jsonl", "UserMirrorer-train*.jsonl", "UserMirrorer_train*.jsonl", "datasets/*_pref.jsonl")


@dataclass
class Found:
    """The files of one import: single working-directory files by kind, plus lists of public files."""

    root: Path
    single: dict[str, Path]  # train, eval, decisions_strong, decisions_weak, probs_strong, probs_weak
    hf_eval: list[Path]
    hf_dpo: list[Path]
    missing: list[str]  # expected names not found, relative to root

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def all(self) -> list[Path]:
        return sorted([*self.single.values(), *self.hf_eval, *self.hf_dpo])


def expected_single(name: str) -> dict[str, str]:
    """Working-directory kind -> path relative to DIR."""
    names = {"train": f"datasets/{name}_train.jsonl", "eval": f"datasets/{name}_eval.jsonl"}
    for role in ROLES:
        names[f"decisions_{role}"] = f"decisions/{name}_decisions_{role}.jsonl"
        names[f"probs_{role}"] = f"probs/{name}_probs_{role}.jsonl"
    return names


def find_files(root: Path, name: str) -> Found:
    """Every accepted file in root; names of the expected ones that are absent."""
    if not root.is_dir():
        raise BadInput(f"{root}: not a directory")
    single, missing = {}, []
    for kind, rel in expected_single(name).items():
        if (root / rel).is_file():
            single[kind] = root / rel
        else:
            missing.append(rel)
    hf_eval = sorted({p for g in HF_EVAL_GLOBS for p in root.glob(g) if p.is_file()})
    hf_dpo = sorted({p for g in HF_DPO_GLOBS for p in root.glob(g) if p.is_file()})
    if not hf_eval:
        missing.append(" or ".join(HF_EVAL_GLOBS) + " (public eval set)")
    if not hf_dpo:
        missing.append(" or ".join(HF_DPO_GLOBS) + " (public DPO training set)")
    return Found(root=root, single=single, hf_eval=hf_eval, hf_dpo=hf_dpo, missing=missing)


def content_hash(found: Found) -> str:
    """sha256 over every accepted file's relative name and bytes: equal hash = the same import."""
    digest = hashlib.sha256()
    for path in found.all():
        digest.update(found.rel(path).encode() + b"\0")
        with path.open("rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    return digest.hexdigest()


def json_lines(path: Path, rel: str, bar: Bar | None = None) -> Iterator[tuple[int, dict]]:
    """(1-based line number, object) for each non-blank line; BadInput naming file and line otherwise."""
    pending = 0
    with path.open("rb") as handle:
        for lineno, raw in enumerate(handle, 1):
            pending += len(raw)
            if bar is not None and pending > 1 << 20:
                bar.update(pending)
                pending = 0
            if not raw.strip():
                continue
            try:
                obj = _decode(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise BadInput(f"{rel}, line {lineno}: not UTF-8 ({exc.reason})") from None
            except ValueError as exc:
                raise BadInput(f"{rel}, line {lineno}: not valid JSON ({exc})") from None
            if not isinstance(obj, dict):
                raise BadInput(f"{rel}, line {lineno}: expected a JSON object, got {type(obj).__name__}")
            yield lineno, obj
    if bar is not None:
        bar.update(pending)


def _in_range(seconds: int, value, where: str) -> int:
    if not TIMESTAMP.contains(seconds):
        raise BadInput(f"{where}: timestamp {TIMESTAMP.outside_message(repr(value))}")
    return seconds


def unix_seconds(value, where: str) -> int:
    """Int unix seconds from epoch s/ms/us/ns numbers (pandas writes datetimes as epoch ms) or ISO 8601 text;
    BadInput for anything else or outside the valid range of timestamps (core/limits.py)."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        size = abs(value)
        scale = 10**9 if size >= 1e17 else 10**6 if size >= 1e14 else 10**3 if size >= 1e11 else 1
        return _in_range(int(value // scale), value, where)
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            try:
                aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
                return _in_range(int(aware.timestamp()), value, where)
            except OverflowError:  # an offset that takes year 1 or 9999 past the calendar
                raise BadInput(f"{where}: timestamp {TIMESTAMP.outside_message(repr(value))}") from None
    raise BadInput(f"{where}: timestamp {value!r} is neither epoch seconds/milliseconds nor ISO 8601")


def row_index(custom_id) -> int | None:
    """The train-file row a batch custom_id ("<dataset>-<row>") points at; None when it ends in no number."""
    if not isinstance(custom_id, str):
        return None
    tail = custom_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None
