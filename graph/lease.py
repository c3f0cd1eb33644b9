"""A remote engine's write turn: a lease, kept in the engine itself, that every process writing to it takes."""

from __future__ import annotations

import random
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode

from .errors import Unavailable
from .namespaces import GKR, GRAPH_INFERRED, PREFIXES

if TYPE_CHECKING:
    from .remote import RemoteBackend

_DECIMAL = NamedNode(PREFIXES["xsd"] + "decimal")

#: A writer's lease: ``<…/reasoner#lease-TOKEN> gkr:leaseUntil <epoch seconds>`` in the inferred graph.
LEASE_UNTIL = NamedNode(GKR + "leaseUntil")
LEASE = GKR + "lease-"


class Lease:
    """The engine's write turn, shared by every process that writes to it.

    Taken with one conditional update (delete expired leases; insert ours if no lease is left) and checked by
    reading the leases back: ours alone means it is ours; ours among others (two took it at once) means we
    give ours back and try again a little later. It expires after :attr:`seconds` unless renewed (a long
    write renews it between reasoning rounds), so a crashed writer holds it up no longer than that.
    Reentrant within a process.
    """

    seconds = 30.0
    #: How long to wait for the turn before giving up with :class:`Unavailable`.
    wait = 120.0

    def __init__(self, backend: RemoteBackend) -> None:
        self.backend = backend
        self._local = threading.RLock()
        self._depth = 0
        self._token = ""
        self._renewed = 0.0

    def __enter__(self) -> Lease:
        self._local.acquire()
        try:
            if self._depth == 0:
                self._take()
        except BaseException:
            self._local.release()
            raise
        self._depth += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        self._depth -= 1
        try:
            if self._depth == 0:
                self.backend.update(f"DELETE WHERE {{ GRAPH {GRAPH_INFERRED} {{ {self._mine()} }} }}")
        finally:
            self._local.release()

    def _mine(self, until: float | None = None) -> str:
        value = Literal(f"{until:.3f}", datatype=_DECIMAL) if until is not None else "?until"
        return f"<{LEASE}{self._token}> {LEASE_UNTIL} {value} ."

    def _holders(self) -> set[str]:
        sparql = f"SELECT ?l WHERE {{ GRAPH {GRAPH_INFERRED} {{ ?l {LEASE_UNTIL} ?t }} }}"
        return {lease.value for row in self.backend.rows(sparql) if isinstance(lease := row.get("l"), NamedNode)}

    def _take(self) -> None:
        g, deadline, delay = GRAPH_INFERRED, time.monotonic() + self.wait, 0.02
        while True:
            self._token = uuid.uuid4().hex
            now = time.time()
            self.backend.update(
                f"DELETE {{ GRAPH {g} {{ ?l {LEASE_UNTIL} ?t }} }} WHERE {{ GRAPH {g} {{ ?l {LEASE_UNTIL} ?t }} "
                f"FILTER(?t < {Literal(f'{now:.3f}', datatype=_DECIMAL)}) }} ;\n"
                f"INSERT {{ GRAPH {g} {{ {self._mine(now + self.seconds)} }} }} "
                f"WHERE {{ FILTER NOT EXISTS {{ GRAPH {g} {{ ?l {LEASE_UNTIL} ?t }} }} }}"
            )
            holders = self._holders()
            mine = f"{LEASE}{self._token}"
            if holders == {mine}:
                self._renewed = time.monotonic()
                return
            if mine in holders:  # taken at the same moment as another: give it back, both try again
                self.backend.update(f"DELETE WHERE {{ GRAPH {g} {{ {self._mine()} }} }}")
            if time.monotonic() > deadline:
                raise Unavailable(f"another process has been writing to {self.backend.location} for too long")
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)

    def renew(self) -> None:
        """Extend the lease when a third of it has passed (call between the steps of a long write)."""
        if self._depth == 0 or time.monotonic() - self._renewed < self.seconds / 3:
            return
        g, until = GRAPH_INFERRED, time.time() + self.seconds
        self.backend.update(
            f"DELETE {{ GRAPH {g} {{ {self._mine()} }} }} INSERT {{ GRAPH {g} {{ {self._mine(until)} }} }} "
            f"WHERE {{ GRAPH {g} {{ {self._mine()} }} }}"
        )
        self._renewed = time.monotonic()
