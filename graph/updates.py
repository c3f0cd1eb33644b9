"""SPARQL 1.1 Update as a planned :class:`~graph.delta.Delta`: what a request would change, read from the store.

An update runs in two steps. :func:`parse_update` splits the request into its operations with the one SPARQL
lexer and lets pyoxigraph judge the syntax of every part (data blocks and templates as ``INSERT DATA`` on an
empty in-memory store, ``WHERE`` groups with its query parser, which evaluates nothing until asked), so a
request that does not parse is refused before anything is read, fetched or written. :meth:`Update.plan` then
evaluates the operations, in order, against the store as it is — ``WHERE`` groups as ``SELECT`` queries over
the dataset the operation names, ``LOAD`` through the outbound policy — and returns the exact delta: the quads
removed that were present, the quads added that were absent, the named graphs created and dropped. Planning
only reads, so it is budgeted, killable read work; :meth:`graph.store.KnowledgeGraph.write` then applies the
delta in one step.

The graphs the reasoner owns (the inferred graph) are read-only here: ``ALL`` and ``NAMED`` mean the asserted
graphs, a template quad whose ``GRAPH ?g`` lands in one is skipped, and an operation that names one as its
target is refused with :class:`~graph.errors.ReadOnly`.

>>> from graph.store import KnowledgeGraph
>>> kg = KnowledgeGraph.open()
>>> update = parse_update("INSERT DATA { <urn:a> <urn:p> 1 } ; DELETE WHERE { ?s <urn:p> ?o }")
>>> [op.kind for op in update.operations], update.needs_scratch
(['INSERT DATA', 'DELETE WHERE'], True)
>>> update.plan(kg)
Delta(removed=(), added=(), created=(), dropped=())
"""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QuerySolution,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    parse,
)

from .backend import Backend, Dataset, EmbeddedBackend, GraphName
from .delta import Delta
from .errors import BadQuery, BadRequest, EngineError, QueryTimeout, ReadOnly, TooLarge
from .namespaces import PREFIXES, REASONER_GRAPHS
from .outbound import OutboundPolicy, remote_failure
from .sparql_lexer import Token, called_endpoints, group_end, tokens

if TYPE_CHECKING:
    from .store import KnowledgeGraph

__all__ = [
    "DataOperation",
    "GraphManagement",
    "Load",
    "Modify",
    "Operation",
    "PlanContext",
    "Template",
    "Transfer",
    "Update",
    "apply_in_steps",
    "has_blank_node",
    "parse_update",
    "scratch_copy",
]

Target = NamedNode | DefaultGraph

#: What LOAD asks a server for: the RDF syntaxes of one graph that pyoxigraph reads.
LOAD_ACCEPT = (
    "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8, application/ld+json;q=0.7, text/n3;q=0.5"
)
#: Seconds a LOAD may take when the plan has no deadline of its own.
LOAD_SECONDS = 30.0
#: Solutions evaluated between two looks at the deadline (and at the size of what is planned).
CHUNK = 4096

_READ_ONLY_MESSAGE = "{graph} is the reasoner's: it follows from the asserted graphs; write those"


@dataclass(frozen=True)
class PlanContext:
    """What bounds the planning of one update: the outbound policy, a deadline and sizes."""

    outbound: OutboundPolicy = field(default_factory=OutboundPolicy)
    #: A :func:`time.monotonic` instant; planning stops with :class:`QueryTimeout` once it has passed.
    deadline: float | None = None
    #: The most quads the update may remove and add together (:class:`TooLarge`, 413, beyond).
    max_quads: int | None = None
    #: The largest document a ``LOAD`` may fetch, in bytes.
    max_load_bytes: int = 64 * 1024 * 1024

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise QueryTimeout("the update ran past its time budget and was stopped; nothing was written")

    def check_size(self, count: int) -> None:
        if self.max_quads is not None and count > self.max_quads:
            raise TooLarge(
                f"the update would change more than {self.max_quads} quads ({count} so far), the most one write "
                "may change; nothing was written (split it, or load large files with `genai-kg load`)"
            )

    def seconds_left(self) -> float:
        if self.deadline is None:
            return LOAD_SECONDS
        return max(self.deadline - time.monotonic(), 0.001)


