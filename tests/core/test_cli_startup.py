"""CLI start-up stays light: heavy stage modules load inside run(); the parser reads core/choices.py only."""

import json
import subprocess
import sys

HEAVY = ("sklearn", "scipy", "openai", "pandas", "pyarrow", "core.scenes", "core.ingest", "core.llm", "core.demo")


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
