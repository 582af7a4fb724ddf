"""Vectorised checks that turn three raw tables into clean, internally coded frames (or one BadInput)."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from core.errors import BadInput
from core.ingest.tables import LINE, Frames, Table, require_nonempty, years_to_ts
from core.limits import FEATURE, RELEASE_TS, TIMESTAMP, YEAR, Limit
from core.text_checks import NUL, text_problem, value_problem

REQUIRED = {"users": ["user_id"], "items": ["item_id", "title"], "interactions": ["user_id", "item_id", "timestamp"]}
RESERVED = {
    "users": {"user_id", LINE},
    "items": {"item_id", "title", "release_ts", LINE},
    "interactions": {"user_id", "item_id", "timestamp", "impressions", LINE},
}


@dataclass
class Clean:
    """Validated data: ids as text, interactions coded as positions into users/items."""

    users: pd.DataFrame  # user_id + feature columns
    items: pd.DataFrame  # item_id, title, release_ts (Int64) + feature columns
    user_pos: np.ndarray  # per interaction: row of users
    item_pos: np.ndarray  # per interaction: row of items
    timestamp: np.ndarray  # per interaction: int64 unix seconds
    features: pd.DataFrame  # per interaction: feature columns
    imp_rows: np.ndarray | None = None  # exploded impressions: interaction row ...
    imp_items: np.ndarray | None = None  # ... and item row, in interaction order


def _fail(table: Table, bad: np.ndarray, column: str | None, what: Callable[[int], str]) -> None:
    """Raise one BadInput for the first flagged row, counting the others."""
    positions = np.flatnonzero(bad)
    if len(positions) == 0:
        return
    more = f" ({len(positions) - 1} more rows like this)" if len(positions) > 1 else ""
    raise BadInput(f"{table.where(int(positions[0]), column)}: {what(int(positions[0]))}{more}")


def check_text_cells(table: Table) -> None:
    """BadInput naming the first column name or cell holding a NUL or a lone surrogate (lists and objects included).

    Readers call it when a file's text may hold one (a fast scan), and always for Parquet and in-memory frames."""
    for column in table.df.columns:
        if problem := text_problem(str(column)):
            place = f"{table.file}, line 1" if table.file and table.unit == "line" else table.file or table.kind
            raise BadInput(f"{place}: a column name holds {problem}; remove it")
    for column in table.df.columns:
        values = table.df[column]
        if values.dtype == object:  # Python objects: text, lists, dicts, one at a time
            problems = values.map(value_problem).reset_index(drop=True)
            found = problems.notna().to_numpy()
            _fail(table, found, str(column), lambda p, problems=problems: f"{problems.iloc[p]}; remove it")
        elif ptypes.is_string_dtype(values):  # Arrow text cannot hold a surrogate; look for NUL
            found = values.str.contains("\x00", regex=False).fillna(False).to_numpy(dtype=bool)
            _fail(table, found, str(column), lambda _p: f"{NUL}; remove it")


def _value(table: Table, column: str, pos: int) -> str:
    return repr(str(table.df[column].iloc[pos]))


_SCALAR_KINDS = ("string", "integer", "floating", "mixed-integer-float", "empty")


def _refuse_non_scalar(table: Table, raw: pd.Series, column: str) -> None:
    """An id is one text or number: a list, an object or true/false (JSON lines, Parquet) names its cell."""
    if ptypes.is_bool_dtype(raw):
        _fail(table, np.ones(len(raw), dtype=bool), column, lambda _p: "true/false, not an id")
    if raw.dtype != object or pd.api.types.infer_dtype(raw, skipna=True) in _SCALAR_KINDS:
        return
    kinds = raw.map(_non_scalar).reset_index(drop=True)
    _fail(table, kinds.notna().to_numpy(), column, lambda p: f"{kinds.iloc[p]}")


def _non_scalar(value: object) -> str | None:
    if isinstance(value, bool | np.bool_):
        return "true/false, not an id"
    if isinstance(value, dict):
        return "an object, not a single id"
    if isinstance(value, list | tuple | set | np.ndarray):
        return "a list, not a single id"
    return None


