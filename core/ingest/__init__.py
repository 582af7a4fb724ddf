"""Ingest: read a dataset (unified files or a known public layout), validate it, write it in one transaction."""

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from core.choices import INGEST_FORMATS
from core.errors import BadInput
from core.ingest.tables import Frames, Table
from core.ingest.validate import validate
from core.ingest.write import filter_users, order_by_user_time, write_dataset
from core.limits import INTERACTIONS
from core.progress import SILENT, Progress
from core.text_checks import check_name


@dataclass
class IngestReport:
    """What one ingest wrote and dropped."""

    dataset: str
    dataset_id: int
    format: str
    users: int
    items: int
    interactions: int
    dropped_users: int
    dropped_interactions: int
    seconds: float
    replaced: dict[str, int] | None = None  # what --replace deleted of the old dataset (storage delete counts)

    @property
    def message(self) -> str:
        """One line for the CLI and the app."""
        text = (
            f"ingested {self.dataset!r} ({self.format}): {self.users:,} users, {self.items:,} items, "
            f"{self.interactions:,} interactions in {self.seconds:.1f} s"
        )
        if self.dropped_users:
            text += (
                f"; dropped {self.dropped_users:,} users outside the interactions-per-user range "
                f"and their {self.dropped_interactions:,} interactions"
            )
        return text


def _check_range(min_interactions: int, max_interactions: int | None) -> None:
    INTERACTIONS.check(min_interactions, label="--min-interactions")
    if max_interactions is not None:
        INTERACTIONS.check(max_interactions, label="--max-interactions")
    if max_interactions is not None and max_interactions < max(min_interactions, 1):
        raise BadInput(f"--max-interactions ({max_interactions}) must be >= --min-interactions ({min_interactions})")


def _check_format(fmt: str) -> None:
    if fmt not in INGEST_FORMATS:
        raise BadInput(f"unknown format {fmt!r}; choose one of {', '.join(INGEST_FORMATS)}")


def read_path(fmt: str, path: str | Path) -> Frames:
    """Read a directory in the given format into the three unified tables (no validation yet)."""
    _check_format(fmt)
    root = Path(path).expanduser()
    if not root.exists():
        raise BadInput(f"path not found: {root}")
    if not root.is_dir():
        raise BadInput(f"{root} is not a directory; PATH must be the directory holding the {fmt} files")
    return importlib.import_module(f"core.ingest.{fmt}").read(root)


def _run(
    read: Callable[[], Frames],
    *,
    engine: Engine,
    name: str,
    fmt: str,
    source: str | None,
    replace: bool,
    min_interactions: int,
    max_interactions: int | None,
    progress: Progress | None,
) -> IngestReport:
    """What ingest and ingest_frames share: check the arguments, read, validate, filter, write, report."""
    started = time.perf_counter()
    _check_range(min_interactions, max_interactions)
    _check_name(engine, name, replace)
    progress = progress or SILENT
    with progress.bar(total=2, label="reading and validating") as bar:
        frames = read()
        bar.update()
        clean = validate(frames)
        bar.update()
    clean, dropped_users, dropped_inter = filter_users(
        clean, min_interactions=min_interactions, max_interactions=max_interactions
    )
    if len(clean.users) == 0:
        limit = f"{min_interactions}..{max_interactions}" if max_interactions is not None else f">= {min_interactions}"
        raise BadInput(f"no user has {limit} interactions; nothing was written (change --min/--max-interactions)")
    clean = order_by_user_time(clean)
    options = {"min_interactions": min_interactions, "max_interactions": max_interactions}
    ds, replaced = write_dataset(
        clean,
        engine=engine,
        name=name,
        fmt=fmt,
        source_path=source,
        replace=replace,
        options=options,
        progress=progress,
    )
    return IngestReport(
        dataset=name,
        dataset_id=ds,
        format=fmt,
        users=len(clean.users),
        items=len(clean.items),
        interactions=len(clean.timestamp),
        dropped_users=dropped_users,
        dropped_interactions=dropped_inter,
        seconds=time.perf_counter() - started,
        replaced=replaced,
    )


def _check_name(engine: Engine, name: str, replace: bool) -> None:
    from storage.datasets import dataset_id

    if not name or not name.strip():
        raise BadInput("--dataset needs a non-empty name")
    check_name(name, "--dataset")
    with engine.connect() as conn:
        if not replace and dataset_id(conn=conn, name=name) is not None:
            raise BadInput(f"dataset {name!r} already exists; pass --replace to overwrite it")


def ingest(
    *,
    engine: Engine,
    name: str,
    fmt: str,
    path: str | Path,
    replace: bool = False,
    min_interactions: int = 5,
    max_interactions: int | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Read PATH in format fmt and store it as dataset `name`; BadInput (nothing written) on any input problem."""
    _check_format(fmt)
    return _run(
        lambda: read_path(fmt, path),
        engine=engine,
        name=name,
        fmt=fmt,
        source=str(Path(path).expanduser().resolve()),
        replace=replace,
        min_interactions=min_interactions,
        max_interactions=max_interactions,
        progress=progress,
    )


def ingest_frames(
    *,
    engine: Engine,
    name: str,
    fmt: str,
    users: pd.DataFrame,
    items: pd.DataFrame,
    interactions: pd.DataFrame,
    replace: bool = False,
    min_interactions: int = 5,
    max_interactions: int | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Store in-memory frames in the unified form (DESIGN.md §1) as dataset `name`; fmt is recorded as given."""
    return _run(
        lambda: Frames(Table("users", users), Table("items", items), Table("interactions", interactions)),
        engine=engine,
        name=name,
        fmt=fmt,
        source=None,
        replace=replace,
        min_interactions=min_interactions,
        max_interactions=max_interactions,
        progress=progress,
    )


__all__ = ["IngestReport", "ingest", "ingest_frames", "read_path"]
