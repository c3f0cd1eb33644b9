"""Where the quads live: the small interface every store behind a :class:`~graph.store.KnowledgeGraph` offers.

Two implementations exist: :class:`EmbeddedBackend` here (a pyoxigraph store in this process, the default)
and :class:`graph.remote.RemoteBackend` (any SPARQL 1.1 engine, spoken to over the SPARQL Protocol and the
Graph Store Protocol). The knowledge graph above them decides *what* to read and write (named graphs, the
union rule, notifications); a backend only knows *how*.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
    Variable,
    serialize,
)

from .errors import Unavailable
from .namespaces import PREFIXES

Term = NamedNode | BlankNode | Literal | Triple
GraphName = NamedNode | BlankNode | DefaultGraph


class TripleResult:
    """A CONSTRUCT/DESCRIBE answer that did not come from pyoxigraph's own evaluator (e.g. a remote engine)."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self._triples = iter(triples)

    def __iter__(self) -> Iterator[Triple]:
        return self._triples

    def serialize(self, output: IO[bytes] | None = None, format: RdfFormat = RdfFormat.N_TRIPLES) -> bytes | None:
        return serialize(
            self._triples,
            output,
            format=format,
            prefixes=PREFIXES if format in (RdfFormat.TURTLE, RdfFormat.TRIG) else None,
        )


def sparql_term(term: Any) -> str:
    """A term as SPARQL writes it: ``str()`` of the term, but an RDF 1.2 triple term as ``<<( s p o )>>``
    (``str()`` of a :class:`Triple` is the three terms alone, which no parser reads as one term).

    >>> sparql_term(Triple(NamedNode("http://ex/s"), NamedNode("http://ex/p"), Literal("o")))
    '<<( <http://ex/s> <http://ex/p> "o" )>>'
    """
    if isinstance(term, Triple):
        return f"<<( {sparql_term(term.subject)} {term.predicate} {sparql_term(term.object)} )>>"
    return str(term)


def quad_block(quads: Iterable[Quad]) -> str:
    """Ground quads in SPARQL's own syntax, for ``INSERT DATA``/``DELETE DATA`` blocks and update templates.

    Each quad gets its own ``GRAPH`` block: some engines cannot parse one block of many thousand triples
    (Virtuoso fails past about 5,000), while a block per quad parses at any size they accept.
    """
    lines = []
    for q in quads:
        triple = f"{sparql_term(q.subject)} {q.predicate} {sparql_term(q.object)} ."
        lines.append(triple if isinstance(q.graph_name, DefaultGraph) else f"GRAPH {q.graph_name} {{ {triple} }}")
    return "\n".join(lines)


