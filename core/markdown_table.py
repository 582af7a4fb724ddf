"""Small tables as GitHub-flavoured markdown, for pages that show a few rows at a glance: every cell is text escaped
with escape_markdown (dataset and reviewer names are data), so nothing in it is rendered as markdown or HTML.

Why not st.dataframe: each one makes a fresh tab load and run the data-grid chunk and mount a canvas grid, about
0.5 s of the browser's main thread per table on this 2-core machine; a markdown table is drawn by the renderer every
page already uses (measured on Overview with bench/bench_agreement.py: README performance table). Why not st.metric
for a few counts (figures_row): a fresh tab's first metric loads the Metric chunk (number formatting, the chart
loader), ~0.3 x a bare page's fresh tab here."""

import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from core.app_support import escape_markdown

Format = Callable[[object], str]
MISSING = "—"


def percent(value: object) -> str:
    """0.8 -> '80.0 %'."""
    return f"{float(value) * 100:.1f} %"


def decimals(places: int) -> Format:
    """A formatter with a fixed number of decimals."""
    return lambda value: f"{float(value):.{places}f}"


def timestamp(value: object) -> str:
    """A datetime to the second, as st.dataframe showed it: '2026-12-02 17:31:30' (NaT: missing)."""
    return MISSING if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M:%S}"


def _cell(value: object, fmt: Format | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    shown = fmt(value) if fmt else str(value)
    return escape_markdown(" ".join(shown.split()))  # one line: a newline would end the table row


def markdown_table(
    rows: Sequence[Mapping[str, object]],
    columns: Sequence[str],
    *,
    formats: Mapping[str, Format] | None = None,
    links: Mapping[str, Callable[[Mapping[str, object]], tuple[str, str]]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """A markdown table of rows (dicts) under columns; formats: column -> text of a value (escaped after); links:
    column -> (text, relative URL) of a row, shown as a link (the URL must be built by the caller from trusted parts,
    e.g. an integer id); headers: column -> the header shown (default the column's name)."""
    formats, links, headers = formats or {}, links or {}, headers or {}
    head = [escape_markdown(headers.get(c, c)) for c in columns]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(columns)]
    for row in rows:
        cells = []
        for column in columns:
            if column in links:
                label, url = links[column](row)
                cells.append(f"[{escape_markdown(label)}]({url})")
            else:
                cells.append(_cell(row.get(column), formats.get(column)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def frame_table(frame: pd.DataFrame, *, formats: Mapping[str, Format] | None = None) -> str:
    """A small data frame as a markdown table: its rows under its columns (formats as markdown_table's)."""
    return markdown_table(frame.to_dict("records"), list(frame.columns), formats=formats)


def figures_row(figures: Mapping[str, object], *, formats: Mapping[str, Format] | None = None) -> str:
    """A few named counts as one markdown row: the names as headers, the values below."""
    return markdown_table([figures], list(figures), formats=formats)
