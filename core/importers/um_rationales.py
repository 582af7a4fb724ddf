"""Readers of the reference decisions (OpenAI batch output) and probs files of one role."""

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import BadInput
from core.importers.um_files import json_lines, row_index
from core.importers.um_sink import PROB_FLOOR
from core.progress import Bar
from core.prompts import LETTERS

_ALLOWED = [frozenset(LETTERS[:n]) for n in range(len(LETTERS) + 1)]


@dataclass
class TrainRows:
    """What the decisions/probs readers need of datasets/NAME_train.jsonl, by row index."""

    rel: str
    scene_id: list[int] = field(default_factory=list)
    choice_cnt: list[int] = field(default_factory=list)
    user: list[str] = field(default_factory=list)
    item: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.scene_id)


def distributions(choice: list, n: int, where: str) -> tuple[np.ndarray, dict[int, str]]:
    """[k, n] float64 from k letter->probability dicts: missing letters floored at 1e-10, rows renormalised."""
    allowed = _ALLOWED[n]
    rows = []
    for k, dist in enumerate(choice):
        if not isinstance(dist, dict) or not dist.keys() <= allowed:
            extra = sorted(set(dist) - allowed) if isinstance(dist, dict) else dist
            raise BadInput(f"{where}: distribution {k + 1} has keys outside {LETTERS[0]}..{LETTERS[n - 1]}: {extra!r}")
        rows.append([dist.get(letter, math.nan) for letter in LETTERS[:n]])
    try:
        probs = np.array(rows, dtype=np.float64).reshape(len(rows), n)
    except (TypeError, ValueError):
        raise BadInput(f"{where}: probabilities must be numbers") from None
    missing_mask = np.isnan(probs)
    if (probs[~missing_mask] < 0).any() or np.isinf(probs).any():
        raise BadInput(f"{where}: probabilities must be finite and >= 0")
    missing = {}
    for k in np.flatnonzero(missing_mask.any(axis=1)):
        letters = ", ".join(LETTERS[j] for j in np.flatnonzero(missing_mask[k]))
        missing[int(k)] = f"imported probabilities had no value for {letters}: floored at 1e-10 and renormalised"
    probs = np.maximum(np.where(missing_mask, PROB_FLOOR, probs), PROB_FLOOR)
    return probs / probs.sum(axis=1, keepdims=True), missing


@dataclass
class ProbsLine:
    """One probs line: train row, its distributions, the missing-letter notes and the decision_list."""

    lineno: int
    row: int
    probs: np.ndarray
    missing: dict[int, str]
    decision_list: list


def probs_lines(path: Path, rel: str, train: TrainRows, bar: Bar | None, report: dict) -> Iterator[ProbsLine]:
    """Probs lines follow the train file's rows (line i = row i); rows without a choice are counted and skipped."""
    row = -1
    for lineno, obj in json_lines(path, rel, bar):
        row += 1
        where = f"{rel}, line {lineno}"
        if row >= len(train):
            raise BadInput(f"{where}: more probability lines than rows in {train.rel} ({len(train)})")
        for key, known in (("user_id", train.user), ("item_id", train.item)):
            if obj.get(key) is not None and str(obj[key]) != known[row]:
                raise BadInput(
                    f"{where}: {key} {obj[key]!r} but row {row} of {train.rel} has {known[row]!r} "
                    "(probability lines must follow the train file's rows)"
                )
        choice = obj.get("choice")
        if choice is None or (isinstance(choice, float) and math.isnan(choice)) or choice == []:
            report["no_choice"] = report.get("no_choice", 0) + 1
            continue
        if not isinstance(choice, list):
            raise BadInput(f"{where}: 'choice' must be a list of letter -> probability objects")
        probs, missing = distributions(choice, train.choice_cnt[row], where)
        decision_list = obj.get("decision_list")
        yield ProbsLine(lineno, row, probs, missing, decision_list if isinstance(decision_list, list) else [])


class ProbTable:
    """Probabilities of one role kept compactly by train row until the decisions file is read."""

    def __init__(self, n_rows: int) -> None:
        self.offset = np.full(n_rows, -1, dtype=np.int64)
        self.count = np.zeros(n_rows, dtype=np.int64)
        self.lineno = np.zeros(n_rows, dtype=np.int64)
        self._flat = array("d")
        self.missing: dict[tuple[int, int], str] = {}
        self.used = np.zeros(n_rows, dtype=bool)

    def add(self, line: ProbsLine) -> None:
        self.offset[line.row] = len(self._flat)
        self.count[line.row] = len(line.probs)
        self.lineno[line.row] = line.lineno
        self._flat.frombytes(line.probs.tobytes())
        for k, note in line.missing.items():
            self.missing[(line.row, k)] = note

    def get(self, row: int, n: int) -> tuple[np.ndarray, dict[int, str]] | None:
        if self.offset[row] < 0:
            return None
        self.used[row] = True
        start, k = int(self.offset[row]), int(self.count[row])
        flat = np.frombuffer(self._flat, dtype=np.float64, count=k * n, offset=start * 8)
        notes = {j: self.missing[(row, j)] for j in range(k) if (row, j) in self.missing}
        return flat.reshape(k, n), notes


@dataclass
class DecisionLine:
    """One batch output line: its train row and the contents of its choices."""

    lineno: int
    row: int
    texts: list[str]
    model: str | None


def decision_lines(path: Path, rel: str, n_rows: int, bar: Bar | None, report: dict) -> Iterator[DecisionLine]:
    """Batch output lines by train row; unmatched custom_ids and failed requests are counted, duplicates refused."""
    seen: dict[int, int] = {}
    unmatched: list[str] = report.setdefault("unmatched_custom_ids", [])
    for lineno, obj in json_lines(path, rel, bar):
        where = f"{rel}, line {lineno}"
        if "custom_id" not in obj:
            raise BadInput(f"{where}: missing field 'custom_id'")
        row = row_index(obj["custom_id"])
        if row is None or row >= n_rows:
            unmatched.append(str(obj["custom_id"]))
            continue
        if row in seen:
            raise BadInput(f"{where}: custom_id {obj['custom_id']!r} repeats line {seen[row]}")
        seen[row] = lineno
        response = obj.get("response")
        body = response.get("body") if isinstance(response, dict) else None
        if not isinstance(body, dict):
            report["failed_requests"] = report.get("failed_requests", 0) + 1
            continue
        choices = body.get("choices")
        if not isinstance(choices, list):
            raise BadInput(f"{where}: response.body.choices must be a list")
        texts = []
        for choice in choices:
            message = choice.get("message") if isinstance(choice, dict) else None
            content = message.get("content") if isinstance(message, dict) else None
            texts.append(content if isinstance(content, str) else "")
        model = body.get("model")
        yield DecisionLine(lineno, row, texts, model if isinstance(model, str) else None)
