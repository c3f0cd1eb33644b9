"""A request's budget as a point in time, and the deadline the remote engine's client obeys meanwhile."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .errors import QueryTimeout


@dataclass(frozen=True)
class Deadline:
    """When a request's work must be done by (monotonic clock), and the budget that set it (seconds)."""

    budget: float | None = None
    at: float | None = None

    @classmethod
    def after(cls, budget: float | None) -> Deadline:
        """The deadline ``budget`` seconds from now (None: no limit)."""
        return cls(budget, None if budget is None else time.monotonic() + budget)

    def remaining(self) -> float | None:
        """Seconds left (never negative), None when unbounded."""
        return None if self.at is None else max(self.at - time.monotonic(), 0.0)

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def timeout(self, what: str = "the request") -> QueryTimeout:
        """The error to raise when the deadline has passed."""
        budget = f"{self.budget:g} s " if self.budget is not None else ""
        return QueryTimeout(f"{what} ran past the {budget}budget and was stopped")


NONE = Deadline()
_current: ContextVar[Deadline] = ContextVar("genai_kg_deadline", default=NONE)


@contextmanager
def bounded_by(deadline: Deadline) -> Iterator[None]:
    """Within the block, every request to a remote engine gives up at ``deadline`` (see ``engine_client``)."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Deadline:
    """The deadline of the work running in this context (no limit outside any)."""
    return _current.get()