# -- operations --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One operation of an update request; :meth:`plan` tells what it would change."""

    #: ``INSERT DATA``, ``DELETE DATA``, ``DELETE WHERE``, ``MODIFY``, ``LOAD``, ``CLEAR``, ``DROP``,
    #: ``CREATE``, ``ADD``, ``MOVE`` or ``COPY``.
    kind: str
    silent: bool = False

    @property
    def reads(self) -> bool:
        """True when planning evaluates a pattern over the store (a ``WHERE``), not just looks quads up."""
        return False

    @property
    def endpoint(self) -> str | None:
        """The URL a ``LOAD`` fetches; None for every other operation."""
        return None

    def writes(self) -> frozenset[Target] | None:
        """The graphs the operation may change; None when it cannot be told before evaluating it."""
        raise NotImplementedError

    def check_outbound(self, policy: OutboundPolicy) -> None:
        """Refuse, before anything runs, a call to an endpoint the policy does not allow."""

    def plan(self, kg: KnowledgeGraph, context: PlanContext | None = None) -> Delta:
        """The exact delta of this operation on ``kg`` as it is now."""
        context = context or PlanContext()
        self.check_outbound(context.outbound)
        return self._plan(_State(kg), context)

    def _plan(self, state: _State, context: PlanContext) -> Delta:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class DataOperation(Operation):
    """``INSERT DATA`` or ``DELETE DATA``: ground quads, parsed by pyoxigraph."""

    quads: tuple[Quad, ...]
    #: The graphs that hold ``quads`` (the default graph among them when it does).
    graphs: tuple[Target, ...] = ()

    def writes(self) -> frozenset[Target] | None:
        return frozenset(self.graphs)

    def _plan(self, state: _State, context: PlanContext) -> Delta:
        if self.kind == "DELETE DATA":
            return Delta(removed=tuple(state.present(self.quads)))
        return state.insertion(self.quads, self.graphs)


@dataclass(frozen=True)
class Template:
    """A ``DELETE`` or ``INSERT`` template: its quads, each variable standing as an IRI under ``marker``."""

    quads: tuple[Quad, ...]
    marker: str

    def variable(self, term: object) -> str | None:
        """The name of the variable ``term`` stands for, None for a term of the template's own."""
        if isinstance(term, NamedNode) and term.value.startswith(self.marker):
            return term.value[len(self.marker) :]
        return None

    def graphs(self) -> frozenset[Target] | None:
        """The graphs the template writes into; None when a variable names one."""
        found = set()
        for quad in self.quads:
            if self.variable(quad.graph_name) is not None:
                return None
            found.add(quad.graph_name)
        return frozenset(found)  # type: ignore[arg-type]

    def instances(self, names: list[str], rows: Iterable[QuerySolution]) -> Iterator[Quad]:
        """The template's quads for each solution row (``names`` are the row's variables).

        A quad is left out where a variable is unbound or the result is no quad (a literal subject, a
        predicate that is no IRI) — and where a variable puts it in a graph the reasoner owns. Blank nodes are
        fresh for every solution.
        """
        index = {name: i for i, name in enumerate(names)}
        slots: list[tuple[object, ...]] = []
        for quad in self.quads:
            slot = tuple(
                self._slot(term, index) for term in (quad.subject, quad.predicate, quad.object, quad.graph_name)
            )
            if _UNBOUND not in slot:  # a variable the WHERE never binds: no solution can make this quad
                slots.append(slot)
        for row in rows:
            fresh: dict[BlankNode, BlankNode] = {}
            for slot in slots:
                s, p, o, g = (row[part] if type(part) is int else _value(part, row, fresh) for part in slot)
                if (
                    type(s) in _SUBJECTS
                    and type(p) is NamedNode
                    and type(o) in _OBJECTS
                    and (type(g) is DefaultGraph or (type(g) is NamedNode and g not in REASONER_GRAPHS))
                ):
                    yield Quad(s, p, o, g)  # type: ignore[arg-type]

    def _slot(self, term: object, index: dict[str, int]) -> object:
        name = self.variable(term)
        if name is not None:
            return index.get(name, _UNBOUND)
        if isinstance(term, Triple) and any(self.variable(t) is not None or isinstance(t, Triple) for t in term):
            return tuple(self._slot(t, index) for t in term)
        return term


_UNBOUND = object()
_SUBJECTS = frozenset({NamedNode, BlankNode, Triple})
_OBJECTS = frozenset({NamedNode, BlankNode, Literal, Triple})


def _value(part: object, row: QuerySolution, fresh: dict[BlankNode, BlankNode]) -> object:
    """A template term for one solution: a variable's value, a fresh blank node, or the term itself."""
    if type(part) is int:
        return row[part]
    if type(part) is BlankNode:
        found = fresh.get(part)
        if found is None:
            found = fresh[part] = BlankNode()
        return found
    if type(part) is tuple:  # a triple term with variables in it
        s, p, o = (_value(inner, row, fresh) for inner in part)
        return Triple(s, p, o) if type(s) in _SUBJECTS and type(p) is NamedNode and type(o) in _OBJECTS else None  # type: ignore[arg-type]
    return part


