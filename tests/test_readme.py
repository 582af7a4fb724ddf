"""README's layout table matches the tree: every path it names exists, and every module of a folder it describes is
named in that folder's rows (tests/ and data/ are described, not listed file by file)."""

import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNLISTED = ("__init__.py", "__main__.py")


def layout_rows() -> list[tuple[str, list[str]]]:
    """(path, names in backticks) of each row of the README's layout table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows.append((cells[0].strip("`"), re.findall(r"`([^`]+)`", cells[1])))
    return rows


def test_every_named_path_exists():
    rows = layout_rows()
    assert rows, "no layout table in README.md"
    for path, names in rows:
        assert (ROOT / path).exists(), path
        if path.endswith("/"):
            for name in names:
                if name.endswith((".py", "/")) and not name.startswith("python "):
                    assert list((ROOT / path).glob(name.rstrip("/"))), f"{path}{name}"


def test_every_module_of_a_described_folder_is_named():
    named: dict[str, list[str]] = {}
    for path, names in layout_rows():
        named.setdefault(path, []).extend(names)
    for folder, names in named.items():
        if not folder.endswith("/") or folder in ("tests/", "data/sample/"):
            continue
        modules = sorted(p.name for p in (ROOT / folder).glob("*.py") if p.name not in UNLISTED)
        missing = [m for m in modules if not any(fnmatch.fnmatch(m, n) for n in names)]
        assert missing == [], f"{folder}: not in README's layout table"
        packages = sorted(p.name for p in (ROOT / folder).iterdir() if (p / "__init__.py").exists())
        assert [p for p in packages if f"{folder}{p}/" not in named] == [], f"{folder}: subpackage without a row"
