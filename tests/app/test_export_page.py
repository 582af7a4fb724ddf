"""AppTest: Export page — empty state, prepared workspace, real interactions."""

import hashlib
import json

from sqlmodel import Session, select

from storage.models import (
    ExportRecord,
)
from tests.app.pages_helpers import open_page


def test_export_empty_database(db_path):
    at = open_page("export")
    assert "Nothing to export yet" in at.info[0].value


def test_export_writes_the_selection_as_previewed(workspace, engine, tmp_path):
    at = open_page("export")
    assert "no approved scenes" in at.error[0].value
    at.selectbox(key="x_status").set_value("any").run()
    previews = [c.value for c in at.main.code]
    assert len(previews) == 3
    out = tmp_path / "sel-dpo.jsonl"
    at.text_input(key="x_out_sel-dpo.jsonl").set_value(str(out))
    at.button(key="x_write").click().run()
    assert not at.error, [e.value for e in at.error]
    lines = out.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert sorted(r["timestamp"] for r in rows) == [1_700_000_000 + k for k in (1, 2, 5, 6)]
    assert lines[:3] == previews
    manifest = json.loads((tmp_path / "sel-dpo.jsonl.manifest.json").read_text())
    assert manifest["rows"] == 4
    assert manifest["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    with Session(engine) as s:
        record = s.exec(select(ExportRecord)).one()
    assert (record.rows, record.path) == (4, str(out))
    assert at.download_button(key="x_download") is not None
    assert at.dataframe[0].value["rows"].tolist() == [4]
    assert json.loads(at.json[-1].value)["sha256"] == record.sha256  # the history's manifest viewer
