"""The hostile suite's shared database: one scored workspace, copied for every row."""

from pathlib import Path

import pytest

from tests.hostile.harness import workspace_db


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """A workspace database file (dataset toy, selection sel with two approved scenes), built once."""
    path = tmp_path_factory.mktemp("hostile-template") / "mirror.db"
    workspace_db(path)
    return path
