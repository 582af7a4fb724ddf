"""CLI start-up stays light: heavy stage modules load inside run(), and the help-text constants match theirs."""

import itertools
import json
import re
import subprocess
import sys

from core.cli import demo_cmd, endpoints_cmd, export_cmd, ingest_cmd, llm_cmd, scenes_cmd, score_cmd

HEAVY = ("sklearn", "scipy", "openai", "pandas", "pyarrow", "core.scenes", "core.ingest", "core.llm", "core.demo")


def expand(text: str) -> set[str]:
    """'a_{x,y}, b' -> {'a_x', 'a_y', 'b'} (one or two brace groups per name)."""
    names: set[str] = set()
    for word in re.split(r",\s+(?![^{]*})", text):
        parts = [[p] if "{" not in p else p.strip("{}").split(",") for p in re.split(r"(\{[^}]*\})", word) if p]
        names.update("".join(combo) for combo in itertools.product(*parts))
    return names


def test_building_the_parser_imports_no_stage_module():
    code = (
        "import json, sys; from core.cli.main import build_parser; build_parser(); "
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
    assert [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY] == []


def test_status_command_loads_no_stage_module(tmp_path):
    code = (
        "import json, sys; from core.cli.main import main; main(['--db', sys.argv[1], 'status', '--json']); "
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "s.db")], capture_output=True, check=True)
    lines = out.stdout.decode().strip().splitlines()
    loaded = json.loads(lines[-1])
    assert [m for m in loaded if m.startswith(("sklearn", "scipy", "openai", "core.scenes", "core.llm"))] == []
    assert json.loads("".join(lines[:-1])) == {"datasets": {}, "selections": {}}


def test_cli_constants_match_the_stage_modules():
    from core.demo import DemoConfig
    from core.export import FORMATS, STATUSES
    from core.ingest import FORMATS as INGEST_FORMATS
    from core.llm.endpoints import LOCAL
    from core.predict import SAMPLES
    from core.scenes import SCORERS
    from storage.scores import SCORE_COLUMNS

    assert tuple(SCORERS) == scenes_cmd.SCORERS
    assert tuple(INGEST_FORMATS) == ingest_cmd.FORMATS
    assert llm_cmd.SAMPLES == SAMPLES
    assert (tuple(FORMATS), tuple(STATUSES)) == (export_cmd.FORMATS, export_cmd.STATUSES)
    assert expand(score_cmd.SCORE_COLUMNS_HELP) == set(SCORE_COLUMNS)
    assert endpoints_cmd.LOCAL == LOCAL
    demo, real = demo_cmd._Defaults(), DemoConfig()
    assert [getattr(demo, f) for f in demo.__dataclass_fields__] == [
        getattr(real, f) for f in demo.__dataclass_fields__
    ]
