"""core/markdown_table.py: small tables as markdown, every cell escaped, on one line, formats and links exact."""

import math
import re
from datetime import datetime

import pandas as pd

from core.markdown_table import MISSING, decimals, figures_row, frame_table, markdown_table, percent, timestamp

EVIL = "<b>x</b> | **bold** [a](javascript:alert(1))\nnext"


def test_a_table_with_formats_headers_links_and_missing_values():
    rows = [
        {"id": 3, "share": 0.5, "kappa": None, "name": "ann"},
        {"id": 12, "share": 1, "kappa": math.nan, "name": "b"},
    ]
    body = markdown_table(
        rows,
        ("open", "name", "share", "kappa"),
        formats={"share": percent, "kappa": decimals(3)},
        links={"open": lambda r: ("review", f"review?scene={r['id']}")},
        headers={"kappa": "Cohen's kappa"},
    )
    assert body.split("\n") == [
        "| open | name | share | Cohen\\'s kappa |",
        "| --- | --- | --- | --- |",
        "| [review](review?scene=3) | ann | 50\\.0 % | — |",
        "| [review](review?scene=12) | b | 100\\.0 % | — |",
    ]
    assert decimals(3)(0.5624) == "0.562" and percent(0.811) == "81.1 %"


def test_data_text_is_escaped_and_stays_on_its_row():
    body = markdown_table([{"name": EVIL, "n": 2}], ("name", "n"))
    header, rule, row = body.split("\n")  # the newline in the text did not start a new row
    assert len(re.split(r"(?<!\\) \| ", row[2:-2])) == 2  # two cells: the pipe in the text is escaped
    assert not re.search(r"(?<!\\)(<|\*\*bold|\]\(javascript)", row)
    assert re.sub(r"\\(.)", r"\1", row) == "| <b>x</b> | **bold** [a](javascript:alert(1)) next | 2 |"


def test_no_rows_is_a_header_only():
    assert markdown_table([], ("a",)) == "| a |\n| --- |"


def test_a_frame_and_a_row_of_figures():
    frame = pd.DataFrame({"dataset": ["a|b", "c"], "kept": [3, 0]})
    assert frame_table(frame) == "| dataset | kept |\n| --- | --- |\n| a\\|b | 3 |\n| c | 0 |"
    assert figures_row({"Scored scenes": 8, "Kept": 4}) == "| Scored scenes | Kept |\n| --- | --- |\n| 8 | 4 |"


def test_a_timestamp_to_the_second_and_a_missing_one():
    assert timestamp(datetime(2026, 12, 2, 17, 31, 30, 999_999)) == "2026-12-02 17:31:30"
    assert timestamp(pd.Timestamp("2026-01-02 03:04:05.6")) == "2026-01-02 03:04:05"
    assert timestamp(pd.NaT) == timestamp(None) == MISSING
    assert markdown_table([{"when": pd.NaT}], ("when",), formats={"when": timestamp}).endswith("| — |")
