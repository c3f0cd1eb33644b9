"""Reasoning inside the store: the rule queries of :mod:`.program` run in rounds over delta graphs.

A *frontier* is what the last round added: a temporary named graph (semi-naive: each rule runs once per
premise, that premise read from the frontier and the others from the whole store), or the whole store
(naive: each rule runs once, every premise from the whole store; the first round of a full materialisation,
or of a load into the default graph). A round's new triples go to the inferred graph, the closure graph and
the next frontier graph. Rounds stop when one adds nothing.

Removals are Delete/Rederive: over-delete (rounds from the removed triples that find every inferred triple a
derivation may have used them for, against the store as it was, less those asserted triples alone derive),
remove what was over-deleted, re-derive what still follows (rule queries whose conclusions are restricted to
the over-deleted set, premises outside it), and go forward from that.

A change of the schema keeps the work of the rules both schemas have: DRed also over-deletes what the rule
rows only the old schema has derived (each over the whole store once), and the rows only the new one has run
over the whole store once before rounds go forward (:meth:`Run.retract` and :meth:`Run.extend`, given the
schema the closure was computed under).

"The whole store" is the closure graph (:data:`GRAPH_CLOSURE`: every asserted and inferred triple once), read
alone: a frontier's triples are in it, a write adds what it asserts to it before reasoning, and what a write
retracts stays in it until over-deletion, which reads the store as it was, has run; then the over-deleted
triples leave the inferred graph and the closure graph together.
"""

from __future__ import annotations

import functools
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, QueryTriples, RdfFormat, Triple, parse

from ..backend import Dataset, TripleResult
from ..namespaces import GRAPH_CLOSURE, GRAPH_INFERRED, TEMPORARY_GRAPHS, is_view
from . import program, rule_sparql
from .dictionary import Term
from .program import EVERYTHING, MEMBER, Content
from .vocabulary import NODES, TYPE

if TYPE_CHECKING:
    from ..store import KnowledgeGraph
    from .schema import CompiledSchema, TermTriple

#: A round's output up to this size (N-Triples bytes) is read into memory: its triples are counted exactly,
#: written in one transaction, and copied to the next frontier graph.
SMALL_OUTPUT = 4 * 1024 * 1024


@dataclass(frozen=True)
class Frontier:
    """Where the last round's new triples are: a graph (and what it holds), or None for the whole store."""

    graph: NamedNode | None
    content: Content = EVERYTHING


WHOLE_STORE = Frontier(None)
#: The store as rules read it: the closure graph (rule queries also name the graphs their ``GRAPH`` reads).
CLOSURE = Dataset(default=(GRAPH_CLOSURE,))
#: Where inferred triples go: the inferred graph, and the closure graph queries read.
INFERRED = (GRAPH_INFERRED, GRAPH_CLOSURE)


#: The predicates whose object is a class: rdf:type, and gkr:member for anonymous classes.
_CLASS_PREDICATES = (NODES[TYPE], MEMBER)


def content_of(triples: Iterable[TermTriple]) -> Content:
    """The predicates and classes of some triples."""
    predicates, classes = set(), set()
    for _, p, o in triples:
        predicates.add(p)
        if p in _CLASS_PREDICATES:
            classes.add(o)
    return Content(frozenset(predicates), frozenset(classes))  # type: ignore[arg-type]


class Overgrown(Exception):
    """A change of the schema found more to do than its bound (its temporary graphs are dropped)."""


