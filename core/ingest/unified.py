"""The unified form: a directory holding users.*, items.* and interactions.* (.csv, .jsonl or .parquet)."""

import json
from io import StringIO
from pathlib import Path

import pandas as pd

from core.errors import BadInput
from core.ingest.tables import LINE, Frames, Table, find_file, read_text

EXTS = (".csv", ".jsonl", ".parquet")
ID_COLUMNS = {"user_id": str, "item_id": str}


def _read_csv(path: Path, kind: str) -> Table:
    text = read_text(path)
    try:
        df = pd.read_csv(StringIO(text), dtype=ID_COLUMNS, skip_blank_lines=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise BadInput(f"{path.name}: {str(exc).strip()}") from None
    blank = df.isna().all(axis=1)
    if blank.any():  # keep file line numbers right when blank lines are skipped
        df[LINE] = df.index + 2
        df = df[~blank].reset_index(drop=True)
    return Table(kind, df, path.name, first_line=2)


def _read_jsonl(path: Path, kind: str) -> Table:
    text = read_text(path)
    try:
        df = pd.read_json(StringIO(text), lines=True, dtype=False)
    except ValueError:
        df = json_records(path, text)
    return Table(kind, df, path.name, first_line=1)


def json_records(path: Path, text: str) -> pd.DataFrame:
    """The slow, exact reading of JSON lines (only after pandas refused the file): BadInput naming the first line
    that is not a JSON object; otherwise the rows (numbers pandas cannot hold, such as 2**64, stay exact)."""
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{path.name}, line {number}, column {exc.colno}: not valid JSON ({exc.msg})") from None
        if not isinstance(value, dict):
            raise BadInput(f"{path.name}, line {number}: expected a JSON object per line") from None
        records.append(value)
    return pd.DataFrame.from_records(records)


def _read_parquet(path: Path, kind: str) -> Table:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise BadInput(f"{path.name}: not a readable Parquet file ({exc})") from None
    return Table(kind, df.reset_index(drop=True), path.name, first_line=1, unit="row")


READERS = {".csv": _read_csv, ".jsonl": _read_jsonl, ".parquet": _read_parquet}


def read_table(path: Path, kind: str) -> Table:
    """One unified table from a .csv, .jsonl or .parquet file."""
    return READERS[path.suffix](path, kind)


def read(root: Path) -> Frames:
    """The three unified tables from a directory."""
    users, items, inter = (read_table(find_file(root, kind, EXTS), kind) for kind in ("users", "items", "interactions"))
    return Frames(users, items, inter)