def _ids(table: Table, column: str) -> pd.Series:
    """An id column as text (1.0 read from a gappy numeric column becomes "1"); empty values are an error."""
    raw = table.df[column]
    _refuse_non_scalar(table, raw, column)
    empty = raw.isna().to_numpy()
    if ptypes.is_float_dtype(raw) and (raw.dropna() % 1 == 0).all():
        raw = raw.astype("Int64")
    ids = raw.astype(str).str.strip()
    _fail(table, empty | (ids == "").to_numpy(), column, lambda _p: f"empty {column}")
    return ids.reset_index(drop=True)


def _unique(table: Table, ids: pd.Series, column: str) -> None:
    dup = ids.duplicated(keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero((ids == ids.iloc[pos]).to_numpy())[0])
        first_at = table.where(first).split(", ")[-1]
        _fail(table, dup, column, lambda p: f"duplicate {column} {ids.iloc[p]!r} (first at {first_at})")


def _unix_seconds(dt: pd.Series) -> np.ndarray:
    """Float Unix seconds of datetimes at any resolution (years 1-9999 fit), NaN for NaT."""
    utc = dt.dt.tz_localize("UTC") if dt.dt.tz is None else dt.dt.tz_convert("UTC")
    values = utc.dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    missing = np.isnat(values)
    return np.where(missing, np.nan, values.astype(np.int64).astype(np.float64))


def parse_timestamps(table: Table, column: str, *, allow_missing: bool = False, rng: Limit = TIMESTAMP) -> np.ndarray:
    """Unix seconds from integers, floats, numeric or ISO 8601 text; BadInput names the first bad cell.

    Every value must lie in rng (core/limits.py): nothing wraps or saturates. int64 array, or float64 with NaN for
    missing cells when allow_missing.
    """
    raw = table.df[column].reset_index(drop=True)
    if ptypes.is_datetime64_any_dtype(raw):
        values = _unix_seconds(raw)
    elif ptypes.is_numeric_dtype(raw) and not ptypes.is_bool_dtype(raw):
        values = raw.to_numpy(dtype="float64", na_value=np.nan)
    else:
        text = raw.astype(str).str.strip().where(raw.notna())
        seconds = pd.to_numeric(text, errors="coerce").astype("float64")
        rest = seconds.isna() & text.notna()
        if rest.any():
            iso = pd.to_datetime(text[rest], format="ISO8601", utc=True, errors="coerce")
            seconds[rest] = _unix_seconds(iso)
        values = seconds.to_numpy(dtype="float64", na_value=np.nan)
    present = raw.notna().to_numpy()
    unparsed = np.isnan(values) & (present | ~allow_missing)
    _fail(
        table,
        unparsed,
        column,
        lambda p: (
            "empty timestamp"
            if pd.isna(raw.iloc[p])
            else f"cannot parse {_value(table, column, p)} as a timestamp (unix seconds or ISO 8601)"
        ),
    )
    _fail(
        table, rng.outside(values) & ~np.isnan(values), column, lambda p: rng.outside_message(_value(table, column, p))
    )
    if allow_missing:
        return np.floor(values)
    if ptypes.is_integer_dtype(raw):  # exact: no round trip through float for big (in-range) integers
        return raw.to_numpy(dtype=np.int64)
    return np.floor(values).astype(np.int64)


def check_numbers(
    table: Table, column: str, rng: Limit, *, label: str | None = None, text_is_missing: bool = False
) -> pd.Series:
    """The column as float64 (NaN = empty), every value in rng; BadInput names the first cell that is not a number
    (unless text_is_missing: then such text counts as empty) or lies outside the range."""
    raw = table.df[column].reset_index(drop=True)
    if ptypes.is_numeric_dtype(raw) and not ptypes.is_bool_dtype(raw):
        numbers = pd.Series(raw.to_numpy(dtype="float64", na_value=np.nan))
        given = ~numbers.isna()
    else:
        text = raw.astype(str).str.strip().where(raw.notna(), "")
        numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        given = text != ""
        if not text_is_missing:
            _fail(
                table,
                (given & numbers.isna()).to_numpy(),
                label or column,
                lambda p: f"{_value(table, column, p)} is not a number",
            )
        given &= numbers.notna()
    bad = given.to_numpy() & rng.outside(numbers.to_numpy())
    _fail(table, bad, label or column, lambda p: rng.outside_message(_value(table, column, p), label=rng.name))
    return numbers.where(given, np.nan)