@dataclass(frozen=True, kw_only=True)
class Modify(Operation):
    """``DELETE``/``INSERT … WHERE`` (with ``WITH`` and ``USING``), and ``DELETE WHERE``.

    ``where`` is the operation's ``WHERE`` group as a ``SELECT *`` query; it runs over the ``USING`` graphs when
    there are some (the protocol's ``using-graph-uri`` count as such), else over the ``WITH`` graph and every
    named graph, else over the store's own default graph and every named graph — exactly as ``Store.update``
    would, not with genai-kg's union default graph.
    """

    where: str
    base_iri: str | None = None
    delete: Template | None = None
    insert: Template | None = None
    with_graph: NamedNode | None = None
    using: tuple[NamedNode, ...] | None = None
    using_named: tuple[NamedNode, ...] = ()
    #: Whether the WHERE group names graphs (``GRAPH``): then it reads the dataset's named graphs too.
    reads_named: bool = False
    #: The endpoints its ``SERVICE`` clauses call (None where one is a variable).
    services: tuple[str | None, ...] = ()

    @property
    def reads(self) -> bool:
        return True

    def check_outbound(self, policy: OutboundPolicy) -> None:
        for endpoint in self.services:  # SILENT or not: a SERVICE call is never made to a refused endpoint
            policy.check(endpoint, "the endpoint")

    def writes(self) -> frozenset[Target] | None:
        found: set[Target] = set()
        for template in (self.delete, self.insert):
            graphs = template.graphs() if template is not None else frozenset()
            if graphs is None:
                return None
            found |= graphs
        return frozenset(found)

    def reads_any(self, written: frozenset[Target] | None) -> bool:
        """True when the WHERE group may read one of the graphs in ``written`` (None: any graph)."""
        if written is None:
            return True
        defaults: tuple[Target, ...] = (
            self.using if self.using is not None else (self.with_graph,) if self.with_graph else (DefaultGraph(),)
        )
        if any(g in written for g in defaults):
            return True
        if not self.reads_named:
            return False
        if self.using is not None:
            return any(g in written for g in self.using_named)
        return any(isinstance(g, NamedNode) for g in written)

    def dataset(self, state: _State) -> Dataset:
        if self.using is not None:
            return Dataset(default=self.using, named=self.using_named)
        if self.with_graph is not None:
            return Dataset(default=(self.with_graph,), named=tuple(state.backend.named_graphs()))
        return Dataset()  # the store's own: its default graph, and every named graph

    def _plan(self, state: _State, context: PlanContext) -> Delta:
        try:
            result = state.backend.query(self.where, self.dataset(state), substitutions=None, base_iri=self.base_iri)
            if not isinstance(result, QuerySolutions):
                raise TypeError(f"the WHERE query gave {type(result).__name__}, not solutions")
            return self._instantiate(state, context, result)
        except SyntaxError as error:
            raise BadQuery(str(error)) from error
        except RuntimeError as error:  # evaluation errors: an unknown function, a bad dataset, …
            raise BadQuery(f"the update failed and changed nothing: {error}") from error
        except (OSError, EngineError) as error:  # a SERVICE call that failed, or the store itself
            if self.services:
                raise BadQuery(remote_failure(error)) from None
            raise

    def _instantiate(self, state: _State, context: PlanContext, result: QuerySolutions) -> Delta:
        names = [v.value for v in result.variables]
        deleted: set[Quad] = set()  # quads of the DELETE template that are in the store
        kept: set[Quad] = set()  # quads of the INSERT template that are in the store already
        added: set[Quad] = set()  # quads of the INSERT template that are not
        rows: list[QuerySolution] = []

        def settle() -> None:
            if self.delete is not None:
                deleted.update(state.present(set(self.delete.instances(names, rows)) - deleted))
            if self.insert is not None:
                inserted = set(state.backend.storable(self.insert.instances(names, rows))) - added - kept
                present = state.present(inserted)
                kept.update(present)
                added.update(inserted - present)
                context.check_size(len(added))
            rows.clear()
            context.check_deadline()

        context.check_deadline()
        for solution in result:
            rows.append(solution)
            if len(rows) >= CHUNK:
                settle()
        settle()
        return Delta(removed=tuple(deleted - kept), added=tuple(added), created=state.new_graphs(added))


@dataclass(frozen=True, kw_only=True)
class Load(Operation):
    """``LOAD <source> INTO GRAPH <target>``: fetched through the outbound policy, parsed by its media type."""

    source: str
    target: Target

    @property
    def endpoint(self) -> str | None:
        return self.source

    def writes(self) -> frozenset[Target] | None:
        return frozenset({self.target})

    def check_outbound(self, policy: OutboundPolicy) -> None:
        if not self.silent:  # LOAD SILENT of a refused URL does nothing, without a connection
            policy.check(self.source, "LOAD of")

    def _plan(self, state: _State, context: PlanContext) -> Delta:
        try:
            context.outbound.check(self.source, "LOAD of")
            fetched = context.outbound.fetch(
                self.source, timeout=context.seconds_left(), max_bytes=context.max_load_bytes, accept=LOAD_ACCEPT
            )
            format = RdfFormat.from_media_type(fetched.media_type) or RdfFormat.from_extension(
                PurePosixPath(urlsplit(self.source).path).suffix.lstrip(".")
            )
            if format is None:
                raise BadRequest(
                    f"<{self.source}> answered with media type {fetched.media_type or 'none'}, which is no RDF "
                    "syntax this service reads"
                )
            quads = _parse_document(fetched.body, format, self.source)
        except BadRequest:
            if self.silent:
                return Delta()
            raise
        return state.insertion([Quad(q.subject, q.predicate, q.object, self.target) for q in quads], (self.target,))


