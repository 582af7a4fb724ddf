"""LLM infrastructure: endpoints (endpoints.py), the embedded server (local_server.py), and the cached, retried,
logged request runner (client.py). Nothing is imported here, so pages that only need a constant stay light."""
