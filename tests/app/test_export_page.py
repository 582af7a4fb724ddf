"""AppTest: Export page — empty state, prepared workspace, real interactions."""

import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core.app_support import escape_markdown
from storage.models import Dataset, ExportRecord
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import open_page
from tests.factories import make_scene

pytestmark = pytest.mark.both_backends  # the app's writes, on SQLite and PostgreSQL

HISTORY = ("when", "selection", "format", "rows", "by", "path", "sha256")


def history_rows(at) -> list[list[str]]:
    """The export history as shown (escaped markdown, no st.dataframe: no data-grid chunk on a fresh tab)."""
    assert not at.dataframe
    return table_rows(at, *HISTORY)


def test_export_empty_database(db_path):
    at = open_page("export")
    assert "Nothing to export yet" in at.info[0].value


def test_export_writes_the_selection_as_previewed(workspace, engine, tmp_path):
    at = open_page("export")
    assert "no approved scenes" in at.error[0].value
    at.selectbox(key="x_status").set_value("any").run()
    previews = [c.value for c in at.main.text]
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
    when = f"{record.created_at:%Y-%m-%d %H:%M:%S}"
    assert history_rows(at) == [[when, "sel", "dpo", "4", record.reviewer, str(out), record.sha256[:16]]]
    assert record.reviewer  # who wrote it is shown
    [last] = [e for e in at.expander if e.label == "Manifest of the last export"]
    assert json.loads(last.text[0].value) == manifest
    [shown] = [e for e in at.expander if e.label == "Manifest"]  # the history's manifest viewer
    assert json.loads(shown.text[0].value) == record.manifest == manifest
    assert not at.json  # no JSON viewer chunk for a fresh tab to load


def test_export_eval_offers_each_split_and_both(workspace, engine, session, tmp_path):
    toy = session.exec(select(Dataset).where(Dataset.name == "toy")).one()
    held_out = make_scene(session, dataset=toy, split="eval", timestamp=1_800_000_000).id
    session.commit()
    at = open_page("export")
    at.radio(key="x_format").set_value("eval").run()
    assert at.selectbox(key="x_split").options == ["eval", "train", "any (train and eval)"]
    assert [json.loads(c.value)["scene_id"] for c in at.main.text] == [held_out]
    at.selectbox(key="x_split").set_value("train").run()
    assert [json.loads(c.value)["split"] for c in at.main.text] == ["train"] * 3
    at.selectbox(key="x_split").set_value("any").run()
    out = tmp_path / "all-eval-any.jsonl"
    at.text_input(key="x_out_all-eval-any.jsonl").set_value(str(out))
    at.button(key="x_write").click().run()
    assert not at.error, [e.value for e in at.error]
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted((r["split"], r["scene_id"]) for r in rows) == [("eval", held_out)] + [
        ("train", scene_id) for scene_id in sorted(workspace)
    ]
    manifest = json.loads((tmp_path / "all-eval-any.jsonl.manifest.json").read_text())
    assert (manifest["rows"], manifest["filters"]) == (9, {"dataset": None, "split": "any"})


@pytest.mark.sqlite_only  # the database as a file is SQLite's
def test_export_refuses_the_database_and_overwrites_only_when_asked(workspace, engine, db_path, tmp_path):
    at = open_page("export")
    at.selectbox(key="x_status").set_value("any").run()
    box = at.text_input(key="x_out_sel-dpo.jsonl")
    database = Path(db_path).read_bytes()
    box.set_value(db_path).run()
    at.button(key="x_write").click().run()
    refused = f"output path {repr(db_path)} is the database; choose another file"
    assert [e.value for e in at.error] == [escape_markdown(refused)]
    assert Path(db_path).read_bytes() == database
    out = tmp_path / "again.jsonl"
    out.write_text("old\n")
    at.text_input(key="x_out_sel-dpo.jsonl").set_value(str(out)).run()
    at.button(key="x_write").click().run()
    assert "already exists; pass \\-\\-force" in at.error[0].value and out.read_text() == "old\n"
    at.toggle(key="x_force").set_value(True).run()
    at.button(key="x_write").click().run()
    assert not at.error, [e.value for e in at.error]
    assert len(out.read_text().splitlines()) == 4


def test_export_history_shows_paths_and_names_as_written(workspace, engine):
    evil = "**x** <b>y</b> | [a](javascript:alert(1))"
    with Session(engine) as s:
        s.add(
            ExportRecord(
                selection_name=evil,
                format="dpo",
                path=f"/tmp/{evil}.jsonl",
                rows=2,
                sha256="ab" * 32,
                manifest={"rows": 2},
                reviewer=evil,
            )
        )
        s.commit()
        when = f"{s.exec(select(ExportRecord)).one().created_at:%Y-%m-%d %H:%M:%S}"
    at = open_page("export")
    assert history_rows(at) == [[when, evil, "dpo", "2", evil, f"/tmp/{evil}.jsonl", "ab" * 8]]
    shown = "\n".join(m.value for m in at.markdown)
    assert "**x**" not in shown and "<b>" not in shown and "](javascript" not in shown  # escaped, not rendered
