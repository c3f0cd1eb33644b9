"""How many queries run at once: beyond the limit a query is refused at once (503, Retry-After), never queued.

Evaluators that admit queries themselves (the worker pool, with its ``max_queries``) are left to do so; this
gate bounds the others (evaluation in the request thread), so that every evaluator has a limit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

from graph.errors import Unavailable

from .context import get_config

EXTENSION = "genai_kg_query_gate"
#: Queries at once when neither the configuration nor the evaluator says.
DEFAULT_MAX_QUERIES = 8


class QueryGate:
    """A non-blocking counter of queries in flight."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the query limit must be at least 1")
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold a slot while the block runs; :class:`Unavailable` (503) when none is free."""
        if not self._slots.acquire(blocking=False):
            raise Unavailable(f"the server is answering {self.limit} queries already; retry shortly")
        try:
            yield
        finally:
            self._slots.release()


def get_gate() -> QueryGate:
    """The app's gate, made on first use from ``Config.max_queries`` (``dict.setdefault`` is atomic)."""
    gate = current_app.extensions.get(EXTENSION)
    if gate is None:
        limit = get_config().max_queries or DEFAULT_MAX_QUERIES
        gate = current_app.extensions.setdefault(EXTENSION, QueryGate(limit))
    assert isinstance(gate, QueryGate)
    return gate


@contextmanager
def admitted(evaluator: object) -> Iterator[None]:
    """Admit one query unless ``evaluator`` bounds its queries itself (it has ``max_queries``)."""
    if getattr(evaluator, "max_queries", None) is not None:
        yield
        return
    with get_gate().admit():
        yield