def _parse_document(body: bytes, format: RdfFormat, source: str) -> list[Quad]:
    """The triples of a fetched document; a syntax error names the line, never the remote text."""
    try:
        parsed = Store()  # stored and read back: literals come out as the store keeps them ("01" as "1")
        parsed.extend(parse(body, format, base_iri=source, without_named_graphs=True, rename_blank_nodes=True))
        return list(parsed)
    except (SyntaxError, ValueError) as error:
        where = error.args[1][1] if len(error.args) > 1 and isinstance(error.args[1], tuple) else None
        at = f" at line {where}" if where else ""
        raise BadRequest(f"<{source}> is not valid {format.name}{at}; the document is not shown") from None


@dataclass(frozen=True, kw_only=True)
class GraphManagement(Operation):
    """``CLEAR``, ``DROP`` or ``CREATE`` of one graph, the default graph, the named graphs or all graphs.

    ``NAMED`` and ``ALL`` mean the asserted graphs: the graphs the reasoner owns are never among them.
    """

    #: ``GRAPH``, ``DEFAULT``, ``NAMED`` or ``ALL``.
    scope: str
    graph: NamedNode | None = None

    def writes(self) -> frozenset[Target] | None:
        if self.scope == "GRAPH" and self.graph is not None:
            return frozenset({self.graph})
        return frozenset({DefaultGraph()}) if self.scope == "DEFAULT" else None

    def _plan(self, state: _State, context: PlanContext) -> Delta:
        if self.kind == "CREATE":
            assert self.graph is not None
            if state.exists(self.graph):
                return self._fail(f"the graph {self.graph} already exists")
            return Delta(created=(self.graph,))
        graphs: list[GraphName] = []
        if self.scope in ("DEFAULT", "ALL"):
            graphs.append(DefaultGraph())
        if self.scope in ("NAMED", "ALL"):
            graphs += [g for g in state.named_graphs() if g not in REASONER_GRAPHS]
        if self.scope == "GRAPH":
            assert self.graph is not None
            if not state.exists(self.graph):
                return self._fail(f"the graph {self.graph} does not exist")
            graphs.append(self.graph)
        removed = [q for g in graphs for q in state.quads_in(g)]
        dropped = tuple(g for g in graphs if isinstance(g, NamedNode)) if self.kind == "DROP" else ()
        return Delta(removed=tuple(removed), dropped=dropped)

    def _fail(self, reason: str) -> Delta:
        if self.silent:
            return Delta()
        raise BadQuery(f"the update failed and changed nothing: {reason}")


@dataclass(frozen=True, kw_only=True)
class Transfer(Operation):
    """``ADD``, ``MOVE`` or ``COPY`` from one graph to another, as Oxigraph runs them.

    Like Oxigraph, a source graph that does not exist counts as empty, except that ``MOVE`` fails on it unless
    ``SILENT``; ``COPY`` and ``MOVE`` drop the target first (so an empty source leaves no target graph), and
    ``MOVE`` drops the source afterwards.
    """

    source: Target
    target: Target

    def writes(self) -> frozenset[Target] | None:
        return frozenset({self.source, self.target}) if self.kind == "MOVE" else frozenset({self.target})

    def _plan(self, state: _State, context: PlanContext) -> Delta:
        if self.source == self.target:
            return Delta()
        if self.kind == "MOVE" and not self.silent and not state.exists(self.source):
            raise BadQuery(f"the update failed and changed nothing: the graph {self.source} does not exist")
        copied = {Quad(q.subject, q.predicate, q.object, self.target) for q in state.quads_in(self.source)}
        if self.kind == "ADD":
            return state.insertion(copied, (self.target,))
        before = set(state.quads_in(self.target))
        removed = [q for q in before if q not in copied]
        added = tuple(q for q in copied if q not in before)
        dropped: list[NamedNode] = []
        if isinstance(self.target, NamedNode) and not copied and state.exists(self.target):
            dropped.append(self.target)  # dropped first, and nothing copied recreates it
        if self.kind == "MOVE":
            removed += state.quads_in(self.source)
            if isinstance(self.source, NamedNode) and state.exists(self.source):
                dropped.append(self.source)
        return Delta(removed=tuple(removed), added=added, created=state.new_graphs(added), dropped=tuple(dropped))


# -- the request -------------------------------------------------------------------------------------


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
            delta = operation._plan(_State(kg) if apply else _State(kg, total), context)
            context.check_size(len(delta))
            total = total.then(delta) if total else delta
            if apply and delta:
                apply_in_steps(kg.backend, delta)
        context.check_size(len(total))
        return total


# -- the store as planned so far ---------------------------------------------------------------------


