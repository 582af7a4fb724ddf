"""The caller's-thread side of a run: the requests run on an LlmLoop's thread, finished work persisted in batches."""

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable, Coroutine

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.llm.loop import LlmLoop
from storage.llm import cache_insert, insert_calls

BATCH_SIZE = 200
FLUSH_SECONDS = 0.5


class Sink:
    """Collects finished results in the caller's thread; each flush = one transaction, then on_results(batch)."""

    def __init__(
        self, *, engine: Engine, results: list, on_results: Callable | None, bar, replace_cache: bool = False
    ) -> None:
        self.engine = engine
        self.replace_cache = replace_cache
        self.results = results
        self.on_results = on_results
        self.bar = bar
        self.batch: list = []
        self.calls: list[dict] = []
        self.cache_rows: list[dict] = []
        self.last_flush = time.monotonic()

    def add(self, indexed: list[tuple[int, object]], calls=(), cache_row: dict | None = None) -> None:
        """Place results at their request index and queue their call-log and cache rows."""
        for index, result in indexed:
            self.results[index] = result
            self.batch.append(result)
        self.calls.extend(calls)
        if cache_row:
            self.cache_rows.append(cache_row)
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def due(self) -> bool:
        """Something is waiting and the last flush is older than FLUSH_SECONDS."""
        return bool(self.batch or self.calls) and time.monotonic() - self.last_flush >= FLUSH_SECONDS

    def flush(self) -> None:
        """Write the call log and cache rows, then hand the batch to on_results and the bar."""
        if self.calls or self.cache_rows:
            with Session(self.engine) as session:
                insert_calls(session=session, rows=self.calls)
                cache_insert(session=session, rows=self.cache_rows, replace=self.replace_cache)
                session.commit()
        batch, self.batch, self.calls, self.cache_rows = self.batch, [], [], []
        self.last_flush = time.monotonic()
        if batch and self.on_results:
            self.on_results(batch)
        if batch and self.bar:
            self.bar.update(len(batch))


def run_in_thread(
    main: Callable[[queue.SimpleQueue], Coroutine],
    *,
    handle: Callable[[object], None],
    sink: Sink,
    loop: LlmLoop,
) -> None:
    """Run main(out) on `loop` (its own thread); handle(item) each item it puts on `out` here.

    Works whether or not the caller already has a running loop. On an exception here (e.g. Ctrl-C) the async
    work is cancelled and what finished so far is still flushed.
    """
    out: queue.SimpleQueue = queue.SimpleQueue()
    finished = object()
    done = threading.Event()

    async def work() -> None:
        try:
            await main(out)
        except BaseException as exc:  # re-raised in the caller's thread
            out.put(exc)
        finally:
            out.put(finished)
            done.set()

    future = loop.submit(work())
    failure: BaseException | None = None
    try:
        while True:
            try:
                item = out.get(timeout=FLUSH_SECONDS / 2)
            except queue.Empty:
                item = None
            if item is finished:
                break
            if isinstance(item, BaseException):
                failure = failure or item
            elif item is not None:
                handle(item)
            if sink.due():
                sink.flush()
        sink.flush()
    except BaseException:
        future.cancel()
        with contextlib.suppress(Exception):  # keep what finished; the original error is the one to report
            sink.flush()
        raise
    finally:
        done.wait(timeout=5)
    if failure is not None and not isinstance(failure, asyncio.CancelledError):
        raise failure