def _codes(table: Table, ids: pd.Series, known: pd.Series, column: str, noun: str, source: str) -> np.ndarray:
    codes = pd.Index(known).get_indexer(ids).astype(np.int64)  # -1 = not found; known is unique
    _fail(table, codes < 0, column, lambda p: f"unknown {noun} {ids.iloc[p]!r} (not in {source})")
    return codes


def _impressions(table: Table, items: pd.Series, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Explode the impressions column (lists, or JSON list text as in CSV) into (row, item row) pairs."""
    raw = table.df["impressions"].reset_index(drop=True)
    raw = raw[raw.notna()]
    if pd.api.types.infer_dtype(raw, skipna=True) == "string":
        inner = raw.str.strip().str.removeprefix("[").str.removesuffix("]")
        exploded = inner.str.split(",").explode().str.strip().str.strip("\"'")
    else:
        exploded = raw.explode().astype(str)
    exploded = exploded[exploded.notna() & (exploded != "") & (exploded != "nan")]
    rows = exploded.index.to_numpy(dtype=np.int64)
    codes = pd.Index(items).get_indexer(exploded.to_numpy(dtype=str)).astype(np.int64)
    if (codes < 0).any():
        k = int(np.flatnonzero(codes < 0)[0])
        bad = np.zeros(len(table.df), dtype=bool)
        bad[rows[codes < 0]] = True
        _fail(table, bad, "impressions", lambda _p: f"unknown item {exploded.iloc[k]!r} (not in {source})")
    return rows, codes


def _check_columns(table: Table) -> None:
    missing = [c for c in REQUIRED[table.kind] if c not in table.df.columns]
    if missing:
        place = (
            f"{table.file}, line 1" if table.file and table.unit == "line" else (table.file or f"{table.kind} frame")
        )
        have = ", ".join(str(c) for c in table.df.columns if c != LINE) or "none"
        raise BadInput(f"{place}: missing column {missing[0]!r} (columns found: {have})")


def _features(table: Table) -> list[str]:
    return [c for c in table.df.columns if c not in RESERVED[table.kind]]


def _finite_features(table: Table) -> None:
    """Numbers in feature columns are stored as JSON, which has no infinity: refuse one rather than store null."""
    for column in _features(table):
        if ptypes.is_float_dtype(table.df[column]):
            check_numbers(table, column, FEATURE)


def validate(frames: Frames) -> Clean:
    """Check columns, ids, references, timestamps and numbers; raise one BadInput naming file, line and column."""
    for table in (frames.users, frames.items, frames.interactions):
        if table.file is None:  # in-memory frames: no reader has looked at their text
            check_text_cells(table)
        require_nonempty(table)
        _check_columns(table)
        _finite_features(table)
    users_t, items_t, inter_t = frames.users, frames.items, frames.interactions
    user_ids = _ids(users_t, "user_id")
    _unique(users_t, user_ids, "user_id")
    item_ids = _ids(items_t, "item_id")
    _unique(items_t, item_ids, "item_id")

    users = users_t.df[_features(users_t)].reset_index(drop=True)
    users.insert(0, "user_id", user_ids)
    items = items_t.df[_features(items_t)].reset_index(drop=True)
    items.insert(0, "item_id", item_ids)
    titles = items_t.df["title"].reset_index(drop=True)
    items.insert(1, "title", titles.astype(str).where(titles.notna(), ""))
    if "release_ts" in items_t.df.columns:
        parsed = parse_timestamps(items_t, "release_ts", allow_missing=True, rng=RELEASE_TS)
        release = pd.Series(parsed).astype("Int64")
    elif "year" in items.columns:
        release = years_to_ts(check_numbers(items_t, "year", YEAR))
    else:
        release = pd.Series(pd.NA, index=items.index, dtype="Int64")
    items.insert(2, "release_ts", release)

    users_src = users_t.file or "the users"
    items_src = items_t.file or "the items"
    user_pos = _codes(inter_t, _ids(inter_t, "user_id"), user_ids, "user_id", "user", users_src)
    item_pos = _codes(inter_t, _ids(inter_t, "item_id"), item_ids, "item_id", "item", items_src)
    timestamp = parse_timestamps(inter_t, "timestamp")
    imp_rows = imp_items = None
    if "impressions" in inter_t.df.columns:
        imp_rows, imp_items = _impressions(inter_t, item_ids, items_src)
    features = inter_t.df[_features(inter_t)].reset_index(drop=True)
    return Clean(users, items, user_pos, item_pos, timestamp, features, imp_rows, imp_items)
