"""AppTest: Settings page — empty state, prepared workspace, real interactions."""

from sqlmodel import Session, select

from core.choices import LOCAL_CONCURRENCY, LOCAL_MODEL
from storage.models import (
    Endpoint,
    LlmCall,
    Review,
)
from storage.reviewers import ensure_reviewer
from tests.app.overview_helpers import table_rows
from tests.app.pages_helpers import add_fake_endpoint, open_page, open_settings

ENDPOINTS = ("name", "kind", "model", "key env var", "concurrency", "base URL")
LOCAL_ROW = ["local", "local", f"embedded {LOCAL_MODEL}", "-", str(LOCAL_CONCURRENCY), "started on demand"]


def endpoint_rows(at) -> list[list[str]]:
    """The endpoints table as shown (escaped markdown, no st.dataframe: no data-grid chunk on a fresh tab)."""
    assert not at.dataframe
    return table_rows(at, *ENDPOINTS)


def test_settings_opens_on_its_tables_with_each_form_built_only_when_opened(db_path):
    at = open_page("settings", reviewer="ada")
    assert endpoint_rows(at) == [LOCAL_ROW]
    assert at.markdown[0].value.startswith("You work as **ada**")
    assert [e.label for e in at.main.expander] == [
        "Work under another name",
        "Add an OpenAI-compatible endpoint",
        "Test or remove an endpoint",
        "Set a reviewer's role",
    ]
    assert not at.main.text_input and not at.main.selectbox and not at.main.button and not at.main.number_input
    at.session_state["add_endpoint_open"] = True
    at.run()
    assert sorted(t.key for t in at.main.text_input) == ["ep_key_env", "ep_model", "ep_name", "ep_url"]
    assert [b.key for b in at.main.selectbox] == ["ep_kind"]


def test_settings_add_endpoint_takes_env_var_name(db_path, engine):
    at = open_settings()
    at.text_input(key="ep_name").set_value("big")
    at.text_input(key="ep_model").set_value("gpt-x")
    at.text_input(key="ep_url").set_value("http://127.0.0.1:9/v1")
    at.text_input(key="ep_key_env").set_value("sk-secret123")
    at.button[0].click().run()
    assert "NAME of an environment variable" in at.error[0].value
    with Session(engine) as s:
        assert s.exec(select(Endpoint)).all() == []
    at.text_input(key="ep_key_env").set_value("MY_KEY")
    at.selectbox(key="ep_kind").set_value("llamacpp")
    at.button[0].click().run()
    with Session(engine) as s:
        row = s.exec(select(Endpoint)).one()
    assert (row.name, row.model, row.api_key_env, row.kind) == ("big", "gpt-x", "MY_KEY", "llamacpp")
    assert endpoint_rows(at) == [LOCAL_ROW, ["big", "llamacpp", "gpt-x", "MY_KEY", "8", "http://127.0.0.1:9/v1"]]
    at.selectbox(key="ep_target").set_value("big").run()
    at.button(key="ep_remove").click().run()
    with Session(engine) as s:
        assert s.exec(select(Endpoint)).all() == []


def test_settings_reviewer_name_is_used_for_reviews(workspace, engine):
    at = open_settings()
    at.text_input(key="reviewer_input").set_value("ada").run()
    assert at.session_state["reviewer"] == "ada"
    at.query_params["scene"] = str(workspace[2])
    at.switch_page("review.py").run()
    at.button(key="reject").click().run()
    with Session(engine) as s:
        review = s.exec(select(Review).where(Review.scene_id == workspace[2])).one()
    assert (review.status, review.reviewer) == ("rejected", "ada")


def test_settings_test_endpoint_makes_one_call(db_path, engine, llm_server):
    add_fake_endpoint(engine, llm_server)
    at = open_settings()
    at.selectbox(key="ep_target").set_value("fake").run()
    at.button(key="ep_test").click().run()
    assert "fake\\: ok in" in at.success[0].value
    with Session(engine) as s:
        calls = s.exec(select(LlmCall)).all()
    assert [(c.endpoint, c.stage, c.status) for c in calls] == [("fake", "test", "ok")]


def test_settings_lists_every_environment_setting_with_its_value(db_path, monkeypatch):
    monkeypatch.setenv("MIRROR_DEMO_SCENES", "6")
    at = open_settings()
    table = table_rows(at, "variable", "value", "what it sets")
    assert [variable for variable, _, _ in table] == [
        "MIRROR_DB",
        "MIRROR_REVIEWER",
        "MIRROR_LOCAL_MODEL",
        "MIRROR_LOCAL_CTX",
        "MIRROR_LOCAL_SLOTS",
        "MIRROR_WARM_MODEL",
        "MIRROR_DEMO_SCENES",
        "MIRROR_DEMO_ENDPOINT",
        "MIRROR_DEMO_MAX_TOKENS",
        "MIRROR_DOUBLE_REVIEW_PERCENT",
        "MIRROR_LEASE_SECONDS",
        "MIRROR_REVIEW_LEASE",
        "MIRROR_REQUIRE_LOGIN",
        "MIRROR_NEW_REVIEWER_ROLE",
    ]
    values = {variable: value for variable, value, _ in table}
    assert values["MIRROR_DB"] == db_path
    assert values["MIRROR_DEMO_SCENES"] == "6"
    assert (
        dict((v, h) for v, _, h in table)["MIRROR_DEMO_SCENES"]
        == "Train scenes in the demo workspace (plus a quarter as eval)."
    )


def test_settings_refuse_a_base_url_with_credentials_and_hide_old_ones(db_path, engine):
    with Session(engine) as s:
        s.add(Endpoint(name="old", base_url="https://alice:hunter2@api.example.com/v1", model="m"))
        s.commit()
    at = open_settings()
    assert endpoint_rows(at)[-1][-1] == "https://alice:***@api.example.com/v1"
    at.text_input(key="ep_name").set_value("leak")
    at.text_input(key="ep_model").set_value("gpt-x")
    at.text_input(key="ep_url").set_value("https://bob:s3cret@api.example.com/v1")
    at.button[0].click().run()
    assert "carries credentials" in at.error[0].value
    assert not any("s3cret" in e.value or "hunter2" in e.value for e in at.error)
    with Session(engine) as s:
        assert [e.name for e in s.exec(select(Endpoint))] == ["old"]


def test_settings_show_names_as_written_never_as_markdown_or_html(db_path, engine):
    evil = "**x** <b>y</b> | [a](javascript:alert(1))"
    with Session(engine) as s:
        s.add(Endpoint(name=evil, base_url="http://127.0.0.1:9/v1", model=evil, api_key_env="KEY", concurrency=3))
        person = ensure_reviewer(session=s, name=evil, role="admin")
        s.commit()
        since = f"{person.created_at:%Y-%m-%d %H:%M:%S}"
    at = open_settings()
    assert endpoint_rows(at) == [LOCAL_ROW, [evil, "openai", evil, "KEY", "3", "http://127.0.0.1:9/v1"]]
    assert table_rows(at, "name", "role", "since") == [[evil, "admin", since]]
    shown = "\n".join(m.value for m in at.markdown)
    assert "**x**" not in shown and "<b>" not in shown and "](javascript" not in shown  # escaped, not rendered
