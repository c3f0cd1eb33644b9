"""What each operation of a SPARQL update changes: its kinds, templates, and the store as planned so far.

Every operation plans against a :class:`State` — the store with the changes of the operations planned before
it on top — and returns the exact :class:`~graph.delta.Delta` it would cause.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
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

from ..backend import Backend, Dataset, GraphName
from ..delta import Delta
from ..embedded import EmbeddedBackend
from ..errors import BadQuery, BadRequest, EngineError, QueryTimeout, TooLarge
from ..namespaces import is_reasoners, is_view
from ..outbound import OutboundPolicy, remote_failure

if TYPE_CHECKING:
    from ..store import KnowledgeGraph

Target = NamedNode | DefaultGraph

#: What LOAD asks a server for: the RDF syntaxes of one graph that pyoxigraph reads.
LOAD_ACCEPT = (
    "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8, application/ld+json;q=0.7, text/n3;q=0.5"
)
#: Seconds a LOAD may take when the plan has no deadline of its own.
LOAD_SECONDS = 30.0
#: Solutions evaluated between two looks at the deadline (and at the size of what is planned).
CHUNK = 4096


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
        return self._plan(State(kg), context)

    def _plan(self, state: State, context: PlanContext) -> Delta:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class DataOperation(Operation):
    """``INSERT DATA`` or ``DELETE DATA``: ground quads, parsed by pyoxigraph."""

    quads: tuple[Quad, ...]
    #: The graphs that hold ``quads`` (the default graph among them when it does).
    graphs: tuple[Target, ...] = ()

    def writes(self) -> frozenset[Target] | None:
        return frozenset(self.graphs)

    def _plan(self, state: State, context: PlanContext) -> Delta:
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
                    and (type(g) is DefaultGraph or (type(g) is NamedNode and not is_reasoners(g)))
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

    def dataset(self, state: State) -> Dataset:
        if self.using is not None:
            return Dataset(default=self.using, named=self.using_named)
        if self.with_graph is not None:
            return Dataset(default=(self.with_graph,), named=tuple(state.named_graphs()))
        return Dataset(default=(DefaultGraph(),), named=tuple(state.named_graphs()))  # the store's own graphs

    def _plan(self, state: State, context: PlanContext) -> Delta:
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

    def _instantiate(self, state: State, context: PlanContext, result: QuerySolutions) -> Delta:
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

    def _plan(self, state: State, context: PlanContext) -> Delta:
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

    def _plan(self, state: State, context: PlanContext) -> Delta:
        if self.kind == "CREATE":
            assert self.graph is not None
            if state.exists(self.graph):
                return self._fail(f"the graph {self.graph} already exists")
            return Delta(created=(self.graph,))
        graphs: list[GraphName] = []
        if self.scope in ("DEFAULT", "ALL"):
            graphs.append(DefaultGraph())
        if self.scope in ("NAMED", "ALL"):
            graphs += [g for g in state.named_graphs() if not is_reasoners(g)]
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

    def _plan(self, state: State, context: PlanContext) -> Delta:
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


# -- the store as planned so far ---------------------------------------------------------------------


class State:
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
        """The dataset's named graphs (not the closure graph, nor a write's temporary graphs)."""
        stored = [g for g in self.backend.named_graphs() if g not in self.dropped and not is_view(g)]
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


def has_blank_node(quad: Quad | Triple) -> bool:
    """True when a quad (or triple term) holds a blank node, which SPARQL cannot name again."""
    terms = (quad.subject, quad.object, quad.graph_name) if isinstance(quad, Quad) else (quad.subject, quad.object)
    return any(isinstance(t, BlankNode) or (isinstance(t, Triple) and has_blank_node(t)) for t in terms)
