"""Progress reporting shared by the CLI (tqdm on stderr) and the app (a callback per step)."""

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")

# callback(done, total, label) — the app passes one that moves an st.progress bar.
ProgressCallback = Callable[[int, int, str], None]


class Progress:
    """A progress sink: a tqdm bar when show_bar, plus an optional callback."""

    def __init__(self, *, callback: ProgressCallback | None = None, show_bar: bool = True) -> None:
        self.callback = callback
        self.show_bar = show_bar

    def iterate(self, items: Iterable[T], *, total: int | None = None, label: str = "") -> Iterator[T]:
        """Yield items while reporting progress."""
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        bar = tqdm(total=total, desc=label, disable=not self.show_bar, leave=False, unit="it")
        done = 0
        try:
            for item in items:
                yield item
                done += 1
                bar.update(1)
                if self.callback and total:
                    self.callback(done, total, label)
        finally:
            bar.close()

    def bar(self, *, total: int, label: str = "") -> "Bar":
        """A manual bar: call .update(n) as work finishes."""
        return Bar(self, total=total, label=label)


class Bar:
    """A manually advanced bar bound to a Progress."""

    def __init__(self, progress: Progress, *, total: int, label: str) -> None:
        self.progress = progress
        self.total = total
        self.label = label
        self.done = 0
        self._bar = tqdm(total=total, desc=label, disable=not progress.show_bar, leave=False, unit="it")

    def update(self, n: int = 1) -> None:
        self.done += n
        self._bar.update(n)
        if self.progress.callback and self.total:
            self.progress.callback(self.done, self.total, self.label)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> "Bar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


SILENT = Progress(show_bar=False)
