"""README's Reliability table states the number of hostile rows per attack class: it must match the tables."""

import re
from pathlib import Path

from tests.hostile import test_credentials, test_export_targets, test_numbers, test_text, test_tracebacks

README = Path(__file__).resolve().parents[2] / "README.md"
TABLES = {
    "export targets": test_export_targets.ATTACKS,
    "numbers in data files": test_numbers.DATA,
    "numeric options and settings": test_numbers.OPTIONS,
    "malformed structure → one message": test_tracebacks.ATTACKS,
    "credentials in URLs": test_credentials.ATTACKS,
    "text and layout": test_text.ATTACKS,
}


def test_readme_counts_every_attack_class():
    rows = dict(re.findall(r"^\| (.+?) \(`test_\w+\.py`\) \| (\d+) \|", README.read_text(encoding="utf-8"), re.M))
    assert {name: int(n) for name, n in rows.items()} == {name: len(rows_) for name, rows_ in TABLES.items()}