class _State:
    """The store as the operations planned so far leave it: ``kg`` with ``pending`` applied on top."""

    def __init__(self, kg: KnowledgeGraph, pending: Delta | None = None) -> None:
        self.backend = kg.backend
        pending = pending or Delta()
        self.removed, self.added = set(pending.removed), set(pending.added)
        self.created, self.dropped = set(pending.created), set(pending.dropped)
        self.added_in: dict[GraphName, list[Quad]] = defaultdict(list)
        for quad in pending.added:
            self.added_in[quad.graph_name].append(quad)

    def present(self, quads: Iterable[Quad]) -> set[Quad]:
        """The quads (of those given) that are in the store now."""
        added, removed = self.added, self.removed
        if isinstance(self.backend, EmbeddedBackend):
            store = self.backend.store
            return {q for q in quads if q in added or (q not in removed and q in store)}
        found = set()
        for q in quads:
            if q in added or (
                q not in removed
                and next(iter(self.backend.quads(q.subject, q.predicate, q.object, q.graph_name)), None)
            ):
                found.add(q)
        return found

    def quads_in(self, graph: GraphName) -> list[Quad]:
        stored = [q for q in self.backend.quads(None, None, None, graph) if q not in self.removed]
        return stored + self.added_in.get(graph, [])

    def exists(self, graph: GraphName) -> bool:
        if isinstance(graph, DefaultGraph) or graph in self.created:
            return True
        return graph not in self.dropped and self.backend.contains_named_graph(graph)

    def named_graphs(self) -> list[NamedNode | BlankNode]:
        stored = [g for g in self.backend.named_graphs() if g not in self.dropped]
        return stored + [g for g in self.created if g not in stored]

    def new_graphs(self, quads: Iterable[Quad]) -> tuple[NamedNode, ...]:
        """The named graphs of ``quads`` that do not exist yet (adding the quads creates them)."""
        graphs = {q.graph_name for q in quads if isinstance(q.graph_name, NamedNode)}
        return tuple(g for g in graphs if not self.exists(g))

    def insertion(self, quads: Iterable[Quad], graphs: Iterable[GraphName]) -> Delta:
        """The delta that adds ``quads`` (all in ``graphs``, each of which holds one of them, if any): those not
        in the store yet, as the backend keeps them."""
        candidates = set(self.backend.storable(quads))
        added = tuple(candidates - self.present(candidates))
        created = tuple(g for g in graphs if isinstance(g, NamedNode) and not self.exists(g)) if added else ()
        return Delta(added=added, created=created)


def apply_in_steps(backend: Backend, delta: Delta) -> None:
    """Apply a delta with the backend's own writes: removals, drops, additions, creations — not one transaction.

    For scratch copies, and for the deltas one SPARQL update cannot express (it cannot name a stored blank node).
    """
    backend.remove(delta.removed)
    for graph in delta.dropped:
        backend.update(f"DROP SILENT GRAPH {graph}")
    backend.add(delta.added)
    for graph in delta.created:
        backend.update(f"CREATE SILENT GRAPH {graph}")


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


# -- parsing -----------------------------------------------------------------------------------------


def parse_update(
    text: str,
    *,
    base_iri: str | None = None,
    using: Iterable[str] = (),
    using_named: Iterable[str] = (),
    prefixes: dict[str, str] = PREFIXES,
) -> Update:
    """The operations of an update request; :class:`BadQuery` (pyoxigraph's message) when it does not parse.

    ``using``/``using_named`` are the protocol's ``using-graph-uri``/``using-named-graph-uri``: they act as
    ``USING``/``USING NAMED`` of every operation with a ``WHERE``, and are refused with an update that names its
    own dataset. An operation that names a graph the reasoner owns as its target is :class:`ReadOnly`.
    Nothing is evaluated, fetched or called: syntax is judged on an empty in-memory store.
    """
    try:
        dataset = (tuple(NamedNode(g) for g in using), tuple(NamedNode(g) for g in using_named))
    except ValueError as error:
        raise BadQuery(f"a using-graph-uri is not an IRI: {error}") from error
    return _Parser(text, base_iri, prefixes, dataset).parse()


def _operation_start(token: Token) -> bool:
    return token.is_keyword("INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")


