"""The reasoner of one knowledge graph: materialises the closure into the inferred graph, keeps it current.

It reads every asserted triple (all graphs but the inferred one), computes the closure in memory
(:mod:`.schema`, then :mod:`.closure`), and writes the inferred triples to ``GRAPH_INFERRED``. After each
write to the store it applies the write's delta incrementally; a write that changes the ontology (or whose
delta is unknown and large) recomputes everything.
"""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad

from ..namespaces import GRAPH_INFERRED
from ..store import Change, KnowledgeGraph
from .changes import data_delta
from .closure import Closure
from .dictionary import Term, TermDictionary
from .rules import Rules, Triple
from .schema import Schema
from .vocabulary import SCHEMA_PREDICATES, SCHEMA_TYPES, TYPE

#: Serialises attaching, so that two threads never attach two reasoners to one store.
_ATTACHING = threading.Lock()

#: A delta bigger than this share of the asserted triples is cheaper to recompute than to maintain.
RECOMPUTE_SHARE = 0.2
RECOMPUTE_MINIMUM = 1000
#: Closures of at least this many triples are frozen out of the garbage collector's scans.
FREEZE_MINIMUM = 200_000
#: Writes of more inferred triples than this use Oxigraph's bulk loader.
BULK_WRITE = 10_000


@dataclass(frozen=True)
class Report:
    """What a materialisation or an update did, and how long it took."""

    asserted: int
    inferred: int
    added: int
    removed: int
    seconds: float
    full: bool
    #: The in-memory reasoning alone, without reading the store or writing the inferred graph.
    closure_seconds: float = 0.0


