"""A rationale streamed as it is written (the app's Generate): the same request a run sends, stored and predicted only
once it is whole; a failure mid-way is logged, said in words, and stores nothing. On the embedded model (slow): the
model kept warm answers its first words within seconds."""

import os

import numpy as np
import pytest
from sqlmodel import Session, select

from core.errors import EndpointError
from core.llm.warm import WarmModel
from core.rationale_stream import RationaleStream
from core.rationales import rationale_requests
from storage.llm import add_endpoint, cache_lookup
from storage.models import Endpoint, LlmCall, Prediction, Rationale
from tests.factories import GOOD_RATIONALE, make_dataset, make_scene
from tests.fault_server import FaultServer

GOOD = GOOD_RATIONALE.format(letter="C")


@pytest.fixture
def server():
    fault = FaultServer().start()
    fault.responder = lambda body: GOOD if body.get("stream") else "C"
    yield fault
    fault.stop()


def _endpoint(session, server) -> Endpoint:
    endpoint = Endpoint(name="fault", base_url=server.url, model="m", timeout=30, retries=0)
    add_endpoint(session=session, endpoint=endpoint)
    session.commit()
    return endpoint


def test_a_streamed_rationale_arrives_in_pieces_and_is_stored_whole(engine, session, server):
    dataset = make_dataset(session, n_users=1)
    scene = make_scene(session, dataset=dataset, choice_cnt=3)
    endpoint = _endpoint(session, server)
    stream = RationaleStream(engine=engine, scene_id=scene.id, role="strong", endpoint=endpoint, max_tokens=300)
    pieces = list(stream)
    assert len(pieces) > 10 and "".join(pieces) == GOOD
    with Session(engine) as s:
        assert s.exec(select(Rationale)).all() == []  # nothing stored before save()
    rationale_id = stream.save()
    with Session(engine) as s:
        stored = s.get(Rationale, rationale_id)
        prediction = s.exec(select(Prediction).where(Prediction.rationale_id == rationale_id)).one()
        calls = s.exec(select(LlmCall).order_by(LlmCall.id)).all()
        # the request is exactly the one a `rationales` run would send for that sample, and its answer is cached
        requests, _ = rationale_requests(
            session=s,
            endpoint=endpoint,
            work=[(scene.id, 0)],
            role="strong",
            max_tokens=300,
            temperature=1.0,
            constraint="none",
        )
        cached = cache_lookup(session=s, keys=[calls[0].cache_key])
    assert (stored.text, stored.sample_index, stored.behavior, stored.decoding) == (GOOD, 0, "C", "none")
    assert (prediction.role, prediction.behavior_index) == ("strong", 2)
    assert float(np.frombuffer(prediction.probs).sum()) == pytest.approx(1.0)
    assert [(c.stage, c.status) for c in calls] == [("rationale", "ok"), ("predict", "ok")]
    sent = server.received[0][1]
    assert sent["stream"] is True and sent["messages"] == requests[0].messages
    assert {k: sent[k] for k in requests[0].params} == requests[0].params
    assert cached[calls[0].cache_key]["content"] == GOOD


def test_a_failed_stream_is_logged_said_in_words_and_stores_nothing(engine, session, server):
    dataset = make_dataset(session, n_users=1)
    scene = make_scene(session, dataset=dataset, profile="FAULT:500")
    endpoint = _endpoint(session, server)
    stream = RationaleStream(engine=engine, scene_id=scene.id, role="weak", endpoint=endpoint)
    with pytest.raises(EndpointError, match=r"^endpoint 'fault' stopped while writing the rationale: ") as caught:
        list(stream)
    assert "InternalServerError" not in str(caught.value)
    with Session(engine) as s:
        assert s.exec(select(Rationale)).all() == []
        calls = s.exec(select(LlmCall)).all()
    assert [(c.stage, c.status, c.error.split(":")[0]) for c in calls] == [("rationale", "error", "http_500")]
    with pytest.raises(EndpointError, match="nothing was written yet"):
        stream.save()


@pytest.mark.slow
@pytest.mark.sqlite_only  # the embedded model: once
def test_the_warm_embedded_model_is_started_once_shared_and_stopped(engine, session):
    dataset = make_dataset(session, n_users=1)
    scene = make_scene(session, dataset=dataset, choice_cnt=3)
    model = WarmModel()
    assert model.state == "off"
    try:
        endpoint = model.endpoint(timeout=300)
        assert model.state == "ready" and model.endpoint() is endpoint  # started once, shared
        pids = model.pids
        assert len(pids) >= 1 and all(os.kill(pid, 0) is None for pid in pids)
        stream = RationaleStream(engine=engine, scene_id=scene.id, role="strong", endpoint=endpoint, max_tokens=160)
        text = "".join(stream)
        rationale_id = stream.save()
        with Session(engine) as s:
            stored = s.get(Rationale, rationale_id)
            predicted = s.exec(select(Prediction).where(Prediction.rationale_id == rationale_id)).one()
        assert stored.text == text and stored.decoding == "format" and stored.problems == []  # constrained
        assert predicted.behavior_index in range(3)
    finally:
        model.stop()
    assert model.state == "off"
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