class _Parser:
    """Reads a request's tokens operation by operation; pyoxigraph judges each piece it hands over."""

    def __init__(
        self,
        text: str,
        base_iri: str | None,
        prefixes: dict[str, str],
        dataset: tuple[tuple[NamedNode, ...], tuple[NamedNode, ...]],
    ) -> None:
        self.text = text
        self.base_iri = base_iri
        self.head = " ".join(f"PREFIX {name}: {NamedNode(iri)}" for name, iri in prefixes.items()) + " "
        self.using, self.using_named = dataset
        self.tokens = _skeleton_tokens(text)
        self.index = 0
        #: Spans of the PREFIX and BASE declarations read so far (they hold for every later operation).
        self.declarations: list[tuple[int, int]] = []
        self.judge = Store()  # empty, in memory: parses, and evaluates only what it is asked to
        self.marker = f"urn:x-genai-kg-variable:{uuid.uuid4().hex}:"
        self.inserted_blocks: list[tuple[int, int]] = []

    # -- tokens

    def peek(self, ahead: int = 0) -> Token | None:
        position = self.index + ahead
        return self.tokens[position] if position < len(self.tokens) else None

    def next(self, expected: str) -> Token:
        token = self.peek()
        if token is None:
            raise self.error(f"expected {expected}, found the end of the update", None)
        self.index += 1
        return token

    def keyword(self, *words: str) -> Token | None:
        token = self.peek()
        if token is not None and token.is_keyword(*words):
            self.index += 1
            return token
        return None

    def expect(self, *words: str) -> Token:
        token = self.next(" or ".join(words))
        if not token.is_keyword(*words):
            raise self.error(f"expected {' or '.join(words)}, found {token.text!r}", token)
        return token

    def iri(self) -> Token:
        token = self.next("an IRI")
        if token.kind not in ("iri", "pname"):
            raise self.error(f"expected an IRI, found {token.text!r}", token)
        return token

    def group(self) -> tuple[int, int]:
        """The indexes of the ``{`` that comes next and of the ``}`` that closes it."""
        opening = self.next("{")
        if opening.kind != "open":
            raise self.error(f"expected {{, found {opening.text!r}", opening)
        first = self.index - 1
        for position in range(self.index, len(self.tokens)):
            token = self.tokens[position]
            if token.kind == "close" and token.depth == opening.depth:
                self.index = position + 1
                return first, position
        raise self.error("this group is not closed", opening)

    def error(self, message: str, token: Token | None) -> BadQuery:
        offset = token.start if token is not None else len(self.text)
        return BadQuery(f"error at {_position(self.text, offset)}: {message}")

    # -- the grammar

    def parse(self) -> Update:
        operations: list[Operation] = []
        while True:
            self.prologue()
            if self.peek() is None:
                break
            operations.append(self.operation())
            if self.peek() is None:
                break
            separator = self.next("';'")
            if separator.text != ";":
                raise self.error(f"expected ';' between operations, found {separator.text!r}", separator)
        self.check_shared_blank_nodes()
        return Update(tuple(operations))

    def prologue(self) -> None:
        while (token := self.keyword("BASE", "PREFIX")) is not None:
            if token.is_keyword("PREFIX"):
                name = self.next("a prefix")
                if name.kind != "pname" or not name.text.endswith(":"):
                    raise self.error(f"expected a prefix such as ex:, found {name.text!r}", name)
            iri = self.next("an IRI")
            if iri.kind != "iri":
                raise self.error(f"expected an IRI in <>, found {iri.text!r}", iri)
            self.declarations.append((token.start, iri.end))

    def operation(self) -> Operation:
        first = self.peek()
        assert first is not None
        if not _operation_start(first):
            raise self.error(
                f"expected an update operation (INSERT, DELETE, WITH, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, "
                f"COPY), found {first.text!r}",
                first,
            )
        word = first.text.upper()
        following = self.peek(1)
        if word in ("INSERT", "DELETE") and following is not None and following.is_keyword("DATA"):
            return self.data(f"{word} DATA")
        if word == "DELETE" and following is not None and following.is_keyword("WHERE"):
            return self.delete_where()
        if word in ("INSERT", "DELETE", "WITH"):
            return self.modify()
        self.index += 1
        silent = self.keyword("SILENT") is not None
        if word == "LOAD":
            return self.load(silent)
        if word in ("CLEAR", "DROP", "CREATE"):
            return self.management(word, silent)
        return self.transfer(word, silent)

    def data(self, kind: str) -> DataOperation:
        self.index += 2
        first, last = self.group()
        block = (self.tokens[first].start, self.tokens[last].end)
        if kind == "INSERT DATA":
            self.inserted_blocks.append(block)
        quads, graphs = self.quad_data(kind, block)
        if kind == "DELETE DATA" and any(has_blank_node(q) for q in quads):
            raise self.error("blank nodes are not allowed in DELETE DATA", self.tokens[first])
        self.check_targets(graphs)
        return DataOperation(kind=kind, quads=tuple(quads), graphs=graphs)

    def delete_where(self) -> Modify:
        start = self.tokens[self.index]
        self.index += 2
        first, last = self.group()
        pattern = self.template(first, last)
        if any(has_blank_node(q) for q in pattern.quads):
            raise self.error("blank nodes are not allowed in DELETE WHERE", start)
        self.check_targets(q.graph_name for q in pattern.quads if pattern.variable(q.graph_name) is None)
        return self.modify_operation("DELETE WHERE", first, last, delete=pattern, insert=None, with_graph=None)

    def modify(self) -> Modify:
        start = self.peek()
        with_token = self.iri() if self.keyword("WITH") else None
        delete = insert = None
        if self.keyword("DELETE"):
            delete = self.template(*self.group())
            if any(has_blank_node(q) for q in delete.quads):
                raise self.error("blank nodes are not allowed in a DELETE template", start)
        if self.keyword("INSERT"):
            insert = self.template(*self.group())
        if delete is None and insert is None:
            raise self.error("expected DELETE or INSERT", self.peek())
        using_tokens: list[tuple[bool, Token]] = []
        while self.keyword("USING"):
            named = self.keyword("NAMED") is not None
            using_tokens.append((named, self.iri()))
        self.expect("WHERE")
        first, last = self.group()
        names = self.resolve(([with_token] if with_token is not None else []) + [t for _, t in using_tokens])
        with_graph = names.pop(0) if with_token is not None else None
        if with_graph is not None:  # the templates' default graph is the WITH graph
            delete, insert = (_into(t, with_graph) for t in (delete, insert))
        own_using = tuple(g for (named, _), g in zip(using_tokens, names, strict=True) if not named)
        own_named = tuple(g for (named, _), g in zip(using_tokens, names, strict=True) if named)
        if (with_token is not None or using_tokens) and (self.using or self.using_named):
            raise self.error(
                "the update names its own dataset (USING or WITH) and the request adds using-graph-uri or "
                "using-named-graph-uri; send one or the other",
                start,
            )
        for template in (delete, insert):
            if template is not None:
                self.check_targets(q.graph_name for q in template.quads if template.variable(q.graph_name) is None)
        return self.modify_operation(
            "MODIFY",
            first,
            last,
            delete=delete,
            insert=insert,
            with_graph=with_graph,
            using=(own_using, own_named) if using_tokens else None,
        )

    def modify_operation(
        self,
        kind: str,
        first: int,
        last: int,
        *,
        delete: Template | None,
        insert: Template | None,
        with_graph: NamedNode | None,
        using: tuple[tuple[NamedNode, ...], tuple[NamedNode, ...]] | None = None,
    ) -> Modify:
        if using is None and (self.using or self.using_named):
            using = (self.using, self.using_named)
        source = _Source(self.text)
        source.add(self.head)
        self.add_declarations(source)
        source.add("SELECT * WHERE ")
        source.add_span(self.tokens[first].start, self.tokens[last].end)
        where = source.text()
        try:
            self.judge.query(where, base_iri=self.base_iri)  # parsed, not evaluated: solutions are lazy
        except SyntaxError as error:
            raise source.error(error) from None
        return Modify(
            kind=kind,
            where=where,
            base_iri=self.base_iri,
            delete=delete,
            insert=insert,
            with_graph=with_graph,
            using=using[0] if using is not None else None,
            using_named=using[1] if using is not None else (),
            reads_named=any(t.is_keyword("GRAPH") for t in self.tokens[first:last]),
            services=tuple(called_endpoints(where, {})),
        )

    def load(self, silent: bool) -> Load:
        source = self.iri()
        target = None
        if self.keyword("INTO"):
            self.expect("GRAPH")
            target = self.iri()
        names = self.resolve([source] + ([target] if target is not None else []))
        graph: Target = names[1] if target is not None else DefaultGraph()
        self.check_targets([graph])
        return Load(kind="LOAD", silent=silent, source=names[0].value, target=graph)

    def management(self, kind: str, silent: bool) -> GraphManagement:
        if kind == "CREATE":
            self.expect("GRAPH")
            scope = "GRAPH"
        else:
            scope = self.expect("GRAPH", "DEFAULT", "NAMED", "ALL").text.upper()
        graph = self.resolve([self.iri()])[0] if scope == "GRAPH" else None
        if graph is not None:
            self.check_targets([graph])
        return GraphManagement(kind=kind, silent=silent, scope=scope, graph=graph)

    def transfer(self, kind: str, silent: bool) -> Transfer:
        source = self.graph_or_default()
        self.expect("TO")
        target = self.graph_or_default()
        self.check_targets([target] + ([source] if kind == "MOVE" else []))
        return Transfer(kind=kind, silent=silent, source=source, target=target)

    def graph_or_default(self) -> Target:
        if self.keyword("DEFAULT"):
            return DefaultGraph()
        self.keyword("GRAPH")
        return self.resolve([self.iri()])[0]

    # -- what pyoxigraph judges

    def add_declarations(self, source: _Source) -> None:
        for start, end in self.declarations:
            source.add_span(start, end)
            source.add("\n")

    def resolve(self, names: list[Token]) -> list[NamedNode]:
        """The IRIs that IRI and prefixed-name tokens stand for, resolved by pyoxigraph as the parser would."""
        if not names:
            return []
        source = _Source(self.text)
        source.add(self.head)
        self.add_declarations(source)
        source.add("SELECT * { VALUES (" + " ".join(f"?t{i}" for i in range(len(names))) + ") { (")
        for token in names:
            source.add_span(token.start, token.end)
            source.add(" ")
        source.add(") } }")
        try:
            solution = next(iter(self.judge.query(source.text(), base_iri=self.base_iri)))  # type: ignore[arg-type]
        except SyntaxError as error:
            raise source.error(error) from None
        return [solution[f"t{i}"] for i in range(len(names))]

    def quad_data(
        self, kind: str, block: tuple[int, int], variables: dict[int, str] | None = None
    ) -> tuple[list[Quad], tuple[Target, ...]]:
        """The quads of a data block (or of a template, its variables written as IRIs), as pyoxigraph reads them,
        and the graphs that hold them.

        The block is inserted into the empty judging store: pyoxigraph's own ``INSERT DATA`` parser decides what
        is valid, and blank nodes come out fresh.
        """
        source = _Source(self.text)
        source.add(self.head)
        self.add_declarations(source)
        source.add("INSERT DATA ")
        cursor = block[0]
        for start, name in sorted((variables or {}).items()):
            source.add_span(cursor, start)
            source.add(str(NamedNode(self.marker + name)))
            cursor = start + len(name) + 1
        source.add_span(cursor, block[1])
        try:
            self.judge.update(source.text(), base_iri=self.base_iri)
        except SyntaxError as error:
            raise source.error(error, kind) from None
        quads = list(self.judge)
        graphs: list[Target] = [g for g in self.judge.named_graphs() if isinstance(g, NamedNode)]
        if next(self.judge.quads_for_pattern(None, None, None, DefaultGraph()), None) is not None:
            graphs.append(DefaultGraph())
        self.judge.clear()
        return quads, tuple(graphs)

    def template(self, first: int, last: int) -> Template:
        variables = {t.start: t.text[1:] for t in self.tokens[first:last] if t.kind == "var"}
        block = (self.tokens[first].start, self.tokens[last].end)
        return Template(tuple(self.quad_data("a template", block, variables)[0]), self.marker)

    def check_targets(self, graphs: Iterable[object]) -> None:
        for graph in graphs:
            if graph in REASONER_GRAPHS:
                raise ReadOnly(_READ_ONLY_MESSAGE.format(graph=graph))

    def check_shared_blank_nodes(self) -> None:
        """Refuse a blank node label shared by two ``INSERT DATA`` blocks, as pyoxigraph does within one request."""
        if len(self.inserted_blocks) < 2:
            return
        source = _Source(self.text)
        source.add(self.head)
        self.add_declarations(source)  # all first: Oxigraph reads no prologue between operations
        for start, end in self.inserted_blocks:
            source.add("INSERT DATA ")
            source.add_span(start, end)
            source.add(" ;\n")
        try:
            self.judge.update(source.text(), base_iri=self.base_iri)
        except SyntaxError as error:
            raise source.error(error) from None
        finally:
            self.judge.clear()