QueryResult = QuerySolutions | QueryBoolean | QueryTriples | TripleResult
GRAPH_RESULTS = (QueryTriples, TripleResult)


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a query runs over, as the knowledge graph decided it.

    ``union``: the default graph is the union of every graph (the store's default graph included);
    otherwise ``default``/``named`` list the graphs exactly (``DefaultGraph()`` may be among ``default``);
    ``None`` for both: the query's own ``FROM``/``FROM NAMED`` decide.
    """

    union: bool = False
    default: tuple[GraphName, ...] | None = None
    named: tuple[NamedNode | BlankNode, ...] | None = None


class Backend(Protocol):
    """The operations a knowledge graph needs from its store; every write is atomic."""

    #: Where the quads are, for people: a folder, ``memory`` or an endpoint URL.
    location: str
    read_only: bool
    #: True when other processes may write the same quads (a remote engine): cached state must be re-checked.
    shared: bool

    def query(
        self, sparql: str, dataset: Dataset, *, substitutions: Mapping[str, Term] | None, base_iri: str | None
    ) -> QueryResult:
        """Evaluate a query; :class:`SyntaxError` or :class:`RuntimeError` for a bad one."""
        ...

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL Update atomically; :class:`SyntaxError` or :class:`RuntimeError` for a bad one."""
        ...

    def quads(
        self, subject: Term | None, predicate: NamedNode | None, object: Term | None, graph: GraphName | None
    ) -> Iterator[Quad]: ...

    def named_graphs(self) -> list[NamedNode | BlankNode]: ...

    def contains_named_graph(self, graph: NamedNode | BlankNode) -> bool: ...

    def count(self) -> int: ...

    def is_empty(self) -> bool: ...

    def add(self, quads: Iterable[Quad]) -> None:
        """Add quads in one atomic write; they are already :meth:`storable` (the knowledge graph sees to it)."""
        ...

    def remove(self, quads: Iterable[Quad]) -> None: ...

    def bulk_load(self, input: IO[bytes], format: RdfFormat, *, to_graph: GraphName | None, base_iri: str) -> None:
        """Load a large file (atomic; a syntax error raises :class:`SyntaxError` with nothing written)."""
        ...

    def dump(
        self, output: IO[bytes], format: RdfFormat, *, from_graph: GraphName | None, prefixes: dict[str, str] | None
    ) -> None: ...

    def storable(self, quads: Iterable[Quad]) -> list[Quad]:
        """The quads as this backend will keep them (a remote engine cannot keep blank node identities)."""
        ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class EmbeddedBackend:
    """A pyoxigraph store in this process: on disk (RocksDB) or in memory."""

    shared = False

    def __init__(self, store: Store, *, path: Path | None = None, read_only: bool = False) -> None:
        self.store = store
        self.path = path
        self.read_only = read_only
        self.location = str(path) if path is not None else "memory"

    @classmethod
    def open(cls, path: Path | None, *, read_only: bool = False) -> EmbeddedBackend:
        if path is None:
            return cls(Store(), read_only=read_only)
        try:
            if read_only:
                return cls(Store.read_only(str(path)), path=path, read_only=True)
            path.mkdir(parents=True, exist_ok=True)
            return cls(Store(str(path)), path=path)
        except OSError as error:  # RocksDB's lock: one read-write opener at a time
            if "lock" not in str(error).lower():
                raise
            raise Unavailable(
                f"the store at {path} is in use by another process (a running `genai-kg serve`?): stop it, "
                "or query it over HTTP"
            ) from error

    def query(
        self, sparql: str, dataset: Dataset, *, substitutions: Mapping[str, Term] | None, base_iri: str | None
    ) -> QueryResult:
        options: dict[str, Any] = {"base_iri": base_iri, "prefixes": PREFIXES}
        if dataset.union:
            options["use_default_graph_as_union"] = True
        elif dataset.default is not None or dataset.named is not None:
            options["default_graph"] = list(dataset.default or ())
            options["named_graphs"] = list(dataset.named or ())
        if substitutions:
            options["substitutions"] = {Variable(name): term for name, term in substitutions.items()}
        return self.store.query(sparql, **options)

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        self.store.update(sparql, base_iri=base_iri, prefixes=PREFIXES)

    def quads(
        self, subject: Term | None, predicate: NamedNode | None, object: Term | None, graph: GraphName | None
    ) -> Iterator[Quad]:
        if isinstance(subject, Literal):
            return iter(())
        return self.store.quads_for_pattern(subject, predicate, object, graph)

    def named_graphs(self) -> list[NamedNode | BlankNode]:
        return list(self.store.named_graphs())

    def contains_named_graph(self, graph: NamedNode | BlankNode) -> bool:
        return self.store.contains_named_graph(graph)

    def count(self) -> int:
        return len(self.store)

    def is_empty(self) -> bool:
        return next(iter(self.store), None) is None

    def add(self, quads: Iterable[Quad]) -> None:
        self.store.extend(quads)

    def remove(self, quads: Iterable[Quad]) -> None:
        for quad in quads:
            self.store.remove(quad)

    def add_bulk(self, quads: Iterable[Quad]) -> None:
        """Add without a transaction: much faster, for derived data that can be recomputed."""
        self.store.bulk_extend(quads)

    def bulk_load(self, input: IO[bytes], format: RdfFormat, *, to_graph: GraphName | None, base_iri: str) -> None:
        self.store.bulk_load(input, format, base_iri=base_iri, to_graph=to_graph)

    def dump(
        self, output: IO[bytes], format: RdfFormat, *, from_graph: GraphName | None, prefixes: dict[str, str] | None
    ) -> None:
        self.store.dump(output, format=format, from_graph=from_graph, prefixes=prefixes)

    def storable(self, quads: Iterable[Quad]) -> list[Quad]:
        return list(quads)

    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self.store.flush()

    def close(self) -> None:
        self.flush()
