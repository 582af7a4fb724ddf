"""SQLModel tables: one class per concept. JSON columns hold lists/dicts; probabilities are float64 blobs."""

from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.constants import DEFAULT_PROMPT_STYLE, PENDING


def utcnow() -> datetime:
    """Timezone-aware UTC now (stored naive-UTC by SQLite)."""
    return datetime.now(UTC)


def json_field(*, nullable: bool = True, default=None):
    """A JSON column (list or dict)."""
    return Field(default=default, sa_column=Column(JSON, nullable=nullable))


def big_int(*, nullable: bool = False, default=None):
    """A 64-bit integer column (PostgreSQL's INTEGER is 32-bit; SQLite's already holds 64): instants of years 1-9999
    and seeds up to 2^63-1 (core/limits.py)."""
    return Field(default=default, sa_column=Column(BigInteger, nullable=nullable))


# Key/value facts about the database itself (schema_version lives here).
class Meta(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str


# One ingested (or imported) dataset; templates render its scenes.
class Dataset(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    format: str
    source_path: str | None = None
    templates: dict | None = json_field()
    options: dict | None = json_field()  # ingest options (min/max interactions per user, ...)
    created_at: datetime = Field(default_factory=utcnow)


# A user of one dataset; features is the free-form JSON of the input columns.
class User(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("dataset_id", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    external_id: str
    features: dict | None = json_field()


# An item of one dataset; release_ts (unix s) lets scenes drop items released after the target time.
class Item(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("dataset_id", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    external_id: str
    title: str
    release_ts: int | None = big_int(nullable=True)
    features: dict | None = json_field()


# One observed user-item event; impressions are internal item ids shown with it (real exposure logs).
class Interaction(SQLModel, table=True):
    __table_args__ = (
        Index("ix_interaction_user_time", "user_id", "timestamp"),
        Index("ix_interaction_item", "item_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    item_id: int = Field(foreign_key="item.id")
    timestamp: int = big_int()
    features: dict | None = json_field()
    impressions: list | None = json_field()


# A simulation sample: profile, history, exposure list with the true item at item_pos (0-based; A = 0).
class Scene(SQLModel, table=True):
    __table_args__ = (
        Index("ix_scene_dataset_split", "dataset_id", "split"),
        Index("ix_scene_dataset_len", "dataset_id", "choice_cnt"),
        # Samples sorted by time or exposure length walks these and stops at the page (no sort of every scene).
        Index("ix_scene_time", "timestamp", "id"),
        Index("ix_scene_len", "choice_cnt", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id")
    user_id: int = Field(foreign_key="user.id", index=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    interaction_id: int | None = Field(default=None, foreign_key="interaction.id", unique=True)
    timestamp: int = big_int()
    split: str  # train | eval
    profile: str
    history: list = json_field(nullable=False, default=None)  # rendered history entries, oldest first
    history_item_ids: list = json_field(nullable=False, default=None)
    exposure_item_ids: list = json_field(nullable=False, default=None)
    options: list = json_field(nullable=False, default=None)  # rendered option texts, A, B, ...
    option_sources: list = json_field(nullable=False, default=None)  # scorer per option ("target" for the true)
    item_pos: int
    choice_cnt: int
    seed: int | None = big_int(nullable=True)
    source: str = "native"  # native | usermirrorer
    prompt_style: str = DEFAULT_PROMPT_STYLE  # reference | studio: the prompts and scene text every stage uses
    system_prompt: str | None = None  # an imported scene's own system message, when not its style's
    # An imported scene's `dataset` and `timestamp` exactly as its file gave them (a public set mixes source datasets
    # and writes epoch milliseconds); exports give them back. NULL for native scenes and ISO 8601 times.
    source_dataset: str | None = None
    source_timestamp: int | None = big_int(nullable=True)
    created_at: datetime = Field(default_factory=utcnow)


# An OpenAI-compatible endpoint; the key is only ever the *name* of an environment variable.
class Endpoint(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    base_url: str
    model: str
    api_key_env: str | None = None
    kind: str = "openai"  # openai | vllm | local
    concurrency: int = 8
    timeout: float = 60.0
    retries: int = 4
    created_at: datetime = Field(default_factory=utcnow)


# One pipeline run (CLI or app) with its progress, so the app can show what is going on.
class Run(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    dataset_id: int | None = Field(default=None, foreign_key="dataset.id")
    params: dict | None = json_field()
    status: str = "running"  # running | done | failed | interrupted (its worker died)
    total: int = 0
    done: int = 0
    failed: int = 0
    message: str | None = None
    pid: int | None = None
    host: str | None = None  # where pid lives (storage.runs.host_id): a pid is only checked on its own host
    # LLM stages: the database-clock second from which items another worker settles are its own to skip, and
    # until when its worker is known alive (renewed with its leases); storage/claims.py
    work_from: float | None = None
    alive_until: float | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


# A lease on one work item of an LLM stage ("rationale:12:strong:3"): parallel workers of a stage split its items.
# Held by run_id until expires_at (database-clock seconds) unless renewed; settled_at set when its run finished it.
class WorkClaim(SQLModel, table=True):
    item_key: str = Field(primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    expires_at: float
    settled_at: float | None = Field(default=None, index=True)


# Every LLM call attempt (never the key): parameters, tokens, latency, status, error text.
class LlmCall(SQLModel, table=True):
    __table_args__ = (Index("ix_llmcall_item", "item_key"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="run.id")
    endpoint: str = Field(index=True)
    model: str
    params: dict | None = json_field()
    prompt_hash: str
    cache_key: str
    item_key: str | None = None  # e.g. "rationale:12:strong:3" — what the call was for
    scene_id: int | None = Field(default=None, foreign_key="scene.id", index=True)
    stage: str | None = None  # rationale | predict | test
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: float | None = None
    status: str = "ok"  # ok | error
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


# One request written to an OpenAI Batch API file by --batch-out; `import --format batch-results` matches each result
# line to it by custom_id (= cache_key) and stores the answer in the cache and the call log.
class BatchRequest(SQLModel, table=True):
    custom_id: str = Field(primary_key=True)
    cache_key: str
    prompt_hash: str
    endpoint: str
    model: str
    params: dict | None = json_field()
    item_key: str | None = None
    scene_id: int | None = None  # no foreign key: the file may outlive its scenes
    stage: str | None = None
    run_id: int | None = Field(default=None, foreign_key="run.id")
    path: str
    created_at: datetime = Field(default_factory=utcnow)
    imported_at: datetime | None = None


# Finished LLM results keyed by sha256(model, parameters, messages): a rerun makes no call.
class LlmCache(SQLModel, table=True):
    key: str = Field(primary_key=True)
    response: dict = json_field(nullable=False, default=None)
    created_at: datetime = Field(default_factory=utcnow)


# One decision process for a scene, parsed into EKB stages; text/version are the latest version.
class Rationale(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("scene_id", "role", "sample_index"),)
    id: int | None = Field(default=None, primary_key=True)
    scene_id: int = Field(foreign_key="scene.id", index=True)
    role: str  # strong | weak
    sample_index: int
    endpoint: str | None = None
    model: str | None = None
    text: str
    version: int = 1
    stimulus: str | None = None
    stimulus_factors: list | None = json_field()
    knowledge: str | None = None
    knowledge_factors: list | None = json_field()
    evaluation: str | None = None
    style: str | None = None
    behavior: str | None = None  # the letter the rationale ends with
    problems: list | None = json_field()  # format problems, human-readable
    # how it was decoded: "format" = constrained to the decision-process grammar, "none" = free; None = not recorded
    decoding: str | None = None
    source: str = "native"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# Every version of a rationale's text (version 1 = as generated); exports use the latest.
class RationaleVersion(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("rationale_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    rationale_id: int = Field(foreign_key="rationale.id", index=True)
    version: int
    text: str
    author: str
    created_at: datetime = Field(default_factory=utcnow)


# The predictor's distribution over the scene's letters for one rationale (float64 blob, order A, B, ...).
class Prediction(SQLModel, table=True):
    __table_args__ = (Index("ix_prediction_scene_role", "scene_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    rationale_id: int = Field(foreign_key="rationale.id", unique=True)
    scene_id: int = Field(foreign_key="scene.id")
    role: str
    rationale_version: int = 1
    probs: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    estimated: bool = False  # True when sampled, not read from logprobs
    behavior_index: int  # the seeded sampled behaviour (0-based option index)
    endpoint: str | None = None
    model: str | None = None
    conditioning: str | None = None  # how the letter was conditioned (storage.constants.CONDITIONINGS); None = unknown
    created_at: datetime = Field(default_factory=utcnow)


# A prediction replaced by a newer one (the rationale was edited and predicted again): kept for the history.
class PredictionHistory(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    rationale_id: int = Field(foreign_key="rationale.id", index=True)
    scene_id: int = Field(foreign_key="scene.id")
    role: str
    rationale_version: int
    probs: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    estimated: bool = False
    behavior_index: int
    endpoint: str | None = None
    model: str | None = None
    conditioning: str | None = None
    created_at: datetime  # when the prediction was made
    replaced_at: datetime = Field(default_factory=utcnow)


# Per-scene uncertainty (DESIGN.md §5), recomputed by `score`.
class Score(SQLModel, table=True):
    scene_id: int = Field(foreign_key="scene.id", primary_key=True)
    n_strong: int
    n_weak: int
    strong_E: float
    strong_T: float
    strong_D: float
    strong_hit: float
    strong_logloss: float
    weak_E: float
    weak_T: float
    weak_D: float
    weak_hit: float
    weak_logloss: float
    diff_model: float = Field(index=True)
    diff_total: float
    diff_data: float
    diff_hit: float
    # Behaviour-sampling pair (DESIGN.md §6) computed by `score`; None when the scene has no such rationale.
    # Indexed so deleting rationales checks these keys by lookup, not by scanning every score row.
    chosen_rationale_id: int | None = Field(default=None, foreign_key="rationale.id", ondelete="SET NULL", index=True)
    rejected_rationale_id: int | None = Field(default=None, foreign_key="rationale.id", ondelete="SET NULL", index=True)
    computed_at: datetime = Field(default_factory=utcnow)


# A named selection with its full configuration and the drop report of the run that made it.
class Selection(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    config: dict = json_field(nullable=False, default=None)
    report: dict | None = json_field()
    created_at: datetime = Field(default_factory=utcnow)


# One kept scene of a selection with its chosen/rejected rationale pair.
class SelectionItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("selection_id", "scene_id"),)
    id: int | None = Field(default=None, primary_key=True)
    selection_id: int = Field(foreign_key="selection.id", index=True)
    scene_id: int = Field(foreign_key="scene.id", index=True)
    chosen_rationale_id: int = Field(foreign_key="rationale.id", index=True)
    rejected_rationale_id: int = Field(foreign_key="rationale.id", index=True)
    rank: int
    rank_value: float | None = None


# The human verdict on a scene: pending | approved | rejected; version guards concurrent saves.
class Review(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    scene_id: int = Field(foreign_key="scene.id", unique=True)
    status: str = Field(default=PENDING, index=True)
    reviewer: str | None = None
    note: str | None = None
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow)


# A written export file and its manifest.
class ExportRecord(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    selection_name: str | None = None
    format: str
    path: str
    rows: int
    sha256: str
    manifest: dict = json_field(nullable=False, default=None)
    reviewer: str | None = None  # who wrote it (None: exported before reviewers were recorded, or by a library call)
    created_at: datetime = Field(default_factory=utcnow)


# A named evaluation of a simulator (an endpoint answering directly or after a thought) or of a non-LLM baseline.
class EvalRun(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    mode: str  # direct | thought (an endpoint) or random | popularity | position (a baseline)
    endpoint: str | None = None  # None for a baseline
    model: str | None = None
    config: dict = json_field(nullable=False, default=None)  # what a resumed run must match (split, repeat, seed, ...)
    run_id: int | None = Field(default=None, foreign_key="run.id")  # the latest pipeline run that worked on it
    summary: dict | None = json_field()  # the metrics as `evaluate --json` prints them; None until computed
    details: dict | None = json_field()  # what the app draws: reliability bins, accuracy by the truth's position
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


# One repeat of one scene in an evaluation: the letter distribution (float64 blob, A, B, ...) and the sampled option.
class EvalRow(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("eval_run_id", "scene_id", "repeat"),)
    id: int | None = Field(default=None, primary_key=True)
    eval_run_id: int = Field(foreign_key="evalrun.id")
    scene_id: int = Field(foreign_key="scene.id", index=True)
    repeat: int
    probs: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    behavior: int  # the seeded sampled behaviour (0-based option index)
    estimated: bool = False  # True when the distribution was sampled, not read from logprobs
    thought: str | None = None  # thought mode: the decision process the model wrote before its letter
    created_at: datetime = Field(default_factory=utcnow)


# A scene an evaluation could not score because its prompt does not fit the endpoint's context (never scored).
class EvalSkip(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("eval_run_id", "scene_id"),)
    id: int | None = Field(default=None, primary_key=True)
    eval_run_id: int = Field(foreign_key="evalrun.id")
    scene_id: int = Field(foreign_key="scene.id", index=True)
    reason: str
    created_at: datetime = Field(default_factory=utcnow)
