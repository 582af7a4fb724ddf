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


def _loaded(code: str, *args: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=True).stdout
    return set(json.loads(out.decode().strip().splitlines()[-1]))


def test_help_loads_nothing_outside_the_standard_library_and_core():
    # what the interpreter itself loads here (site hooks included) is the baseline, not ours
    baseline = _loaded("import json, sys; print(json.dumps(sorted(sys.modules)))")
    code = (
        "import json, sys\nfrom core.cli.main import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    extra = _loaded(code) - baseline
    top = {name.split(".")[0] for name in extra}
    assert sorted(top - set(sys.stdlib_module_names) - {"core", "storage"}) == []
    assert sorted(name for name in extra if name.startswith("storage")) == ["storage", "storage.constants"]


def test_status_loads_sqlalchemy_core_but_no_orm_or_models(tmp_path):
    code = (
        "import json, sys; from core.cli.main import main; main(['--db', sys.argv[1], 'status']); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    from storage.db import dispose_engines, get_engine

    get_engine(str(tmp_path / "s.db"))  # an up-to-date database: nothing to create
    dispose_engines()
    loaded = _loaded(code, str(tmp_path / "s.db"))
    assert [m for m in loaded if m.startswith(("sqlmodel", "pydantic", "sqlalchemy.orm", "storage.models"))] == []


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
