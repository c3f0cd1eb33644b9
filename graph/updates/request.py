"""A whole update request: its operations planned in order, on the store or on a scratch copy of it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import Store

from ..delta import Delta
from ..embedded import EmbeddedBackend
from ..outbound import OutboundPolicy
from .operations import Modify, Operation, PlanContext, State, Target, apply_in_steps

if TYPE_CHECKING:
    from ..store import KnowledgeGraph


@dataclass(frozen=True)
class Update:
    """A parsed update request: its operations, in order."""

    operations: tuple[Operation, ...]

    @property
    def needs_scratch(self) -> bool:
        """True when an operation's WHERE may read what an earlier operation writes.

        Planning such a request evaluates each operation on a writable copy of the store that holds the
        earlier operations' changes. Other requests are planned on the store itself, read-only: lookups see the
        earlier changes through the delta planned so far.
        """
        written: frozenset[Target] | None = frozenset()
        for operation in self.operations:
            if isinstance(operation, Modify) and operation.reads_any(written):
                return True
            writes = operation.writes()
            written = None if written is None or writes is None else written | writes
        return False

    def check_outbound(self, policy: OutboundPolicy) -> None:
        """Refuse, before anything runs, a ``SERVICE`` or (unless ``SILENT``) a ``LOAD`` that is not allowed."""
        for operation in self.operations:
            operation.check_outbound(policy)

    def plan(
        self, kg: KnowledgeGraph, context: PlanContext | None = None, *, scratch: KnowledgeGraph | None = None
    ) -> Delta:
        """The exact delta of the whole request on ``kg``: every operation in order, composed.

        When :attr:`needs_scratch`, the operations are planned on ``scratch`` — a writable copy of ``kg`` that
        this method changes as it goes (each operation's delta applied raw, without reasoning) — or on a copy
        made here (:func:`scratch_copy`) when none is given. ``kg`` itself is only read.
        """
        context = context or PlanContext()
        self.check_outbound(context.outbound)
        if not self.needs_scratch:
            return self._plan_on(kg, context, apply=False)
        if scratch is not None:
            return self._plan_on(scratch, context, apply=True)
        with scratch_copy(kg) as copy:
            return self._plan_on(copy, context, apply=True)

    def _plan_on(self, kg: KnowledgeGraph, context: PlanContext, *, apply: bool) -> Delta:
        total = Delta()
        for operation in self.operations:
            context.check_deadline()
            delta = operation._plan(State(kg) if apply else State(kg, total), context)
            context.check_size(len(delta))
            total = total.then(delta) if total else delta
            if apply and delta:
                apply_in_steps(kg.backend, delta)
        context.check_size(len(total))
        return total


@contextmanager
def scratch_copy(kg: KnowledgeGraph) -> Iterator[KnowledgeGraph]:
    """A writable copy of ``kg`` to plan a request on, removed afterwards.

    An on-disk store is copied as a checkpoint (hard links: cheap at any size); any other store (in memory,
    or a remote engine) is copied quad by quad into memory.
    """
    with tempfile.TemporaryDirectory(prefix="genai-kg-update-", ignore_cleanup_errors=True) as folder:
        if isinstance(kg.backend, EmbeddedBackend) and kg.backend.path is not None:
            target = Path(folder) / "store"
            kg.backend.store.backup(str(target))
            copy = EmbeddedBackend(Store(str(target)))
        else:
            copy = EmbeddedBackend(Store())
            copy.store.extend(kg.quads())
            for graph in kg.named_graphs():
                copy.store.add_graph(graph)
        try:
            yield type(kg)(copy)
        finally:
            copy.store = Store()  # the last reference to the copy: RocksDB closes it before its folder goes


def planned(kg: KnowledgeGraph, update: Update, context: PlanContext) -> Delta:
    """``update.plan(kg, context)`` as a function of the knowledge graph, for the query service to run as a
    budgeted work in a worker (a killed planner leaves nothing behind: it only read)."""
    return update.plan(kg, context)
