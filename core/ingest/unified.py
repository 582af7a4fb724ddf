"""The unified form: a directory holding users.*, items.* and interactions.* (.csv, .jsonl or .parquet)."""

import csv
import json
from io import StringIO
from pathlib import Path

import pandas as pd

from core.errors import BadInput
from core.ingest.tables import LINE, Frames, Table, find_file, read_text
from core.ingest.validate import check_text_cells
from core.text_checks import suspect, text_problem, value_problem

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
    table = Table(kind, df, path.name, first_line=2)
    _refuse_repeated_columns(path, text)
    if suspect(text):
        check_text_cells(table)
    return table


def _refuse_repeated_columns(path: Path, text: str) -> None:
    """pandas renames a repeated header name to NAME.1; refuse it instead, naming the column."""
    header = next(csv.reader(StringIO(text.split("\n", 1)[0])), [])
    seen: set[str] = set()
    for name in (h.strip() for h in header):
        if name in seen:
            raise BadInput(f"{path.name}, line 1: column {name!r} appears twice; give every column its own name")
        seen.add(name)


def _read_jsonl(path: Path, kind: str) -> Table:
    return Table(kind, read_json_lines(path, read_text(path)), path.name, first_line=1)


def read_json_lines(path: Path, text: str) -> pd.DataFrame:
    """JSON lines as a frame: pandas' fast reader, and the exact one line by line wherever that refuses the file or
    the text may hold a NUL or a lone surrogate (pandas' reader drops a lone surrogate without a word)."""
    if suspect(text, json=True):
        return _json_records(path, text, check_text=True)
    try:
        return pd.read_json(StringIO(text), lines=True, dtype=False)
    except (ValueError, TypeError, RecursionError):  # not objects, too deep, numbers past int64, broken lines
        return _json_records(path, text)


def _json_records(path: Path, text: str, *, check_text: bool = False) -> pd.DataFrame:
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
        except RecursionError:
            raise BadInput(f"{path.name}, line {number}: nested too deep to read") from None
        if not isinstance(value, dict):
            raise BadInput(f"{path.name}, line {number}: expected a JSON object per line") from None
        if check_text:
            _check_record(value, f"{path.name}, line {number}")
        records.append(value)
    return pd.DataFrame.from_records(records)


def _read_parquet(path: Path, kind: str) -> Table:
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise BadInput(f"{path.name}: not a readable Parquet file ({exc})") from None
    table = Table(kind, df.reset_index(drop=True), path.name, first_line=1, unit="row")
    _refuse_raw_bytes(table)
    check_text_cells(table)
    return table


def _refuse_raw_bytes(table: Table) -> None:
    """A binary Parquet column holds bytes, not text: refuse it, naming the first cell (no encoding to trust)."""
    for column in table.df.columns:
        values = table.df[column]
        if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("bytes", "mixed"):
            raw = values.map(lambda v: isinstance(v, bytes | bytearray)).to_numpy(dtype=bool)
            if raw.any():
                where = table.where(int(raw.argmax()), str(column))
                raise BadInput(f"{where}: raw bytes, not text; store the column as a Parquet string (UTF-8)")


def _check_record(record: dict, where: str) -> None:
    for key, value in record.items():
        if problem := text_problem(key):
            raise BadInput(f"{where}: a column name holds {problem}; remove it")
        if problem := value_problem(value):
            raise BadInput(f"{where}, column {key}: {problem}; remove it")


READERS = {".csv": _read_csv, ".jsonl": _read_jsonl, ".parquet": _read_parquet}


def read_table(path: Path, kind: str) -> Table:
    """One unified table from a .csv, .jsonl or .parquet file."""
    return READERS[path.suffix](path, kind)


def read(root: Path) -> Frames:
    """The three unified tables from a directory."""
    users, items, inter = (read_table(find_file(root, kind, EXTS), kind) for kind in ("users", "items", "interactions"))
    return Frames(users, items, inter)