class Reasoner:
    """Owns the in-memory closure of ``kg``; every method is safe to call from several threads."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self._kg = weakref.ref(kg)  # the store owns its reasoner: no cycle, so closing releases the store
        self.lock = threading.RLock()
        self.dictionary = TermDictionary()
        self.closure = Closure(Rules(), self.dictionary.values)
        self.last: Report | None = None

    @property
    def kg(self) -> KnowledgeGraph:
        kg = self._kg()
        if kg is None:
            raise ReferenceError("the knowledge graph of this reasoner is closed")
        return kg

    # -- reading the store ---------------------------------------------------------------------------

    def asserted_quads(self) -> Iterator[Quad]:
        """Every quad outside the inferred graph."""
        store = self.kg.store
        for graph in (DefaultGraph(), *self.kg.named_graphs(infer=False)):
            yield from store.quads_for_pattern(None, None, None, graph)

    def encode(self, subject: Term, predicate: Term, object: Term) -> Triple:
        encode = self.dictionary.encode
        return (encode(subject), encode(predicate), encode(object))

    def lookup(self, subject: Term, predicate: Term, object: Term) -> Triple | None:
        """The ids of a triple's terms, or None when one of them is unknown (so the triple is too)."""
        ids = self.dictionary.ids
        s, p, o = ids.get(subject), ids.get(predicate), ids.get(object)
        return None if s is None or p is None or o is None else (s, p, o)

    def lexical(self, id: int) -> str | None:
        """The lexical form of a literal's id, or None for other terms."""
        term = self.dictionary.decode(id)
        return term.value if isinstance(term, Literal) else None

    # -- materialising -------------------------------------------------------------------------------

    def materialize(self) -> Report:
        """Recompute the whole closure from the asserted triples and make the inferred graph match it.

        The closure is millions of small tuples and sets with no reference cycles: the cyclic garbage
        collector is paused while they are built and, for a big closure, they are then frozen out of its
        scans (refcounting still frees them), so that later collections do not walk them on every update.
        Freezing also keeps whatever cyclic garbage exists at that moment, which is why small closures
        (tests, the shipped graph) are not frozen.
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._materialize()
        finally:
            if len(self.closure) >= FREEZE_MINIMUM:
                gc.freeze()
            if collecting:
                gc.enable()

    def _materialize(self) -> Report:
        with self.lock:
            started = time.perf_counter()
            self.dictionary = TermDictionary()
            closure = Closure(Rules(), self.dictionary.values)
            encode = self.dictionary.encode
            closure.insert_asserted(
                (encode(q.subject), encode(q.predicate), encode(q.object)) for q in self.asserted_quads()
            )
            reasoning = time.perf_counter()
            schema = Schema(closure, self.lexical)
            derived = schema.close()
            closure.rules = schema.compile()
            closure.saturate_all(derived.items())
            self.closure = closure
            reasoning = time.perf_counter() - reasoning
            added, removed = self._sync_store()
            report = Report(
                asserted=len(closure) - len(closure.why),
                inferred=len(closure.why),
                added=added,
                removed=removed,
                seconds=time.perf_counter() - started,
                full=True,
                closure_seconds=reasoning,
            )
            self.last = report
            return report

    def _sync_store(self) -> tuple[int, int]:
        """Make the stored inferred graph equal to the closure's inferred triples; returns (added, removed)."""
        if self.kg.read_only:
            return 0, 0
        store, why = self.kg.store, self.closure.why
        stale, present = [], set()
        for quad in store.quads_for_pattern(None, None, None, GRAPH_INFERRED):
            triple = self.lookup(quad.subject, quad.predicate, quad.object)
            if triple is None or triple not in why:
                stale.append(quad)
            else:
                present.add(triple)
        for quad in stale:
            store.remove(quad)
        missing = [t for t in why if t not in present]
        if len(missing) > BULK_WRITE:
            store.bulk_extend(self._quads(missing))  # much faster; atomicity is not needed for derived data
        else:
            store.extend(self._quads(missing))
        return len(missing), len(stale)

    def _quads(self, triples: Iterable[Triple]) -> Iterator[Quad]:
        decode = self.dictionary.decode
        for s, p, o in triples:
            subject, predicate = decode(s), decode(p)
            if isinstance(predicate, NamedNode) and not isinstance(subject, Literal):
                yield Quad(subject, predicate, decode(o), GRAPH_INFERRED)

    # -- keeping current -----------------------------------------------------------------------------

    def attach(self) -> Report:
        """Materialise now and after every write to the store."""
        self.kg.subscribe(self.on_change)
        return self.materialize()

    def on_change(self, kg: KnowledgeGraph, change: Change) -> None:
        """Bring the closure and the inferred graph up to date with one write."""
        if change.update is not None:
            delta = data_delta(change.update, base_iri=change.base_iri)
            if delta is None:
                self.refresh()
            else:
                self.apply(*delta)
        elif change.unknown:
            self.refresh()
        elif len(change.added) + len(change.removed) > max(RECOMPUTE_MINIMUM, RECOMPUTE_SHARE * len(self.closure)):
            self.materialize()
        else:
            self.apply(change.added, change.removed)

    def _is_asserted(self, quad: Quad) -> bool:
        return any(
            q.graph_name != GRAPH_INFERRED
            for q in self.kg.store.quads_for_pattern(quad.subject, quad.predicate, quad.object, None)
        )

    def apply(self, added: Iterable[Quad], removed: Iterable[Quad]) -> Report:
        """Apply a known delta: ``removed`` quads no longer asserted anywhere are retracted, ``added`` asserted."""
        with self.lock:
            started = time.perf_counter()
            plus = [self.encode(q.subject, q.predicate, q.object) for q in added if q.graph_name != GRAPH_INFERRED]
            minus = []
            for quad in removed:
                if quad.graph_name != GRAPH_INFERRED and not self._is_asserted(quad):
                    triple = self.lookup(quad.subject, quad.predicate, quad.object)
                    if triple is not None:
                        minus.append(triple)
            return self._apply(plus, minus, started)

    def _apply(self, plus: list[Triple], minus: list[Triple], started: float) -> Report:
        if any(_touches_schema(t) for t in (*plus, *minus)):
            return self.materialize()
        closure = self.closure
        reasoning = time.perf_counter()
        gone, still = closure.retract(minus)
        new, promoted = closure.assert_triples(plus)
        reasoning = time.perf_counter() - reasoning
        if not self.kg.read_only:
            store = self.kg.store
            for quad in self._quads([*gone, *promoted]):
                store.remove(quad)
            store.extend(self._quads([*still, *new]))
        report = Report(
            asserted=len(closure) - len(closure.why),
            inferred=len(closure.why),
            added=len(new) + len(still),
            removed=len(gone) + len(promoted),
            seconds=time.perf_counter() - started,
            full=False,
            closure_seconds=reasoning,
        )
        self.last = report
        return report

    def refresh(self) -> Report:
        """Compare the store's asserted triples with the closure's and apply the difference (unknown deltas)."""
        with self.lock:
            started = time.perf_counter()
            current = {self.encode(q.subject, q.predicate, q.object) for q in self.asserted_quads()}
            why = self.closure.why
            before = {t for t in self.closure.triples() if t not in why}
            plus, minus = list(current - before), list(before - current)
            if len(plus) + len(minus) > max(RECOMPUTE_MINIMUM, RECOMPUTE_SHARE * len(current)):
                return self.materialize()
            return self._apply(plus, minus, started)


def _touches_schema(triple: Triple) -> bool:
    _, p, o = triple
    return p in SCHEMA_PREDICATES or (p == TYPE and o in SCHEMA_TYPES)


def reasoner_of(kg: KnowledgeGraph) -> Reasoner:
    """The reasoner attached to ``kg``, attaching (and materialising) one on first use."""
    with _ATTACHING:
        reasoner = kg.extensions.get("inference")
        if reasoner is None:
            reasoner = kg.extensions["inference"] = Reasoner(kg)
            reasoner.attach()
        return reasoner
