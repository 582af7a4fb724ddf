"""Batch-job files: an LLM stage's requests written as OpenAI Batch API JSONL instead of being called, and the results
of such a file read back into the cache and the call log, after which the stage finishes with no call.

A request line is {"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}: the body is exactly the
JSON the live call sends (model, messages, the parameters, any extra_body merged in), the format OpenAI's Batch API,
vLLM's `run_batch` and Ray Data LLM pipelines consume. custom_id is the request's cache key, so an answer imported
for it is the answer the live command looks up. A result line is {"custom_id", "response": {"status_code", "body":
chat.completion}, "error"} as those tools write it.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import BadInput
from core.llm.client import MAX_ERROR_CHARS, LlmRequest, extract, request_body
from core.llm.retry import BadReply
from storage.batches import batch_requests, mark_imported, record_batch_requests
from storage.llm import cache_insert, insert_calls
from storage.models import Endpoint, utcnow

BATCH_URL = "/v1/chat/completions"
COMPLETION_URL = "/v1/completions"  # a request conditioned as a raw prompt (core/conditioning.py)


def _database_files(engine: Engine) -> set[Path]:
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return set()
    db = Path(engine.url.database).resolve()
    return {db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")}


@dataclass
class BatchOut:
    """The requests of one run collected for a batch file (one line per distinct request) and the stage items they
    serve; written by write() when the run has gone through all its work."""

    path: Path
    lines: dict[str, dict] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    units: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, *, engine: Engine, path: str | Path) -> "BatchOut":
        """A collector for a new file at path; BadInput for a folder that does not exist, an existing path (never
        overwritten: the requests in it may be running elsewhere) or the database itself."""
        path = Path(path)
        if not str(path).strip():
            raise BadInput("--batch-out needs a file name")
        if not path.parent.is_dir():
            raise BadInput(f"--batch-out: folder {str(path.parent)!r} does not exist")
        if path.resolve() in _database_files(engine):
            raise BadInput(f"--batch-out {str(path)!r} is the database")
        if path.exists() or path.is_symlink():
            raise BadInput(f"--batch-out {str(path)!r} exists; give a new file name")
        return cls(path=path)

    def add(self, *, endpoint: Endpoint, request: LlmRequest, keys: tuple[str, str], run_id, units: set[str]) -> None:
        """One request (keys = its cache key and prompt hash) for the file, serving these stage items."""
        self.units |= units
        key, prompt_hash = keys
        if key in self.lines:
            return
        body = request_body(model=endpoint.model, request=request)
        url = COMPLETION_URL if request.prompt is not None else BATCH_URL
        self.lines[key] = {"custom_id": key, "method": "POST", "url": url, "body": body}
        self.rows.append(
            {
                "custom_id": key,
                "cache_key": key,
                "prompt_hash": prompt_hash,
                "endpoint": endpoint.name,
                "model": endpoint.model,
                "params": request.params,
                "item_key": request.item_key,
                "scene_id": request.scene_id,
                "stage": request.stage,
                "run_id": run_id,
                "path": str(self.path.resolve()),
            }
        )

    def write(self, *, engine: Engine) -> int:
        """Write the file (a temporary name renamed into place) and record its requests; the number of lines."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with Session(engine) as session:
                record_batch_requests(session=session, rows=self.rows)
                with tmp.open("w", encoding="utf-8") as fh:
                    fh.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in self.lines.values())
                os.replace(tmp, self.path)
                session.commit()
        finally:
            tmp.unlink(missing_ok=True)
        return len(self.lines)


@dataclass
class BatchImport:
    """What `import --format batch-results` stored: answers cached, errors logged, lines already imported."""

    answers: int = 0
    errors: int = 0
    already: int = 0

    @property
    def message(self) -> str:
        return (
            f"batch results: {self.answers} answers cached, {self.errors} errors logged, "
            f"{self.already} already imported"
        )


