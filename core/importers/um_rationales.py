"""Readers of the reference decisions (OpenAI batch output) and probs files of one role."""

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.errors import BadInput
from core.importers.um_files import json_lines, row_index
from core.importers.um_scenes import scene_row
from core.importers.um_sink import PROB_FLOOR
from core.progress import Bar
from storage.constants import LETTERS

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


def _number(value, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadInput(f"{where}: probabilities must be numbers, got {value!r}")
    return float(value)


@dataclass
class ProbsLine:
    """One probs line with a choice: its train row, the letter -> probability dicts and the decision_list."""

    lineno: int
    row: int
    choice: list
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
        decision_list = obj.get("decision_list")
        yield ProbsLine(lineno, row, choice, decision_list if isinstance(decision_list, list) else [])


class ProbTable:
    """One role's probabilities by train row: collected raw per line, then checked, floored (1e-10, as the
    reference's get_prob) and renormalised in one vectorised pass by finish()."""

    def __init__(self, train: TrainRows, rel: str) -> None:
        n_rows = len(train)
        self.train, self.rel = train, rel
        self.offset = np.full(n_rows, -1, dtype=np.int64)  # first value of the row in the flat array
        self.first = np.zeros(n_rows, dtype=np.int64)  # index of the row's first distribution
        self.count = np.zeros(n_rows, dtype=np.int64)
        self.lineno = np.zeros(n_rows, dtype=np.int64)
        self.used = np.zeros(n_rows, dtype=bool)
        self._raw, self._lengths, self._lines = array("d"), array("q"), array("q")
        self.flat = np.zeros(0)
        self.notes: dict[tuple[int, int], str] = {}

    def add(self, line: ProbsLine) -> None:
        row, n = line.row, self.train.choice_cnt[line.row]
        where = f"{self.rel}, line {line.lineno}"
        allowed, letters, nans = _ALLOWED[n], LETTERS[:n], [math.nan] * n
        self.offset[row], self.first[row] = len(self._raw), len(self._lengths)
        self.count[row], self.lineno[row] = len(line.choice), line.lineno
        for k, dist in enumerate(line.choice):
            if not isinstance(dist, dict) or not dist.keys() <= allowed:
                extra = sorted(set(dist) - allowed) if isinstance(dist, dict) else dist
                raise BadInput(f"{where}: distribution {k + 1} has keys outside A..{LETTERS[n - 1]}: {extra!r}")
            before = len(self._raw)
            try:
                self._raw.extend(map(dist.get, letters, nans))
            except TypeError:  # null or non-numbers: the slow, checking path
                del self._raw[before:]
                self._raw.extend(_number(dist.get(letter), where) for letter in letters)
        self._lengths.extend([n] * len(line.choice))
        self._lines.extend([line.lineno] * len(line.choice))

    def finish(self) -> None:
        flat, lengths = np.array(self._raw, dtype=np.float64), np.array(self._lengths, dtype=np.int64)
        self._raw = array("d")
        if not len(lengths):
            return
        missing = np.isnan(flat)
        bad = ~missing & ((flat < 0) | np.isinf(flat))
        starts = np.cumsum(lengths) - lengths
        if bad.any():
            line = self._lines[int(np.searchsorted(starts, np.argmax(bad), side="right")) - 1]
            raise BadInput(f"{self.rel}, line {line}: probabilities must be finite and >= 0")
        flat = np.maximum(np.where(missing, PROB_FLOOR, flat), PROB_FLOOR)
        flat /= np.repeat(np.add.reduceat(flat, starts), lengths)
        dist_rows = np.repeat(np.flatnonzero(self.offset >= 0), self.count[self.offset >= 0])
        for d in np.flatnonzero(np.add.reduceat(missing.astype(np.int64), starts)):
            row = int(dist_rows[d])
            letters = ", ".join(LETTERS[j] for j in np.flatnonzero(missing[starts[d] : starts[d] + lengths[d]]))
            note = f"imported probabilities had no value for {letters}: floored at 1e-10 and renormalised"
            self.notes[(row, int(d - self.first[row]))] = note
        self.flat = flat

    def get(self, row: int) -> tuple[np.ndarray, dict[int, str]] | None:
        if self.offset[row] < 0:
            return None
        self.used[row] = True
        start, k, n = int(self.offset[row]), int(self.count[row]), self.train.choice_cnt[row]
        notes = {j: self.notes[(row, j)] for j in range(k) if (row, j) in self.notes}
        return self.flat[start : start + k * n].reshape(k, n), notes


def load_probs(path: Path, rel: str, train: TrainRows, bar: Bar | None) -> tuple[ProbTable, dict]:
    """One role's probs file as a finished ProbTable, and its per-file counts."""
    table = ProbTable(train, rel)
    notes = {"scenes": 0, "distributions": 0}
    for line in probs_lines(path, rel, train, bar, notes):
        table.add(line)
        notes["scenes"] += 1
        notes["distributions"] += len(line.choice)
    table.finish()
    notes["missing_letters"] = len(table.notes)
    return table, notes


def load_probs_apart(train_path: Path, train_rel: str, path: Path, rel: str) -> tuple[ProbTable, dict]:
    """load_probs in a worker process, while the importer writes scenes: it reads the train rows it needs itself
    (a malformed train line is reported by the importer first) and returns the table without them."""
    train = TrainRows(rel=train_rel)
    for lineno, obj in json_lines(train_path, train_rel):
        scene = scene_row(obj, f"{train_rel}, line {lineno}")
        train.scene_id.append(-1)
        train.choice_cnt.append(len(scene.options))
        train.user.append(scene.user)
        train.item.append(scene.item)
    table, notes = load_probs(path, rel, train, None)
    table.train = None
    return table, notes


def _content(choice) -> str:
    message = choice.get("message") if isinstance(choice, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


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
        try:
            texts = [choice["message"]["content"] for choice in choices]
            if not all(type(text) is str for text in texts):
                raise TypeError
        except (KeyError, TypeError):  # a choice without text content (e.g. a refusal) imports as ""
            texts = [_content(choice) for choice in choices]
        model = body.get("model")
        yield DecisionLine(lineno, row, texts, model if isinstance(model, str) else None)
