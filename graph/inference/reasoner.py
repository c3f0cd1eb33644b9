"""The reasoner of one knowledge graph: materialises the closure into the inferred graph, keeps it current.

It reads every asserted triple (all graphs but the inferred one), computes the closure in memory
(:mod:`.schema`, then :mod:`.closure`), and writes the inferred triples to ``GRAPH_INFERRED``. After each
write to the store it applies the write's delta incrementally; a write that changes the ontology (or whose
delta is unknown and large) recomputes everything.

When other processes share the store (a remote engine), the inferred graph carries one more triple,
``<…/graph/inferred> owl:versionInfo "generation"``, naming the closure it holds. A reasoner whose generation is not
the stored one recomputes before it answers or writes, and it writes its delta only if the stored generation
is still the one it read (one conditional SPARQL update): two service processes never interleave closures.
"""

from __future__ import annotations

import gc
import threading
import time
import uuid
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad

from ..backend import EmbeddedBackend, quad_block
from ..namespaces import GRAPH_INFERRED, PREFIXES
from ..store import Change, KnowledgeGraph
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
#: The triple of the inferred graph that names the generation of the closure it holds.
GENERATION = NamedNode(PREFIXES["owl"] + "versionInfo")
#: How often a reasoner recomputes when other processes keep writing the inferred graph first.
WRITE_ATTEMPTS = 5


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
        #: The generation of the inferred graph that the closure matches (None: never written).
        self.generation: str | None = None

    @property
    def kg(self) -> KnowledgeGraph:
        kg = self._kg()
        if kg is None:
            raise ReferenceError("the knowledge graph of this reasoner is closed")
        return kg

    # -- reading the store ---------------------------------------------------------------------------

    def asserted_quads(self) -> Iterator[Quad]:
        """Every quad outside the inferred graph."""
        kg = self.kg
        for graph in (DefaultGraph(), *kg.named_graphs(infer=False)):
            yield from kg.quads(None, None, None, graph)

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
            for _ in range(WRITE_ATTEMPTS):
                report = self._materialize_once()
                if report is not None:
                    return report
            raise RuntimeError("other processes kept rewriting the inferred graph; run `genai-kg infer` again")

    def _materialize_once(self) -> Report | None:
        """Recompute and write; None when another process wrote the inferred graph meanwhile."""
        started = time.perf_counter()
        stored = self.stored_generation()
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
        synced = self._sync_store(stored)
        if synced is None:
            return None
        added, removed = synced
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

    def _sync_store(self, stored: str | None) -> tuple[int, int] | None:
        """Make the stored inferred graph equal to the closure's inferred triples; returns (added, removed).

        None when the stored generation is no longer ``stored`` (another process wrote first).
        """
        if self.kg.read_only:
            self.generation = stored
            return 0, 0
        why = self.closure.why
        stale, present = [], set()
        for quad in self.kg.quads(None, None, None, GRAPH_INFERRED):
            if quad.predicate == GENERATION and quad.subject == GRAPH_INFERRED:
                continue
            triple = self.lookup(quad.subject, quad.predicate, quad.object)
            if triple is None or triple not in why:
                stale.append(quad)
            else:
                present.add(triple)
        missing = list(self._quads(t for t in why if t not in present))
        if not self._write(stale, missing, stored):
            return None
        return len(missing), len(stale)

    def stored_generation(self) -> str | None:
        """The generation the inferred graph holds now."""
        found = next(self.kg.quads(GRAPH_INFERRED, GENERATION, None, GRAPH_INFERRED), None)
        return found.object.value if found is not None and isinstance(found.object, Literal) else None

    def _write(self, stale: list[Quad], fresh: list[Quad], stored: str | None) -> bool:
        """Replace ``stale`` by ``fresh`` in the inferred graph.

        On a shared store this is one update that also moves the graph to a new generation, and applies only
        while the stored generation is ``stored``; False when it was not (nothing was written).
        """
        backend = self.kg.backend
        if not backend.shared:  # this process owns the store: no other closure can interleave
            backend.remove(stale)
            if len(fresh) > BULK_WRITE and isinstance(backend, EmbeddedBackend):
                backend.add_bulk(fresh)  # much faster; atomicity is not needed for derived data
            else:
                backend.add(fresh)
            return True
        if not stale and not fresh and stored is not None:
            self.generation = stored
            return True
        new = uuid.uuid4().hex
        backend.update(_conditional_write(stale, fresh, stored, new))
        if self.stored_generation() != new:
            return False
        self.generation = new
        return True

    def _quads(self, triples: Iterable[Triple]) -> Iterator[Quad]:
        decode, shared = self.dictionary.decode, self.kg.backend.shared
        for s, p, o in triples:
            subject, predicate, object = decode(s), decode(p), decode(o)
            if not isinstance(predicate, NamedNode) or isinstance(subject, Literal):
                continue
            if shared and (isinstance(subject, BlankNode) or isinstance(object, BlankNode)):
                continue  # a blank node cannot be named again through SPARQL: such triples stay in memory
            yield Quad(subject, predicate, object, GRAPH_INFERRED)

    # -- keeping current -----------------------------------------------------------------------------

    def attach(self) -> Report:
        """Materialise now and after every write to the store."""
        self.kg.subscribe(self.on_change)
        return self.materialize()

    def catch_up(self) -> None:
        """On a shared store, recompute when another process changed the inferred graph since we last did."""
        if self.kg.backend.shared and self.stored_generation() != self.generation:
            self.materialize()

    def on_change(self, kg: KnowledgeGraph, change: Change) -> None:
        """Bring the closure and the inferred graph up to date with one write."""
        if kg.backend.shared and self.stored_generation() != self.generation:
            self.materialize()  # another process wrote since: our closure is not the stored one
        elif change.unknown:
            self.refresh()
        elif len(change.added) + len(change.removed) > max(RECOMPUTE_MINIMUM, RECOMPUTE_SHARE * len(self.closure)):
            self.materialize()
        else:
            self.apply(change.added, change.removed)

    def _is_asserted(self, quad: Quad) -> bool:
        return any(
            q.graph_name != GRAPH_INFERRED for q in self.kg.quads(quad.subject, quad.predicate, quad.object, None)
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
            stale = list(self._quads([*gone, *promoted]))
            if not self._write(stale, list(self._quads([*still, *new])), self.generation):
                return self.materialize()  # another process wrote first: recompute from what is stored
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
    reasoner.catch_up()
    return reasoner


def _conditional_write(stale: list[Quad], fresh: list[Quad], stored: str | None, new: str) -> str:
    """One SPARQL update that swaps ``stale`` for ``fresh`` and the generation, only while it is ``stored``."""
    graph = GRAPH_INFERRED
    current = (
        f"GRAPH {graph} {{ {graph} {GENERATION} {Literal(stored)} }}"
        if stored is not None
        else f"FILTER NOT EXISTS {{ GRAPH {graph} {{ {graph} {GENERATION} ?any }} }}"
    )
    operations = []
    if stale:
        operations.append(f"DELETE {{\n{quad_block(stale)}\n}} WHERE {{ {current} }}")
    if fresh:
        operations.append(f"INSERT {{\n{quad_block(fresh)}\n}} WHERE {{ {current} }}")
    swap = f"INSERT {{ GRAPH {graph} {{ {graph} {GENERATION} {Literal(new)} }} }} WHERE {{ {current} }}"
    if stored is not None:  # an empty DELETE template is a syntax error to some engines (Virtuoso)
        swap = f"DELETE {{ GRAPH {graph} {{ {graph} {GENERATION} {Literal(stored)} }} }} " + swap
    operations.append(swap)
    return " ;\n".join(operations)