def _parse(where: str, raw: bytes, lineno: int) -> tuple[str, dict | None, str | None]:
    """(custom_id, cacheable response or None, error or None) of one result line; BadInput naming the line."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"{where} line {lineno}: not a JSON line ({exc})") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("custom_id"), str) or not obj["custom_id"]:
        raise BadInput(f"{where} line {lineno}: not a batch result (an object with a custom_id)")
    response, error = obj.get("response"), obj.get("error")
    if isinstance(response, dict) and response.get("status_code") == 200 and not error:
        body = response.get("body")
        choices = body.get("choices") if isinstance(body, dict) else None
        completion = bool(choices) and isinstance(choices[0], dict) and "text" in choices[0]
        try:
            return obj["custom_id"], extract(body, completion=completion), None
        except BadReply as exc:
            raise BadInput(f"{where} line {lineno}: {exc}") from None
    if error or (isinstance(response, dict) and isinstance(response.get("status_code"), int)):
        detail = error or {"status_code": response["status_code"], "body": response.get("body")}
        return obj["custom_id"], None, f"batch: {json.dumps(detail, ensure_ascii=False)}"[:MAX_ERROR_CHARS]
    raise BadInput(f"{where} line {lineno}: neither a response with a status_code nor an error")


def read_results(path: str | Path) -> list[tuple[int, str, dict | None, str | None]]:
    """Every result line of the file: (line number, custom_id, response, error); BadInput for the first bad line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    results, seen = [], {}
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        custom_id, response, error = _parse(str(path), raw, lineno)
        if custom_id in seen:
            raise BadInput(f"{path} line {lineno}: custom_id {custom_id!r} repeats line {seen[custom_id]}")
        seen[custom_id] = lineno
        results.append((lineno, custom_id, response, error))
    if not results:
        raise BadInput(f"{path} holds no result lines")
    return results


def import_batch_results(*, engine: Engine, path: str | Path) -> BatchImport:
    """Store a results file's answers in the cache and every line in the call log, in one transaction; a file with
    an unknown custom_id, a repeated one or a malformed line is refused (BadInput naming the line), nothing stored.
    Lines imported before are skipped, so importing a file twice changes nothing."""
    results = read_results(path)
    report = BatchImport()
    with Session(engine) as session:
        known = batch_requests(session=session, custom_ids=[custom_id for _, custom_id, _, _ in results])
        for lineno, custom_id, _, _ in results:
            if custom_id not in known:
                raise BadInput(
                    f"{path} line {lineno}: unknown custom_id {custom_id!r} (not a request --batch-out wrote for "
                    "this database)"
                )
        cache_rows, calls, imported = [], [], []
        for _, custom_id, response, error in results:
            request = known[custom_id]
            if request["imported"]:
                report.already += 1
                continue
            imported.append(custom_id)
            if response is not None:
                cache_rows.append({"key": request["cache_key"], "response": response})
            report.answers += response is not None
            report.errors += response is None
            calls.append(_call_row(request, response, error))
        cache_insert(session=session, rows=cache_rows, replace=True)
        insert_calls(session=session, rows=calls)
        mark_imported(session=session, custom_ids=imported)
        session.commit()
    return report


def _call_row(request: dict, response: dict | None, error: str | None) -> dict:
    usage = (response or {}).get("usage") or {}
    return {
        "run_id": None,
        "endpoint": request["endpoint"],
        "model": request["model"],
        "params": request["params"],
        "prompt_hash": request["prompt_hash"],
        "cache_key": request["cache_key"],
        "item_key": request["item_key"],
        "scene_id": request["scene_id"],
        "stage": request["stage"],
        "prompt_tokens": usage.get("prompt_tokens"),
        "completion_tokens": usage.get("completion_tokens"),
        "latency_ms": None,
        "status": "ok" if error is None else "error",
        "error": error,
        "created_at": utcnow(),
    }
