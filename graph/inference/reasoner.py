"""The writer's side of inference: keep the inferred graph the closure of the asserted graphs.

:func:`reason` is step 4 of :meth:`graph.store.KnowledgeGraph.write` (and of its bulk load): it reasons over
exactly what a write changed. :func:`materialize` computes the whole closure when the store's is not current
(a new store, a crash in the middle of a write, other rules) or when asked to. Nothing here is kept between
calls but the compiled schema, cached by its fingerprint: the closure lives in the store.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode, RdfFormat

from ..errors import ReadOnly
from . import closure_graph
from .bulk import BULK_RETRACTION_MIN, load_in_bulk, materialize_in_bulk
from .bulk_child import BulkResult
from .engine import Overgrown, Run
from .schema import (
    CompiledSchema,
    TermTriple,
    compile_schema,
    read_schema,
    remember,
    remembered,
    schema_of,
    schema_triples,
)
from .state import ClosureState, mark_pending, new_write, read_state
from .vocabulary import NODES, SCHEMA_PREDICATES, SCHEMA_TYPES, TYPE

if TYPE_CHECKING:
    from ..store import KnowledgeGraph

_SCHEMA_PREDICATES = frozenset(NODES[p] for p in SCHEMA_PREDICATES)
_SCHEMA_TYPES = frozenset(NODES[c] for c in SCHEMA_TYPES)


@dataclass(frozen=True)
class Report:
    """What one reasoning did: triples written to and deleted from the inferred graph, and how long it took."""

    #: ``current`` (nothing to do), ``materialised`` (the whole closure) or ``updated`` (a write's delta).
    status: str
    added: int = 0
    removed: int = 0
    seconds: float = 0.0
    full: bool = False
    rounds: int = 0
    queries: int = 0
    #: ``store`` (rules as queries in the store) or ``bulk`` (in memory in a child process, see :mod:`.bulk`).
    engine: str = "store"
    #: The bulk child's peak resident memory, in bytes.
    child_peak_rss: int = 0

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Change:
    """What a write changed, triple by triple: newly asserted triples and triples no longer asserted anywhere."""

    asserted: tuple[TermTriple, ...] = ()
    retracted: tuple[TermTriple, ...] = ()

    def touches_schema(self) -> bool:
        return any(touches_schema(t) for t in (*self.asserted, *self.retracted))

    def __len__(self) -> int:
        return len(self.asserted) + len(self.retracted)


def touches_schema(triple: TermTriple) -> bool:
    """Whether a triple is part of the schema the rules are compiled from."""
    _, p, o = triple
    return p in _SCHEMA_PREDICATES or (p == NODES[TYPE] and o in _SCHEMA_TYPES)


def closure_state(kg: KnowledgeGraph) -> ClosureState:
    """Whether the store's closure is current, and at which generation (see :mod:`.state`)."""
    return read_state(kg)


def materialize(kg: KnowledgeGraph, *, force: bool = False) -> Report:
    """Compute the whole closure if the store's is not current (or ``force``); a current store is left alone.

    A store left pending by a crash is said so on standard error. Readers go on reading meanwhile.
    """
    with kg.writing():
        state = read_state(kg)
        if state.current and not force:
            return Report("current")
        if kg.read_only:
            raise ReadOnly("the closure is not current, and this store is open read-only")
        if state.pending:
            print(
                f"genai-kg: a write to {kg.backend.location} did not finish reasoning: computing the closure again",
                file=sys.stderr,
            )
        mark_pending(kg, new_write())
        # A current closure graph stays exact through the recomputation's own adds and removals (at 1M
        # triples, making it again took `infer --force` from 65 s to 283 s and 2.1 GB), unless other clients
        # may have written the asserted graphs behind our back: a remote engine's (docs/deploy.md).
        report, schema = recompute(kg, rebuild=not state.current or kg.backend.shared)
        # a closure from nothing rewrites the store, and `--force` is the operator's way to tidy it: both compact
        kg.publish(schema=schema.fingerprint, report=report, compact=force or not state.current)
        return report


def recompute(
    kg: KnowledgeGraph, *, bulk: bool | None = None, retracted: tuple[TermTriple, ...] = (), rebuild: bool = False
) -> tuple[Report, CompiledSchema]:
    """Compute the closure again, from the schema up: in the store (its inferred graph emptied first), or
    through the bulk path (``bulk``; by default when the store holds ``kg.bulk.reasoning_quads`` or more).

    The closure graph is made again from the asserted graphs when ``rebuild`` (nothing is known of it: a
    closure not current, pending after a crash or of older rules), or in
    the store when it held inferred or retracted triples; else it was current before a write that
    ``retracted`` these triples (:mod:`.closure_graph`)."""
    started = time.perf_counter()
    schema = remember(read_schema(kg))
    if bulk is None:
        bulk = len(kg) >= kg.bulk.reasoning_quads
    if bulk:
        closure_graph.retire(kg, retracted)
        done = materialize_in_bulk(kg, schema.fingerprint, in_process=kg.bulk_in_process)
        if rebuild:
            closure_graph.rebuild(kg)
        return _bulk_report("materialised", done, started), schema
    removed = kg.backend.clear_inferred()
    if rebuild or removed or retracted:  # else it holds the asserted triples already (a first load)
        closure_graph.rebuild(kg, inferred=False)
    run = Run(kg, schema)
    run.materialize()
    report = Report("materialised", run.added, removed, time.perf_counter() - started, True, run.rounds, run.queries)
    return report, schema