def _skeleton_tokens(text: str) -> list[Token]:
    """The request's tokens, without the inside of its ``INSERT DATA``/``DELETE DATA`` blocks.

    A data block may hold millions of tokens that only pyoxigraph needs to read; the lexer's
    :func:`~graph.sparql_lexer.group_end` finds where it closes, and reading resumes there.
    """
    found: list[Token] = []
    start = 0
    while True:
        for token in tokens(text, start):
            found.append(token)
            if (
                token.kind == "open"
                and token.depth == 0
                and len(found) >= 3
                and found[-2].is_keyword("DATA")
                and found[-3].is_keyword("INSERT", "DELETE")
            ):
                end = group_end(text, token.start)
                if end is None:
                    raise BadQuery(f"error at {_position(text, token.start)}: this data block is not closed")
                found.append(Token("close", "}", end - 1, end, 0))
                start = end
                break
        else:
            return found


def _into(template: Template | None, graph: NamedNode) -> Template | None:
    """The template with its default-graph quads put into ``graph`` (what ``WITH`` does)."""
    if template is None:
        return None
    quads = tuple(
        Quad(q.subject, q.predicate, q.object, graph) if isinstance(q.graph_name, DefaultGraph) else q
        for q in template.quads
    )
    return Template(quads, template.marker)


