"""Read Overview's markdown tables (core/markdown_table.py) as a user sees them: rows of cell texts, unescaped."""

import re

from streamlit.testing.v1 import AppTest


def table_rows(at: AppTest, *headers: str) -> list[list[str]]:
    """The rows of the one markdown table whose header is exactly headers (cells unescaped, links as their text
    followed by their URL in brackets: 'review (review?scene=3)')."""
    head = "| " + " | ".join(headers) + " |"
    found = [m.value for m in at.markdown if _unescape(m.value.split("\n")[0]) == head]
    assert len(found) == 1, [m.value.split("\n")[0] for m in at.markdown]
    return table_rows_of(found[0])


def table_rows_of(body: str) -> list[list[str]]:
    """The rows of one markdown table's body (below its header and rule)."""
    return [_cells(line) for line in body.split("\n")[2:]]


def _cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\) \| ", line[2:-2])
    return [re.sub(r"^\[(.*)\]\((.*)\)$", r"\1 (\2)", _unescape(cell)) for cell in cells]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


FIGURES = ("Krippendorff's alpha", "Double-reviewed scenes", "Waiting for an admin", "Decided by an admin")


def agreement_figures(at: AppTest) -> dict[str, str]:
    """Overview's agreement figures (one markdown row): name -> the text shown."""
    [row] = table_rows(at, *FIGURES)
    return dict(zip(FIGURES, row, strict=True))
