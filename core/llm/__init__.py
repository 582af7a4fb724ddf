"""LLM infrastructure: endpoints (endpoints.py), the embedded server (local_server.py), the cached, retried, logged
request runner (client.py) and the one-call endpoint test (probe.py). Nothing is imported here, so pages that only
need a constant stay light."""