def wants_bulk(kg: KnowledgeGraph, change: Change) -> bool:
    """Whether a change is cheaper to reason over through the bulk path (``kg.bulk``): more than
    ``reasoning_quads`` triples, or a retraction of more than :data:`.bulk.BULK_RETRACTION_MIN` triples and
    ``retraction_share`` of the store."""
    if len(change) > kg.bulk.reasoning_quads:
        return True
    retracted = len(change.retracted)
    return retracted > BULK_RETRACTION_MIN and retracted > kg.bulk.retraction_share * len(kg)


def reason(kg: KnowledgeGraph, change: Change) -> tuple[Report, CompiledSchema]:
    """Bring the inferred graph up to date with one committed write: DRed for what it retracted, then forward
    rounds from what it asserted (and what DRed re-derived); a change of the schema too (:func:`rebase`). A
    large change recomputes everything, through the bulk path (see :func:`wants_bulk`)."""
    if wants_bulk(kg, change):
        if change.asserted or not change.retracted or change.touches_schema():
            return recompute(kg, bulk=True, retracted=change.retracted)
        return retract_in_bulk(kg, change.retracted)
    if change.touches_schema():
        return rebase(kg, change)
    started = time.perf_counter()
    schema = schema_of(kg, read_state(kg).schema)
    run = Run(kg, schema)
    back = run.retract(change.retracted)
    run.forward(back)
    run.forward(run.seed(change.asserted))
    report = Report("updated", run.added, run.removed, time.perf_counter() - started, False, run.rounds, run.queries)
    return report, schema


def rebase(kg: KnowledgeGraph, change: Change) -> tuple[Report, CompiledSchema]:
    """A write that changes the schema: the work of the rule rows both schemas have is kept. DRed over-deletes
    from the retracted triples, from what only the old rows derived and from what only the old schema entailed;
    then the rows only the new schema has run over the whole store, and rounds go forward (:class:`.engine.Run`).
    Adding ``gai:Product rdfs:subClassOf gai:Claim`` to the catalogue's 833,312 quads took 15.8 s as a whole
    closure in bulk, 0.3 s this way. Without the schema the closure was computed under, or past
    ``kg.bulk.reasoning_quads`` triples over-deleted or newly derived, the closure is computed again."""
    started = time.perf_counter()
    triples = schema_triples(kg)
    schema = remember(compile_schema(triples))
    before = _schema_before(kg, triples, change)
    if before is None:
        return recompute(kg, retracted=change.retracted)
    run = Run(kg, schema, before)
    try:
        run.forward(run.retract(change.retracted, most=kg.bulk.reasoning_quads))
        run.extend(change.asserted, most=kg.bulk.reasoning_quads)
    except Overgrown:
        return recompute(kg, retracted=change.retracted)
    seconds = time.perf_counter() - started
    return Report("updated", run.added, run.removed, seconds, False, run.rounds, run.queries), schema


def _schema_before(kg: KnowledgeGraph, triples: list[TermTriple], change: Change) -> CompiledSchema | None:
    """The schema the store's closure was computed under: this process's, or the schema triples as they were
    before ``change`` (without those it added, with those it retracted), if their fingerprint is the closure's."""
    fingerprint = read_state(kg).schema
    found = remembered(fingerprint)
    if found is not None or fingerprint is None:
        return found
    added = set(change.asserted)
    before = compile_schema([*(t for t in triples if t not in added), *filter(touches_schema, change.retracted)])
    return before if before.fingerprint == fingerprint else None


def retract_in_bulk(kg: KnowledgeGraph, retracted: tuple[TermTriple, ...]) -> tuple[Report, CompiledSchema]:
    """A large retraction through the bulk path: the closure of what is still asserted, and what the retracted
    triples add back to it is what the inferred graph loses (the inferred graph itself is not read)."""
    started = time.perf_counter()
    schema = schema_of(kg, read_state(kg).schema)
    closure_graph.retire(kg, retracted)
    done = materialize_in_bulk(kg, schema.fingerprint, in_process=kg.bulk_in_process, retracted=retracted)
    return _bulk_report("updated", done, started), schema


def reason_over_load(
    kg: KnowledgeGraph,
    source: Path,
    format: RdfFormat,
    *,
    to_graph: NamedNode | None,
    base_iri: str,
    read: Callable[[], None] = lambda: None,
) -> tuple[Report, CompiledSchema, int]:
    """Step 4 of a bulk load, with the load itself: the file goes in while the bulk path reasons over it
    (see :func:`.bulk.load_in_bulk`, and for ``read``); returns the report, the schema and how many quads the
    store gained."""
    started = time.perf_counter()
    done, gained, schema = load_in_bulk(kg, source, format, to_graph=to_graph, base_iri=base_iri, read=read)
    remember(schema)
    return _bulk_report("materialised", done, started), schema, gained


def _bulk_report(status: str, done: BulkResult, started: float) -> Report:
    """What the bulk path did, as a report (a whole closure when ``status`` is ``materialised``)."""
    seconds = time.perf_counter() - started
    full = status == "materialised"
    return Report(status, done.added, done.removed, seconds, full, engine="bulk", child_peak_rss=done.peak_rss)
