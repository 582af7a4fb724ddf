"""Rationale sampling options reach the request parameters (and so the cache key)."""

import pytest

from core.cli.main import main
from core.rationales import rationale_requests
from storage.models import Endpoint
from tests.factories import make_dataset, make_scene


def test_temperature_is_a_request_parameter(session):
    scene = make_scene(session, dataset=make_dataset(session))
    endpoint = Endpoint(name="e", base_url="http://127.0.0.1:9/v1", model="m")
    requests, _ = rationale_requests(
        session=session,
        endpoint=endpoint,
        work=[(scene.id, 0)],
        role="weak",
        max_tokens=64,
        temperature=1.3,
        constraint="none",
    )
    assert requests[0].params == {"temperature": 1.3, "top_p": 0.9, "max_tokens": 64, "seed": 0}


@pytest.mark.parametrize("value", ["-0.1", "2.5"])
def test_temperature_outside_0_2_exits_2(db_path, capsys, value):
    assert main(["rationales", "--role", "strong", "--endpoint", "local", "--temperature", value]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == f"error: argument --temperature: must be a number from 0 to 2 (got {value!r})"


def test_demo_sizes_come_from_the_environment(monkeypatch):
    from core.demo import DemoConfig

    monkeypatch.setenv("MIRROR_DEMO_SCENES", "8")
    monkeypatch.setenv("MIRROR_DEMO_MAX_TOKENS", "40")
    config = DemoConfig()
    assert (config.train_scenes, config.eval_scenes, config.max_tokens) == (8, 2, 40)
    assert DemoConfig(train_scenes=3).train_scenes == 3


def test_a_non_numeric_setting_is_named_in_one_message(monkeypatch):
    from core.errors import BadInput
    from core.settings import load_settings

    monkeypatch.setenv("MIRROR_DEMO_SCENES", "lots")
    with pytest.raises(BadInput) as exc:
        load_settings()
    assert str(exc.value) == "environment variable MIRROR_DEMO_SCENES must be a whole number (got 'lots')"
