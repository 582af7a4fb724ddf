"""The app's Streamlit configuration: viewer toolbar (no Deploy button), local-only server."""

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_toolbar_is_viewer_mode_and_server_is_local():
    config = tomllib.loads(CONFIG.read_text())
    assert config["client"]["toolbarMode"] == "viewer"
    assert (config["server"]["address"], config["server"]["headless"]) == ("127.0.0.1", True)