def has_blank_node(quad: Quad | Triple) -> bool:
    """True when a quad (or triple term) holds a blank node, which SPARQL cannot name again."""
    terms = (quad.subject, quad.object, quad.graph_name) if isinstance(quad, Quad) else (quad.subject, quad.object)
    return any(isinstance(t, BlankNode) or (isinstance(t, Triple) and has_blank_node(t)) for t in terms)


def _position(text: str, offset: int) -> str:
    """``line:column`` of an offset, 1-based, as pyoxigraph's messages give positions."""
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


_AT = re.compile(r"^error at (\d+):(\d+)")


class _Source:
    """Text for pyoxigraph put together from fixed parts and spans of the request.

    pyoxigraph's syntax errors point into this text; :meth:`error` points them back into the request.
    """

    def __init__(self, request: str) -> None:
        self.request = request
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, int]] = []  # (offset here, offset in the request, length)
        self.size = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def add_span(self, start: int, end: int) -> None:
        self.spans.append((self.size, start, end - start))
        self.add(self.request[start:end])

    def text(self) -> str:
        return "".join(self.parts)

    def error(self, error: SyntaxError, kind: str | None = None) -> BadQuery:
        """pyoxigraph's message, its position moved into the request."""
        message = str(error)
        if kind is not None and kind != "INSERT DATA":  # the block was read as INSERT DATA; say what it is
            message = message.replace("INSERT DATA", kind)
        match = _AT.match(message)
        if match is None:
            return BadQuery(message)
        text = self.text()
        line, column = int(match.group(1)), int(match.group(2))
        offset = 0
        for _ in range(line - 1):
            offset = text.index("\n", offset) + 1
        offset += column - 1
        origin = len(self.request)
        for here, there, length in self.spans:
            if here <= offset:
                origin = there + min(offset - here, length)
        return BadQuery(f"error at {_position(self.request, origin)}{message[match.end() :]}")
