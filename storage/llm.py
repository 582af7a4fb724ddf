"""Queries for LLM endpoints, the call log and the result cache (bulk reads and writes)."""

from sqlalchemy import case, func, insert, select
from sqlmodel import Session

from storage.dialect import insert_on_conflict
from storage.models import Endpoint, LlmCache, LlmCall

# SQLite allows ~32k bound parameters; stay far below for IN (...) lookups.
_CHUNK = 900


def add_endpoint(*, session: Session, endpoint: Endpoint) -> Endpoint:
    """Insert one new endpoint row (the caller checks the name is free); the row, with its id."""
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(*, session: Session, name: str) -> Endpoint | None:
    """The stored endpoint of that name, or None."""
    return session.execute(select(Endpoint).where(Endpoint.name == name)).scalars().first()


def list_endpoints(*, session: Session) -> list[Endpoint]:
    """Every stored endpoint, by name."""
    return list(session.execute(select(Endpoint).order_by(Endpoint.name)).scalars().all())


def remove_endpoint(*, session: Session, name: str) -> bool:
    """Delete the endpoint of that name; False when there was none."""
    endpoint = get_endpoint(session=session, name=name)
    if endpoint is None:
        return False
    session.delete(endpoint)
    session.flush()
    return True


def cache_lookup(*, session: Session, keys: list[str]) -> dict[str, dict]:
    """Cached responses for the given keys (missing keys are absent from the result)."""
    found: dict[str, dict] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = session.execute(select(LlmCache.key, LlmCache.response).where(LlmCache.key.in_(chunk)))
        found.update({key: response for key, response in rows})
    return found


def cache_insert(*, session: Session, rows: list[dict], replace: bool = False) -> None:
    """Store responses ({key, response}); an existing key keeps its first response unless replace."""
    if not rows:
        return
    stmt = insert_on_conflict(session.connection(), LlmCache)
    if replace:
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"response": stmt.excluded.response})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    session.execute(stmt, rows)


def insert_calls(*, session: Session, rows: list[dict]) -> None:
    """Append call-log rows (one per attempt) in one statement."""
    if rows:
        session.execute(insert(LlmCall), rows)


def call_stats(*, session: Session) -> list[dict]:
    """Per endpoint: calls, failures, prompt/completion tokens and mean latency (ms)."""
    failed = func.sum(case((LlmCall.status == "ok", 0), else_=1))
    rows = session.execute(
        select(
            LlmCall.endpoint,
            func.count(LlmCall.id),
            failed,
            func.coalesce(func.sum(LlmCall.prompt_tokens), 0),
            func.coalesce(func.sum(LlmCall.completion_tokens), 0),
            func.avg(LlmCall.latency_ms),
        )
        .group_by(LlmCall.endpoint)
        .order_by(LlmCall.endpoint)
    )
    return [
        {
            "endpoint": name,
            "calls": int(calls),
            "failures": int(fails),
            "prompt_tokens": int(prompt_tokens),
            "completion_tokens": int(completion_tokens),
            "mean_latency_ms": float(latency) if latency is not None else None,
        }
        for name, calls, fails, prompt_tokens, completion_tokens, latency in rows
    ]


def failed_item_keys(*, session: Session, stage: str | None = None, run_id: int | None = None) -> set[str]:
    """Item keys with a failed attempt and no successful one (optionally of one stage or run)."""
    ok = func.sum(case((LlmCall.status == "ok", 1), else_=0))
    query = select(LlmCall.item_key).where(LlmCall.item_key.is_not(None)).group_by(LlmCall.item_key).having(ok == 0)
    if stage is not None:
        query = query.where(LlmCall.stage == stage)
    if run_id is not None:
        query = query.where(LlmCall.run_id == run_id)
    return {key for (key,) in session.execute(query)}


def calls_for_item(*, session: Session, item_key: str) -> list[LlmCall]:
    """Every logged attempt for one item, oldest first."""
    query = select(LlmCall).where(LlmCall.item_key == item_key).order_by(LlmCall.id)
    return list(session.execute(query).scalars().all())
