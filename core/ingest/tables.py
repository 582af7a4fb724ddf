"""Raw tables as read from files, with enough provenance to name file, line and column in an error."""

import gzip
import re
import warnings
import zlib
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import BadInput
from core.text_checks import NUL

LINE = "_line"  # optional column: the 1-based file line each row came from


@dataclass
class Table:
    """One input table (users, items or interactions) and where it came from."""

    kind: str  # users | items | interactions
    df: pd.DataFrame
    file: str | None = None  # display name of the source file; None for in-memory frames
    first_line: int = 1  # file line of row 0 (2 when a header line precedes it)
    unit: str = "line"  # "row" for Parquet, which has no lines

    def lines(self, positions: np.ndarray) -> np.ndarray:
        """File lines (or 1-based row numbers) of the rows at these positions."""
        if LINE in self.df.columns:
            return self.df[LINE].to_numpy()[positions]
        return np.asarray(positions) + self.first_line

    def where(self, position: int, column: str | None = None) -> str:
        """'users.csv, line 7, column user_id' for the row at this position."""
        line = int(self.lines(np.array([position]))[0])
        place = f"{self.file}, {self.unit} {line}" if self.file else f"{self.kind} frame, row {line}"
        return f"{place}, column {column}" if column else place


@dataclass
class Frames:
    """The three unified tables a reader produces."""

    users: Table
    items: Table
    interactions: Table


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The file's text (a .gz file decompressed); BadInput if it is empty, a broken archive or not valid UTF-8
    (naming line and column of the first bad byte)."""
    if not path.is_file():
        raise BadInput(f"{path.parent}: missing file {path.name}")
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:  # not gzip, cut off, or corrupt
            raise BadInput(f"{path.name}: not a complete gzip file ({exc})") from None
    if not data.strip():
        raise BadInput(f"{path.name}: the file is empty")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BadInput(
            f"{path.name}, line {line}, column {column} (byte {exc.start}): not valid UTF-8 "
            f"(byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def require_nonempty(table: Table) -> None:
    """An input with a header but no data rows is an empty file too."""
    if table.df.empty:
        raise BadInput(f"{table.file or table.kind}: the file is empty (no data rows)")


def read_dat(path: Path, names: list[str], *, encoding: str = "utf-8", sep: str = "::") -> pd.DataFrame:
    """Read a headerless separated file with the fast C parser, every field as text (empty fields are "")."""
    text = read_text(path, encoding)
    if "\x00" in text:
        _refuse_nul(path, text, sep, names)
    if len(sep) > 1:  # the C parser takes one-character separators only; \x1f never occurs in these files
        text, sep = text.replace(sep, "\x1f"), "\x1f"
    try:
        with warnings.catch_warnings():  # a line with more fields than names would shift every column silently
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                StringIO(text),
                sep=sep,
                header=None,
                names=names,
                dtype=str,
                quoting=3,
                keep_default_na=False,
                na_filter=False,
                index_col=False,
            )
    except pd.errors.ParserWarning:
        lines = pd.Series(text.split("\n"))
        extra = int(np.flatnonzero((lines.str.count(re.escape(sep)) + 1 > len(names)).to_numpy())[0])
        raise BadInput(f"{path.name}, line {extra + 1}: more than the {len(names)} fields {names}") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise BadInput(f"{path.name}: {str(exc).strip()}") from None


def _refuse_nul(path: Path, text: str, sep: str, names: list[str]) -> None:
    """BadInput naming line and field of the first NUL character."""
    at = text.index("\x00")
    start = text.rfind("\n", 0, at) + 1
    field = text.count(sep, start, at)
    column = f", column {names[field]}" if field < len(names) else ""
    raise BadInput(f"{path.name}, line {text.count(chr(10), 0, at) + 1}{column}: {NUL}; remove it")


def find_file(root: Path, stem: str, exts: tuple[str, ...]) -> Path:
    """The file root/stem.<ext> for the first extension that exists, else BadInput naming what was looked for."""
    for ext in exts:
        candidate = root / f"{stem}{ext}"
        if candidate.is_file():
            return candidate
    wanted = ", ".join(f"{stem}{ext}" for ext in exts)
    raise BadInput(f"{root}: no {stem} file found (expected one of {wanted})")


def years_to_ts(years: pd.Series) -> pd.Series:
    """Unix seconds of Jan 1 (UTC) of each year; <NA> where the year is missing. Valid for any integer year."""
    y = pd.to_numeric(years, errors="coerce")
    known = y.notna().to_numpy()
    yy = np.where(known, y.fillna(1970).to_numpy(dtype="float64"), 1970).astype(np.int64) - 1  # Jan counts as month 13
    era = np.floor_divide(yy, 400)
    yoe = yy - era * 400
    doe = yoe * 365 + yoe // 4 - yoe // 100 + 306  # days_from_civil (H. Hinnant) for month 1, day 1
    days = era * 146097 + doe - 719468
    out = pd.Series(days * 86400, index=years.index, dtype="Int64")
    return out.where(known, pd.NA)


def year_from_title(titles: pd.Series) -> pd.Series:
    """The '(1995)' year at the end of a movie title, as Int64 (<NA> when absent)."""
    return pd.to_numeric(titles.str.extract(r"\((\d{4})\)\s*$", expand=False), errors="coerce").astype("Int64")
