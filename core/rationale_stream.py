"""One new rationale for a scene, streamed as the model writes it (the app's Generate), then stored and predicted
like any other: the same request as `rationales` would send (prompt, sampling, grammar), its call logged and cached.
"""

import time
from collections.abc import Iterator

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import EndpointError, NotFound
from core.format_grammar import check_constraint
from core.llm.client import MAX_ERROR_CHARS, cache_key, call_row
from core.llm.endpoints import api_key, endpoint_sync_client
from core.llm.retry import classify, scrub
from core.predict import predict
from core.rationales import TEMPERATURE, rationale_requests, rationale_row
from storage.constants import ANY
from storage.llm import cache_insert, insert_calls
from storage.models import Endpoint
from storage.rationales import add_new_rationales, next_sample_index, scene_prompts


class RationaleStream:
    """Iterate it for the text as it arrives, then save() stores and predicts the rationale (`rationale_id` names
    it). A failure is logged as a failed call and raised as EndpointError, in words (nothing stored)."""

    def __init__(
        self,
        *,
        engine: Engine,
        scene_id: int,
        role: str,
        endpoint: Endpoint,
        max_tokens: int = 1024,
        constrain: str | None = None,
        temperature: float = TEMPERATURE,
    ) -> None:
        self.engine, self.endpoint, self.role = engine, endpoint, role
        self.constraint = check_constraint(endpoint, constrain)
        with Session(engine) as session:
            if not scene_prompts(session=session, scene_ids=[scene_id]):
                raise NotFound(f"unknown scene {scene_id}")
            index = next_sample_index(session=session, scene_id=scene_id, role=role)
            requests, meta = rationale_requests(
                session=session,
                endpoint=endpoint,
                work=[(scene_id, index)],
                role=role,
                max_tokens=max_tokens,
                temperature=temperature,
                constraint=self.constraint,
            )
        self.request = requests[0]
        self.scene_id, self.index, self.n_options = meta[self.request.item_key]
        self.rationale_id: int | None = None
        self.text = ""
        self._started = 0.0

    def __iter__(self) -> Iterator[str]:
        secrets = [api_key(self.endpoint)] if self.endpoint.api_key_env else []
        started = self._started = time.monotonic()
        parts: list[str] = []
        try:
            client = endpoint_sync_client(self.endpoint)
            stream = client.chat.completions.create(
                model=self.endpoint.model, messages=self.request.messages, stream=True, **self.request.params
            )
            for chunk in stream:
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    parts.append(delta)
                    yield delta
        except Exception as exc:
            status, _ = classify(exc)
            self._log(started, scrub(f"{status}: {type(exc).__name__}: {exc}", secrets)[:MAX_ERROR_CHARS])
            words = scrub(str(exc), secrets)[:200] or "no reply"
            raise EndpointError(
                f"endpoint {self.endpoint.name!r} stopped while writing the rationale: {words}"
            ) from None
        self.text = "".join(parts)
        if not self.text.strip():
            self._log(started, "empty answer")
            raise EndpointError(f"endpoint {self.endpoint.name!r} gave an empty rationale; try again")

    def _log(self, started: float, error: str | None) -> None:
        row = call_row(
            endpoint=self.endpoint,
            request=self.request,
            run_id=None,
            error=error,
            latency_ms=(time.monotonic() - started) * 1000,
        )
        with Session(self.engine) as session:
            insert_calls(session=session, rows=[row])
            session.commit()

    def save(self) -> int:
        """Store the streamed rationale (its call logged and cached, as a pipeline run would) and predict it; its id."""
        if not self.text.strip():
            raise EndpointError("nothing was written yet: iterate the stream first")
        self._store(self._started)
        return self.rationale_id

    def _store(self, started: float) -> None:
        row = rationale_row(
            endpoint=self.endpoint,
            scene_id=self.scene_id,
            role=self.role,
            index=self.index,
            n_options=self.n_options,
            text=self.text,
            constraint=self.constraint,
        )
        response = {"content": self.text, "logprobs": None, "usage": {}, "finish_reason": "stop"}
        self._log(started, None)
        with Session(self.engine) as session:
            cache_insert(
                session=session,
                rows=[{"key": cache_key(endpoint=self.endpoint, request=self.request), "response": response}],
            )
            ids = add_new_rationales(session=session, rows=[row])
            session.commit()
        if not ids:
            raise EndpointError(f"scene {self.scene_id} got a {self.role} rationale #{self.index} meanwhile; try again")
        self.rationale_id = ids[0]
        predict(engine=self.engine, role=None, endpoint=self.endpoint, rationale_ids=ids, split=ANY)
