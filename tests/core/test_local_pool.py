"""The embedded model's pool: each process is a replica of the `local` endpoint; the client gives each its own worker
and keeps a scene's requests on one process (whose prompt cache then holds the scene's prompt)."""

from types import SimpleNamespace

from core.llm.client import LlmRequest, run_requests
from core.llm.endpoints import pool_endpoint, replica_urls
from core.llm.local_server import MAX_SLOTS, layout
from tests.factories import make_dataset, make_scene
from tests.fault_server import FaultServer


def test_a_scene_stays_on_one_replica_and_every_replica_works(session, engine):
    dataset = make_dataset(session)
    scene_ids = [make_scene(session, dataset=dataset, user_index=0).id for _ in range(4)]
    session.commit()
    servers = [FaultServer(latency=0.05).start() for _ in range(2)]
    seen: list[list[str]] = [[], []]
    for k, server in enumerate(servers):
        server.responder = lambda body, k=k: seen[k].append(body["messages"][-1]["content"]) or "B"
    pool = SimpleNamespace(base_url=servers[0].url, urls=[s.url for s in servers], model="m", servers=servers)
    try:
        with pool_endpoint(pool) as endpoint:
            assert replica_urls(endpoint) == pool.urls and endpoint.concurrency == 2
            requests = [
                LlmRequest(f"r:{sid}:{i}", [{"role": "user", "content": f"scene {sid}"}], {"seed": i}, scene_id=sid)
                for sid in scene_ids
                for i in range(3)
            ]
            results = run_requests(engine=engine, endpoint=endpoint, requests=requests)
        assert replica_urls(endpoint) == [endpoint.base_url]  # unregistered once the pool is gone
    finally:
        for server in servers:
            server.stop()
    assert [r.content for r in results] == ["B"] * 12
    by_server = [set(texts) for texts in seen]
    assert by_server[0] and by_server[1] and not by_server[0] & by_server[1]
    assert sorted(len(texts) for texts in seen) in ([6, 6], [3, 9])
    assert by_server[0] | by_server[1] == {f"scene {sid}" for sid in scene_ids}


def test_one_single_threaded_process_per_core_by_default_at_most_four(monkeypatch):
    monkeypatch.delenv("MIRROR_LOCAL_SLOTS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert (layout(), layout(1), layout(3)) == ((2, 1), (1, 2), (3, 1))  # asked for: more processes than cores
    monkeypatch.setenv("MIRROR_LOCAL_SLOTS", "1")
    assert layout() == (1, 2)
    monkeypatch.delenv("MIRROR_LOCAL_SLOTS")
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert (layout(), layout(2)) == ((MAX_SLOTS, 4), (2, 8))