class Run:
    """One writer's reasoning over a store: its schema's program, its temporary graphs, its counts.

    ``before`` is the schema the store's closure was computed under, when a write changed it (by default this
    run's): over-deletion follows the derivations it made, everything else this run's program."""

    def __init__(self, kg: KnowledgeGraph, schema: CompiledSchema, before: CompiledSchema | None = None) -> None:
        self.backend = kg.backend
        self.schema = schema
        self.before = before or schema
        self.id = uuid.uuid4().hex[:12]
        self.added = 0
        self.removed = 0
        self.rounds = 0
        self.queries = 0
        self._graphs = 0

    # -- plumbing ------------------------------------------------------------------------------------

    def graph(self, name: str) -> NamedNode:
        """A new temporary graph of this run."""
        self._graphs += 1
        return NamedNode(f"{TEMPORARY_GRAPHS}{self.id}/{name}{self._graphs}")

    def construct(
        self, text: str, substitutions: dict[str, Term] | None, sink: IO[bytes], *graphs: NamedNode | None
    ) -> None:
        """Run one rule query over the closure graph, ``GRAPH`` reading the inferred graph and ``graphs``; its
        triples written to ``sink``."""
        self.queries += 1
        dataset = Dataset(default=CLOSURE.default, named=(GRAPH_INFERRED, *(g for g in graphs if g is not None)))
        result = self.backend.query(text, dataset, substitutions=substitutions, base_iri=None)
        assert isinstance(result, QueryTriples | TripleResult)
        result.serialize(sink, RdfFormat.N_TRIPLES)

    def renew(self) -> None:
        """Keep the write turn (a remote engine's lease expires unless renewed during a long write)."""
        renew = getattr(self.backend.writer(), "renew", None)
        if renew is not None:
            renew()

    def drop(self, frontier: Frontier) -> None:
        if frontier.graph is not None:  # a graph of this run's own
            self.backend.drop_graph(frontier.graph)

    def put(self, triples: Iterable[TermTriple], graphs: Sequence[NamedNode]) -> None:
        quads = [Quad(s, p, o, g) for s, p, o in triples for g in graphs]  # type: ignore[arg-type]
        if quads:
            self.backend.add(quads)

    def count(self, graph: NamedNode) -> int:
        result = self.backend.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}",
            Dataset(),
            substitutions=None,
            base_iri=None,
        )
        assert isinstance(result, QuerySolutions)
        for row in result:
            n = row["n"]
            return int(n.value) if isinstance(n, Literal) else 0
        return 0

    def content(self, graph: NamedNode) -> Content:
        """What a (large) graph holds, asked of the store: its predicates and its classes."""
        where = f"GRAPH {graph} {{ ?s ?p ?o }}"
        dataset = Dataset()
        predicates: set[Term] = set()
        classes: set[Term] = set()
        for sparql, found, name in (
            (f"SELECT DISTINCT ?p WHERE {{ {where} }}", predicates, "p"),
            (
                f"SELECT DISTINCT ?o WHERE {{ {where} VALUES ?p {{ {' '.join(map(str, _CLASS_PREDICATES))} }} }}",
                classes,
                "o",
            ),
        ):
            result = self.backend.query(sparql, dataset, substitutions=None, base_iri=None)
            assert isinstance(result, QuerySolutions)
            found.update(row[name] for row in result)
        return Content(frozenset(p for p in predicates if isinstance(p, NamedNode)), frozenset(classes))

    def _output(
        self, sink: IO[bytes], keep: Sequence[NamedNode], *, frontier: bool = True
    ) -> tuple[Frontier | None, int]:
        """Store a round's output in ``keep`` and (unless not ``frontier``) in a new frontier graph; returns it
        and how many triples were new. A small output is read into memory (its triples counted, written in one
        transaction); a large one goes to the bulk loader, and what the frontier holds is asked of the store."""
        size = sink.tell()
        sink.seek(0)
        if size == 0:
            return None, 0
        nxt = self.graph("delta") if frontier else None
        graphs = (*keep, nxt) if nxt is not None else tuple(keep)
        if size <= SMALL_OUTPUT:
            found = [
                (t.subject, t.predicate, t.object)
                for t in dict.fromkeys(q.triple for q in parse(sink.read(), RdfFormat.N_TRIPLES))
            ]
            if not found:
                return None, 0
            self.put(found, graphs)
            return (Frontier(nxt, content_of(found)) if nxt is not None else None), len(found)
        before = self.count(keep[0])
        self.backend.add_ntriples(sink, graphs)
        grown = self.count(keep[0]) - before
        if nxt is None:
            return None, grown
        if not grown:
            self.drop(Frontier(nxt))
            return None, 0
        return Frontier(nxt, self.content(nxt)), grown

    # -- forward -------------------------------------------------------------------------------------

    def forward(self, frontier: Frontier | None) -> int:
        """Rounds from ``frontier`` until one adds nothing; returns how many triples were inferred."""
        added = 0
        while frontier is not None:
            with tempfile.SpooledTemporaryFile(max_size=SMALL_OUTPUT) as sink:
                self._forward_round(frontier, sink)
                self.drop(frontier)
                self.rounds += 1
                self.renew()
                frontier, new = self._output(sink, INFERRED)
            added += new
        self.added += added
        return added

    def _forward_round(self, frontier: Frontier, sink: IO[bytes]) -> None:
        for rule in self.schema.program:
            variants: Sequence[int | None] = [None] if frontier.graph is None else range(len(rule.premises))
            for premise in variants:
                rows = rule.rows if premise is None else program.rows_for(rule, premise, frontier.content)
                for batch in rule_sparql.batches(rule, rows, led=premise is not None):
                    text = rule_sparql.forward(batch, premise, frontier.graph)
                    self.construct(text, batch.substitutions, sink, frontier.graph)

    def seed(self, triples: Sequence[TermTriple]) -> Frontier | None:
        """A frontier graph holding ``triples`` (already in the store), to reason forward from."""
        if not triples:
            return None
        graph = self.graph("seed")
        self.put(triples, (graph,))
        return Frontier(graph, content_of(triples))

    def materialize(self) -> int:
        """The whole closure, into an inferred graph that holds nothing yet: the entailed schema, then rounds."""
        entailed = self.schema.entailed()
        asserted = {
            q.triple
            for q in self.backend.match(entailed)
            if q.graph_name != GRAPH_INFERRED and not is_view(q.graph_name)
        }
        fresh = [t for t in entailed if Triple(*t) not in asserted]  # type: ignore[arg-type]
        self.put(fresh, INFERRED)
        self.added += len(fresh)
        return len(fresh) + self.forward(WHOLE_STORE)

    def extend(self, asserted: Sequence[TermTriple], *, most: int) -> None:
        """From a store closed under ``before``'s program less the rows it dropped (:meth:`retract` did that),
        to the closure under this run's: the entailed schema triples the store lacks, the rows only this
        program has, each over the whole store, then rounds from what they derived and from the ``asserted``
        triples. :class:`Overgrown`, with only the entailed schema triples written, when the new rows derive
        more than ``most`` triples (a closure from scratch in bulk is then the cheaper way).

        Enough because every rule only adds: a triple the new program derives and the store lacks has a first
        step, and that step reads the store through a new row, or through an old one and an added triple.
        """
        grown = program.rows_only_in(self.schema.program, self.before.program)
        entailed = self.schema.entailed()
        present = {q.triple for q in self.backend.match(entailed) if not is_view(q.graph_name)}
        fresh = [t for t in entailed if Triple(*t) not in present]  # type: ignore[arg-type]
        self.put(fresh, INFERRED)
        self.added += len(fresh)
        with tempfile.SpooledTemporaryFile(max_size=SMALL_OUTPUT) as sink:
            for rule in grown:
                for batch in rule_sparql.batches(rule, rule.rows):
                    self.construct(rule_sparql.forward(batch, None, None), batch.substitutions, sink)
            self.rounds += 1
            if _lines(sink) > most:
                raise Overgrown(f"the schema's new rules derive more than {most} triples")
            frontier, new = self._output(sink, INFERRED)
        self.added += new
        self.forward(frontier)
        self.forward(self.seed([*asserted, *fresh]))

    # -- removing ------------------------------------------------------------------------------------

    def retract(self, retracted: Sequence[TermTriple], *, most: int | None = None) -> Frontier | None:
        """Delete/Rederive for triples no longer asserted, and for what only ``before`` gave: the conclusions of
        the rule rows this program lacks, and the schema triples it no longer entails. Returns the frontier of
        what was re-derived; :class:`Overgrown` (nothing changed but the temporary graphs, dropped) when more
        than ``most`` triples would be over-deleted.

        A candidate for over-deletion that follows from asserted triples alone stays (:meth:`_kept`): it
        cannot lose its derivation, and what follows from it is not over-deleted through it. Removing 0.1% of
        LUBM(10) over-deleted 31,355 triples and re-derived 30,868 of them before."""
        gone = self._no_longer_entailed()
        same = self.before is self.schema
        dropped = [] if same else program.rows_only_in(self.before.program, self.schema.program)
        if not retracted and not gone and not dropped:
            return None
        over, first, kept = self.graph("over"), self.graph("gone"), self.graph("kept")
        seeds = [*retracted, *gone]
        self.put(seeds, (over, first))  # one transaction: a one-fact removal is on the writes' hot path
        found, deleted = self._overdelete_dropped(dropped, over)
        frontiers = [Frontier(first, content_of(seeds)) if seeds else None, found]
        deleted += len(gone)
        seen = Content(frozenset(), frozenset())
        kept_any = False
        while live := [f for f in frontiers if f is not None]:
            seen = functools.reduce(Content.union, (f.content for f in live), seen)
            if most is not None and deleted > most:
                for frontier in (*live, Frontier(over), *([Frontier(kept)] if kept_any else [])):
                    self.drop(frontier)
                raise Overgrown(f"more than {most} inferred triples would be over-deleted")
            with tempfile.SpooledTemporaryFile(max_size=SMALL_OUTPUT) as sink:
                for frontier in live:
                    self._overdelete_round(frontier, (over, kept), sink)
                    self.drop(frontier)
                self.rounds += 1
                self.renew()
                found, new = self._output(sink, (over,))
            if found is not None and (held := self._kept(found, over, kept)):
                kept_any, new = True, new - held
                if not new:  # every candidate is kept: no round from an empty frontier
                    self.drop(found)
                    found = None
            deleted += new
            frontiers = [found]
        if kept_any:
            self.drop(Frontier(kept))
        # the retracted and over-deleted triples leave the inferred graph and the closure graph (no asserted
        # graph holds them: a write never asserts a triple it retracts, nor one that was inferred)
        inferred, closure = GRAPH_INFERRED, GRAPH_CLOSURE
        self.backend.update(
            f"DELETE {{ GRAPH {inferred} {{ ?s ?p ?o }} GRAPH {closure} {{ ?s ?p ?o }} }} "
            f"WHERE {{ GRAPH {over} {{ ?s ?p ?o }} }}"
        )
        if deleted:
            self.removed += deleted
            self._restore_entailed()
        with tempfile.SpooledTemporaryFile(max_size=SMALL_OUTPUT) as sink:
            self._rederive(over, (over,), seen, sink)
            self.drop(Frontier(over))
            back, new = self._output(sink, INFERRED)
        self.added += new
        return back

    def _kept(self, candidates: Frontier, over: NamedNode, kept: NamedNode) -> int:
        """Move the ``candidates`` (a frontier of over-deletion, also in ``over``) that this program derives from
        asserted triples alone (none inferred, none over-deleted) from both graphs to ``kept``; returns how many."""
        assert candidates.graph is not None
        with tempfile.SpooledTemporaryFile(max_size=SMALL_OUTPUT) as sink:
            self._rederive(candidates.graph, (over, GRAPH_INFERRED), candidates.content, sink)
            _, found = self._output(sink, (kept,), frontier=False)
        if found:
            self.backend.update(
                f"DELETE {{ GRAPH {over} {{ ?s ?p ?o }} GRAPH {candidates.graph} {{ ?s ?p ?o }} }} "
                f"WHERE {{ GRAPH {kept} {{ ?s ?p ?o }} }}"
            )
        return found

    def _overdelete_dropped(self, dropped: Sequence[program.Rule], over: NamedNode) -> tuple[Frontier | None, int]:
        """The inferred conclusions of rule rows the schema no longer has, each row over the store as it was
        (``over`` holds what the write retracted), into ``over`` and a frontier."""
        if not dropped:
            return None, 0
        with tempfile.SpooledTemporaryFile(max_size=SMALL_OUTPUT) as sink:
            for rule in dropped:
                for batch in rule_sparql.batches(rule, rule.rows):
                    text = rule_sparql.overdelete(batch, None, None, GRAPH_INFERRED, (over,))
                    self.construct(text, batch.substitutions, sink, over)
            self.rounds += 1
            return self._output(sink, (over,))

    def _overdelete_round(self, frontier: Frontier, seen: Sequence[NamedNode], sink: IO[bytes]) -> None:
        assert frontier.graph is not None
        for rule in self.before.program:  # the derivations the closure was made of
            for premise in range(len(rule.premises)):
                rows = program.rows_for(rule, premise, frontier.content)
                for batch in rule_sparql.batches(rule, rows, led=True):
                    text = rule_sparql.overdelete(batch, premise, frontier.graph, GRAPH_INFERRED, seen)
                    self.construct(text, batch.substitutions, sink, frontier.graph, *seen)

    def _rederive(self, candidates: NamedNode, exclude: Sequence[NamedNode], content: Content, sink: IO[bytes]) -> None:
        for rule in self.schema.program:
            rows = program.rows_concluding(rule, content)
            for batch in rule_sparql.batches(rule, rows, led=True):
                text = rule_sparql.rederive(batch, candidates, exclude)
                self.construct(text, batch.substitutions, sink, candidates, *exclude)

    def _no_longer_entailed(self) -> list[TermTriple]:
        """The schema triples ``before`` entailed and this run's schema does not, in the inferred graph."""
        if self.before is self.schema:
            return []
        gone = set(self.before.entailed()).difference(self.schema.entailed())
        held = {q.triple for q in self.backend.match(list(gone)) if q.graph_name == GRAPH_INFERRED}
        return [t for t in gone if Triple(*t) in held]  # type: ignore[arg-type]

    def _restore_entailed(self) -> None:
        """Put back entailed schema triples that over-deletion took (cls-oo types: instance-shaped), those both
        schemas entail (:meth:`extend` adds those only the new one does, and reasons from them)."""
        both = None if self.before is self.schema else set(self.before.entailed())
        entailed = [t for t in self.schema.entailed() if t[1] == NODES[TYPE] and (both is None or t in both)]
        if not entailed:
            return
        present = {q.triple for q in self.backend.match(entailed) if not is_view(q.graph_name)}
        missing = [t for t in entailed if Triple(*t) not in present]  # type: ignore[arg-type]
        self.put(missing, INFERRED)
        self.added += len(missing)


def _lines(sink: IO[bytes]) -> int:
    """The lines written to ``sink`` so far (it is left at its end)."""
    sink.seek(0)
    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: sink.read(1 << 20), b""))
    sink.seek(0, 2)
    return lines
