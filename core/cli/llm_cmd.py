"""CLI: llm (placeholder until its issue lands)."""


def register(sub) -> None:
    """No commands yet."""
