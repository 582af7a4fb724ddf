"""`scenes --preset paper` and `--max-prompt-tokens`: the paper's eval sets, prompt length counted by a real tokenizer
(a server's /tokenize, the embedded model's own) or the documented estimate; over-long scenes left out and counted."""

import math

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from core.cli.main import main
from core.reference_prompts import DEFAULT_SYSTEM
from core.scene_prompts import SceneText, scene_prompt
from core.scenes import build_scenes
from storage.db import get_engine
from storage.models import Endpoint, Run, Scene
from tests.factories import make_interaction_dataset
from tests.fault_server import fault_server  # noqa: F401  (fixture)

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
    "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _scenes(engine) -> list[Scene]:
    with Session(engine) as session:
        return list(session.exec(select(Scene).order_by(Scene.interaction_id)))


def _counts(engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.exec(select(func.count()).select_from(Scene)).one(),
            session.exec(select(func.count()).select_from(Run)).one(),
        )


def _messages(scene: Scene) -> list[dict]:
    return scene_prompt(SceneText.from_row(scene.model_dump()), "rationale").messages


def _dataset(engine):
    with Session(engine) as session:
        make_interaction_dataset(session, seed=7, n_users=60, per_user=(8, 25))


def test_the_paper_preset_builds_256_eval_scenes_of_exactly_5_options(engine, db_path, capsys):
    _dataset(engine)
    assert main(["--db", db_path, "scenes", "--dataset", "synth", "--preset", "paper"]) == 0
    assert capsys.readouterr().out == "built 256 of 256 requested eval scenes for dataset 'synth'\n"
    scenes = _scenes(engine)
    assert len(scenes) == 256 and {(s.split, s.choice_cnt, s.prompt_style) for s in scenes} == {
        ("eval", 5, "reference")
    }
    with Session(engine) as session:
        params = session.exec(select(Run)).one().params
    assert (params["count"], params["min_exposure"], params["max_exposure"]) == (256, 5, 5)
    assert (params["max_prompt_tokens"], params["tokenizer"]) == (6144, None)


def _estimate(scene: Scene) -> int:
    return math.ceil(sum(len(m["content"]) for m in _messages(scene)) / 3)


def _words(scene: Scene) -> int:  # what the loopback server's /tokenize counts
    return len(" ".join(m["content"] for m in _messages(scene)).split())


def _unlimited_then_limited(tmp_path, engine, measure, **kw):
    """The same seed's scenes without a limit (another database), then with the median length as the limit: the
    kept ones must be exactly those whose prompt fits."""
    _dataset(engine)
    free = get_engine(str(tmp_path / "free.db"))
    _dataset(free)
    build_scenes(engine=free, dataset="synth", count=60, seed=3, split="eval")
    built = _scenes(free)
    limit = sorted(measure(s) for s in built)[len(built) // 2]
    report = build_scenes(engine=engine, dataset="synth", count=60, seed=3, split="eval", max_prompt_tokens=limit, **kw)
    fits = [s.interaction_id for s in built if measure(s) <= limit]
    assert [s.interaction_id for s in _scenes(engine)] == fits
    assert report.too_long == 60 - len(fits) > 0 and report.created == len(fits)
    return built, report, limit


def test_over_long_scenes_are_left_out_and_counted_with_the_estimate(tmp_path, engine):
    _, report, limit = _unlimited_then_limited(tmp_path, engine, _estimate)
    assert report.message.endswith(
        f"; {report.too_long} scenes left out: prompt over {limit} tokens (estimate (characters / 3))"
    )


def test_a_vllm_tokenizer_counts_the_reference_messages(tmp_path, engine, session, fault_server):  # noqa: F811
    session.add(Endpoint(name="vl", base_url=fault_server.url, model="m", kind="vllm"))
    session.commit()
    built, report, _ = _unlimited_then_limited(tmp_path, engine, _words, tokenizer="vl")
    calls = [body for path, body in fault_server.received if path == "/tokenize"]
    assert len(calls) == 61  # the probe, then one per built scene
    sent = [body["messages"] for body in calls[1:]]  # several at once: in any order
    assert sorted(map(str, sent)) == sorted(str(_messages(s)) for s in built)  # the reference's system and user turn
    assert sent[0][0] == {"role": "system", "content": DEFAULT_SYSTEM}
    assert all(body["add_generation_prompt"] is False and body["model"] == "m" for body in calls)
    assert report.message.endswith("tokens (vl's /tokenize (vLLM))")


def test_a_llamacpp_tokenizer_counts_the_models_own_template(tmp_path, engine, session, fault_server):  # noqa: F811
    fault_server.chat_template = CHATML
    session.add(Endpoint(name="lc", base_url=fault_server.url, model="m", kind="llamacpp"))
    session.commit()

    def rendered(scene: Scene) -> str:  # the template over the system and user turn, no generation prompt
        system, user = (m["content"] for m in _messages(scene))
        return f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"

    built, report, _ = _unlimited_then_limited(tmp_path, engine, lambda s: len(rendered(s).split()), tokenizer="lc")
    calls = [body for path, body in fault_server.received if path == "/tokenize"]
    assert sorted(map(str, calls[1:])) == sorted(str({"content": rendered(s), "add_special": True}) for s in built)
    assert report.message.endswith("tokens (lc's /tokenize (llama.cpp))")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "paperish"], "unknown preset 'paperish'; use one of: paper"),
        (["--preset", "paper", "--max-exposure", "6"], "--preset paper sets --max-exposure 5 (got 6)"),
        (["--preset", "paper", "--split", "train"], "--preset paper sets --split eval (got train)"),
        (
            ["--count", "5", "--max-prompt-tokens", "0"],
            "argument --max-prompt-tokens: must be a whole number from 1 to",
        ),
        (["--preset", "paper", "--max-prompt-tokens", "-3"], "argument --max-prompt-tokens: must be a whole number"),
        (["--preset", "paper", "--tokenizer-endpoint", "down"], "tokenizer endpoint 'down' cannot count tokens: "),
        (["--count", "5", "--tokenizer-endpoint", "down"], "--tokenizer-endpoint counts prompt tokens for"),
        (["--split", "eval"], "--count is required (or a --preset that sets it)"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(engine, session, db_path, capsys, args, message):
    _dataset(engine)
    session.add(Endpoint(name="down", base_url="http://127.0.0.1:9/v1", model="m", kind="vllm", retries=0))
    session.commit()
    assert main(["--db", db_path, "scenes", "--dataset", "synth", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.endswith("\n") and err.strip().splitlines()[-1].startswith("error: ")
    assert _counts(engine) == (0, 0)


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_the_embedded_models_own_tokenizer_counts_its_template_special_tokens_once():
    from core.scenes.prompt_length import token_counter

    counter = token_counter(engine=None, endpoint="local")
    # <|im_start|> system \n (SmolLM2's default system text) <|im_end|> \n <|im_start|> user \n hello world
    # <|im_end|> \n: each special token one token, no generation prompt
    assert (counter.how, counter.count([{"role": "user", "content": "hello world"}])) == (
        "the embedded model's tokenizer",
        28,
    )
