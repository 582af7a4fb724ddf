"""user_errors: expected failures (MirrorError; SQLite's "database is locked" as DatabaseBusy) become one st.error."""

from streamlit.testing.v1 import AppTest

from core.app_support import escape_markdown
from core.errors import DatabaseBusy

SCRIPT = """
import sqlite3
import streamlit as st
from sqlalchemy.exc import OperationalError
from pages.ui import user_errors

with user_errors():
    st.write("before")
    raise OperationalError("UPDATE review SET status = ?", {{}}, sqlite3.OperationalError({message!r}))
st.write("after")
"""


def run(message: str) -> AppTest:
    return AppTest.from_string(SCRIPT.format(message=message), default_timeout=30).run()


def test_a_locked_database_is_shown_as_busy_and_the_page_goes_on():
    at = run("database is locked")
    assert not at.exception
    assert [e.value for e in at.error] == [escape_markdown(str(DatabaseBusy()))]
    assert [m.value for m in at.markdown] == ["before", "after"]


def test_other_operational_errors_still_raise():
    at = run("no such table: review")
    assert [e.value for e in at.error] == []
    (exc,) = at.exception
    assert "no such table: review" in exc.value
    assert [m.value for m in at.markdown] == ["before"]


def test_mirror_errors_are_still_one_error_line():
    script = (
        "from core.errors import BadInput\n"
        "from pages.ui import user_errors\n"
        "with user_errors():\n"
        "    raise BadInput('bad *thing*')\n"
    )
    at = AppTest.from_string(script, default_timeout=30).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["bad \\*thing\\*"]
