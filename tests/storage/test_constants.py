"""The shared names: one light module each, and the Score table has exactly the score columns."""

import json
import subprocess
import sys

from storage.constants import COUNT_COLUMNS, RANK_COLUMNS, SCORE_COLUMNS, STATUSES, letter
from storage.models import Score


def test_constants_modules_import_nothing_heavy():
    code = (
        "import json, sys; before = set(sys.modules); import storage.constants, core.choices; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
    assert [m for m in loaded if m.split(".")[0] not in ("storage", "core", "string", "_string")] == []
    assert {m for m in loaded if m.split(".")[0] in ("storage", "core")} == {
        "storage",
        "storage.constants",
        "core",
        "core.choices",
    }


def test_score_columns_are_the_score_tables_numeric_columns():
    numeric = [c for c in Score.model_fields if c not in ("scene_id", "computed_at") and not c.endswith("_id")]
    assert tuple(numeric) == SCORE_COLUMNS
    assert RANK_COLUMNS[:4] == ("diff_model", "diff_total", "diff_data", "diff_hit")
    assert set(RANK_COLUMNS) == set(SCORE_COLUMNS) - set(COUNT_COLUMNS)


def test_letters_and_statuses():
    assert [letter(k) for k in (0, 1, 25, 26, -1)] == ["A", "B", "Z", "#26", "#-1"]
    assert STATUSES == ("pending", "approved", "rejected")
