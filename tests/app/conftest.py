"""App test fixtures: a prepared workspace and a loopback OpenAI-compatible server."""

import pytest
from sqlmodel import Session

from tests.factories import make_workspace
from tests.fault_server import FaultServer


@pytest.fixture
def workspace(engine) -> list[int]:
    with Session(engine, expire_on_commit=False) as s:
        return [scene.id for scene in make_workspace(s)]


@pytest.fixture
def llm_server():
    server = FaultServer().start()
    yield server
    server.stop()
