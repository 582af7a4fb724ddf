"""AppTest: Samples page — empty state, prepared workspace, real interactions."""

import sqlite3

import sqlmodel
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

import storage.browse
from core.app_support import escape_markdown
from core.errors import DatabaseBusy
from tests.app.pages_helpers import matching, open_page


def test_samples_empty_database_says_what_to_do(db_path):
    at = open_page("samples")
    assert "No scenes yet" in at.info[0].value
    assert "Overview" in at.info[0].value


def test_samples_preset_filter_changes_count_and_url(workspace):
    at = open_page("samples")
    assert matching(at) == "8"
    assert len(at.dataframe[0].value) == 8
    at.selectbox(key="f_preset").set_value("strong right, weak wrong").run()
    assert matching(at) == "4"
    assert at.dataframe[0].value["scene_id"].tolist() == [workspace[k] for k in (1, 2, 5, 6)]
    assert at.query_params["preset"] == "strong right, weak wrong"


def test_samples_filter_state_comes_from_the_url(workspace):
    at = open_page("samples", len="4", sort="diff_model", desc="1")
    assert matching(at) == "4"
    assert at.dataframe[0].value["scene_id"].tolist() == [workspace[k] for k in (7, 5, 3, 1)]


def test_samples_search_escapes_like_wildcards(workspace):
    at = open_page("samples")
    at.text_input(key="f_q").set_value("User 3 likes").run()
    assert matching(at) == "1"
    at.text_input(key="f_q").set_value("%").run()
    assert "No scene matches" in at.info[0].value


def test_samples_selecting_a_row_opens_review(workspace):
    at = open_page("samples", preset="both right")
    assert at.dataframe[0].value["scene_id"].tolist() == [workspace[0], workspace[4]]
    at.session_state["samples_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert at.title[0].value == "Review"
    assert at.query_params["scene"] == str(workspace[4])
    assert at.query_params["preset"] == "both right"


def test_samples_to_review_and_back_does_not_reopen_the_row(workspace):
    at = open_page("samples", preset="both right")
    at.session_state["samples_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.query_params["scene"] == str(workspace[0])
    at.button(key="back_to_samples").click().run()
    assert at.title[0].value == "Samples"
    at.run()
    assert at.title[0].value == "Samples"
    assert matching(at) == "2"


def test_samples_a_locked_database_at_commit_is_one_error_not_a_traceback(workspace, monkeypatch):
    """The listing session commits on leaving its block; SQLite's "database is locked" there is DatabaseBusy."""
    listed = storage.browse.list_scenes

    def list_scenes(*, session, **kwargs):
        session.info["listed"] = True
        return listed(session=session, **kwargs)

    class LockedAtCommit(Session):
        def commit(self) -> None:
            if self.info.get("listed"):
                raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))
            super().commit()

    at = open_page("samples")
    monkeypatch.setattr(storage.browse, "list_scenes", list_scenes)
    monkeypatch.setattr(sqlmodel, "Session", LockedAtCommit)  # storage.db.session_scope imports it when called
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [escape_markdown(str(DatabaseBusy()))]
    assert matching(at) == "8"


def test_samples_score_ranges_apply_from_the_url_and_draw_sliders_only_when_open(workspace):
    at = open_page("samples")
    assert (len(at.slider), at.main.expander[0].label, at.session_state["f_ranges"]) == (0, "Score ranges", False)
    at = open_page("samples", r_diff_model="0.5:")
    assert at.query_params["r_diff_model"] == "0.5:"
    count = matching(at)
    sliders = {s.key: s.value for s in at.slider}
    assert len(sliders) == 14 and sliders["f_r_diff_model"][0] == 0.5  # open: the URL range on its slider
    low, high = sliders["f_r_diff_model"]
    at.slider(key="f_r_diff_model").set_value((0.72, high)).run()
    assert at.query_params["r_diff_model"] == "0.72:"
    narrower = matching(at)
    at.session_state["f_ranges"] = False  # the reviewer closes the panel
    at.run()
    assert (len(at.slider), matching(at), at.query_params["r_diff_model"]) == (0, narrower, "0.72:")
    assert int(narrower) < int(count) < 8
