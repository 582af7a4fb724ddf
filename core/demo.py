"""The demo workspace: bundled MovieTweetings sample -> scenes -> rationales and predictions on the embedded
model -> scores -> a default selection -> a few reviews, so every app page has something to show."""

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.choices import DEMO_RATIONALES, DEMO_RUN, DEMO_STEPS
from core.errors import MirrorError
from core.ingest import ingest
from core.llm.endpoints import open_endpoint
from core.predict import predict
from core.progress import Progress
from core.rationales import generate_rationales
from core.review import set_review
from core.scenes import build_scenes
from core.scoring import score
from core.selection import SelectionConfig, save_selection
from core.settings import load_settings
from storage.constants import APPROVED, REJECTED, ROLES
from storage.datasets import get_dataset
from storage.reviews import get_review
from storage.runs import finish_run, interrupt_dead_runs, running_runs, start_run, update_run
from storage.scenes import split_counts
from storage.selections import get_selection, selection_scene_ids

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"
DEMO_DATASET = "demo"
DEMO_SELECTION = "demo-default"
DEMO_REVIEWER = "demo"


@dataclass
class DemoConfig:
    """Sizes small enough for a few minutes on 2 CPU cores with the embedded model."""

    train_scenes: int = field(default_factory=lambda: load_settings().demo_scenes)
    eval_scenes: int = field(default_factory=lambda: max(1, load_settings().demo_scenes // 4))
    n: int = DEMO_RATIONALES  # rationales per scene and role
    max_tokens: int = field(default_factory=lambda: load_settings().demo_max_tokens)
    min_exposure: int = 2
    max_exposure: int = 5
    endpoint: str = field(default_factory=lambda: load_settings().demo_endpoint)
    reviews: int = 3
    # One embedded model plays both roles: the teacher samples cooler than the student, so the two
    # roles differ (same settings would share every cached answer and make every score difference 0).
    temperatures: tuple[float, float] = (0.7, 1.3)


@dataclass
class DemoReport:
    steps: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage, in the order they ran

    def add(self, line: str) -> None:
        self.steps.append(line)

    def times(self) -> str:
        """One line: each stage's wall time and the total."""
        parts = [f"{label} {value:.1f} s" for label, value in self.seconds.items()]
        return f"stage times: {', '.join(parts)}; total {sum(self.seconds.values()):.1f} s"


@dataclass
class _Build:
    """One demo build: what every step needs, and the progress callback's step counter."""

    engine: Engine
    config: DemoConfig
    progress: Progress
    report: DemoReport = field(default_factory=DemoReport)
    step: int = 0
    since: float = field(default_factory=time.perf_counter)
    run_id: int | None = None  # the build's own run record: any process (the app's tabs) follows it there

    def timed(self, label: str) -> None:
        """Record the wall time since the previous stage ended as this stage's."""
        now = time.perf_counter()
        self.report.seconds[label] = now - self.since
        self.since = now

    def tick(self, label: str) -> None:
        self.timed(label)
        self.step += 1
        if self.run_id is not None:
            with Session(self.engine) as session:
                update_run(session=session, run_id=self.run_id, done=self.step, message=f"{label} done")
        if self.progress.callback:
            self.progress.callback(self.step, DEMO_STEPS, label)


def failure_words(exc: BaseException) -> str:
    """What stopped a build, said in words (a run record and the app show it; never an exception class name)."""
    if isinstance(exc, KeyboardInterrupt):
        return "stopped before finishing: interrupted by the user"
    if isinstance(exc, MirrorError) and str(exc):
        return f"stopped before finishing: {exc}"
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "no detail given"
    return f"stopped before finishing by an unexpected error ({detail}); the build log has the rest"


def build_demo(*, engine: Engine, progress: Progress | None = None, config: DemoConfig | None = None) -> DemoReport:
    """Build (or complete) the demo workspace; every step resumes where an earlier run stopped.

    The build is recorded as a run of kind "demo" (done = steps finished, message = the last step) so that any
    process can follow it; a second build while one is alive is refused.
    """
    run = _Build(engine=engine, config=config or DemoConfig(), progress=progress or Progress())
    with Session(engine, expire_on_commit=False) as session:
        interrupt_dead_runs(session=session)
        busy = running_runs(session=session, kind=DEMO_RUN)
        if busy:
            raise MirrorError(f"a demo build is already running (run {busy[0].id}); it goes on without this one")
        run.run_id = start_run(
            session=session, kind=DEMO_RUN, params={"endpoint": run.config.endpoint}, total=DEMO_STEPS
        ).id
    try:
        complete = _steps(run)
    except BaseException as exc:
        with Session(engine) as session:
            finish_run(session=session, run_id=run.run_id, status="failed", message=failure_words(exc))
        raise
    with Session(engine) as session:
        if complete:
            finish_run(session=session, run_id=run.run_id, message="demo workspace ready")
        else:
            message = "stopped before finishing: no scene has predictions for both roles (a resume retries the calls)"
            finish_run(session=session, run_id=run.run_id, status="failed", message=message)
    return run.report


def _steps(run: _Build) -> bool:
    """Every step in order; whether the workspace is complete (False: no scene could be scored)."""
    engine = run.engine
    _scenes(run, _ingest(run))
    _rationales_and_predictions(run)
    scored = score(engine=engine, progress=run.progress)
    run.report.add(f"scored {scored.scored} scenes")
    run.tick("scores")
    if not scored.scored:
        run.report.add("no scene has predictions for both roles; rerun `python -m core demo` to retry the failed calls")
        return False
    _select_and_review(run)
    return True


def _ingest(run: _Build) -> int:
    """The bundled sample as the demo dataset (once); its id."""
    with Session(run.engine) as session:
        dataset = get_dataset(session=session, name=DEMO_DATASET)
    if dataset is None:
        ing = ingest(engine=run.engine, name=DEMO_DATASET, fmt="movietweetings", path=SAMPLE_DIR, progress=run.progress)
        run.report.add(f"ingested {ing.users} users, {ing.items} items, {ing.interactions} interactions")
        dataset_id = ing.dataset_id
    else:
        dataset_id = dataset.id
    run.tick("ingest")
    return dataset_id


def _scenes(run: _Build, dataset_id: int) -> None:
    """Train and eval scenes up to the configured counts."""
    config = run.config
    for split, wanted in (("train", config.train_scenes), ("eval", config.eval_scenes)):
        with Session(run.engine) as session:
            have = split_counts(session=session, dataset_id=dataset_id)[split]
        if have < wanted:
            built = build_scenes(
                engine=run.engine,
                dataset=DEMO_DATASET,
                count=wanted - have,
                split=split,
                min_exposure=config.min_exposure,
                max_exposure=config.max_exposure,
                seed=0,
                progress=run.progress,
            )
            run.report.add(f"{split} scenes: {built.created} built")
    run.tick("scenes")


def _rationales_and_predictions(run: _Build) -> None:
    """Both roles' rationales, then their predictions, on one endpoint (one embedded server for all four stages)."""
    config = run.config
    with open_endpoint(engine=run.engine, name=config.endpoint) as endpoint:
        run.timed("model start")
        for role, temperature in zip(ROLES, config.temperatures, strict=True):
            generate_rationales(
                engine=run.engine,
                role=role,
                endpoint=endpoint,
                n=config.n,
                dataset=DEMO_DATASET,
                max_tokens=config.max_tokens,
                progress=run.progress,
                temperature=temperature,
            )
            run.tick(f"{role} rationales")
        # both roles in one stage: a scene's four rationales go to one model process one after the other, which
        # evaluates the scene's prompt once and keeps it in its prompt cache for the rest
        predict(engine=run.engine, role=None, endpoint=endpoint, dataset=DEMO_DATASET, progress=run.progress)
        run.tick("predictions")
    run.timed("model stop")


def _select_and_review(run: _Build) -> None:
    """The default selection, and a verdict on its first few scenes that have none (reviews are human work: a rerun
    never touches a scene that already has one)."""
    selection = save_selection(
        engine=run.engine, config=SelectionConfig(name=DEMO_SELECTION, target=1000), replace=True
    )
    run.report.add(f"selection {DEMO_SELECTION}: {len(selection.kept)} scenes kept")
    with Session(run.engine) as session:
        sel = get_selection(session=session, name=DEMO_SELECTION)
        first = (selection_scene_ids(session=session, selection_id=sel.id) if sel else [])[: run.config.reviews]
        reviewed = [scene_id for scene_id in first if get_review(session=session, scene_id=scene_id) is None]
        for scene_id in reviewed:
            # the last of several is rejected so every review state shows up in the app
            status = REJECTED if scene_id == first[-1] and len(first) > 1 else APPROVED
            set_review(session=session, scene_id=scene_id, status=status, reviewer=DEMO_REVIEWER, note="demo review")
    run.report.add(f"reviewed {len(reviewed)} scenes")
    run.tick("reviews")
