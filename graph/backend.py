"""Where the quads live: the small interface every store behind a :class:`~graph.store.KnowledgeGraph` offers.

Two implementations exist: :class:`graph.embedded.EmbeddedBackend` (a pyoxigraph store in this process, the default)
and :class:`graph.remote.RemoteBackend` (any SPARQL 1.1 engine, spoken to over the SPARQL Protocol and the
Graph Store Protocol). The knowledge graph above them decides *what* to read and write (named graphs, the
union rule, the order of a write's steps); a backend only knows *how*, and who may write now.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
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
    Triple,
    serialize,
)

from .namespaces import GRAPH_INFERRED, PREFIXES

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


def has_blank_node(quad: Quad) -> bool:
    return any(isinstance(t, BlankNode) for t in (quad.subject, quad.object, quad.graph_name))


def write_operations(
    removed: Sequence[Quad], added: Sequence[Quad], created: Sequence[NamedNode], dropped: Sequence[NamedNode]
) -> str:
    """One SPARQL update that applies an exact change (ground quads: no blank node can be written in one)."""
    operations = []
    if removed:
        operations.append(f"DELETE DATA {{\n{quad_block(removed)}\n}}")
    if added:
        operations.append(f"INSERT DATA {{\n{quad_block(added)}\n}}")
    operations += [f"CREATE SILENT GRAPH {g}" for g in created]
    operations += [f"DROP SILENT GRAPH {g}" for g in dropped]
    return " ;\n".join(operations)


#: The inferred graph's own triples (the closure's state) survive emptying it.
KEEP_STATE = f"FILTER(?s != {GRAPH_INFERRED})"

QueryResult = QuerySolutions | QueryBoolean | QueryTriples | TripleResult
GRAPH_RESULTS = (QueryTriples, TripleResult)


@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a query runs over, as the knowledge graph decided it.

    ``default``/``named`` list the graphs exactly (``DefaultGraph()`` may be among ``default``; no named graph
    when ``named`` is None and ``default`` is not); ``None`` for both: the query's own ``FROM``/``FROM NAMED``
    decide.
    """

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
        """Load a large file of N-Triples or N-Quads lines whose blank nodes are named already (the bulk path's
        canonical lines: :func:`graph.inference.bulk.load_in_bulk`), keeping those names."""
        ...

    def dump(
        self, output: IO[bytes], format: RdfFormat, *, from_graph: GraphName | None, prefixes: dict[str, str] | None
    ) -> None: ...

    def storable(self, quads: Iterable[Quad]) -> list[Quad]:
        """The quads as this backend will keep them (a remote engine cannot keep blank node identities)."""
        ...

    def flush(self) -> None: ...

    def compact(self) -> None:
        """Rewrite the storage for reading after a large write (RocksDB's files merged, as a new store's are);
        nothing where the engine keeps its own storage."""
        ...

    def close(self) -> None: ...

    # -- the write pipeline's operations (see KnowledgeGraph.write) -----------------------------------

    def writer(self) -> AbstractContextManager[object]:
        """One writer at a time: held from a write's first read to its new generation (reentrant)."""
        ...

    def match(self, triples: Sequence[tuple[Term, Term, Term]]) -> list[Quad]:
        """Every quad, in any graph, of the given triples."""
        ...

    def apply(
        self,
        *,
        removed: Sequence[Quad],
        added: Sequence[Quad],
        created: Sequence[NamedNode],
        dropped: Sequence[NamedNode],
        mark: Quad,
    ) -> None:
        """Apply an exact change with the quad ``mark`` (the closure's pending mark), in one transaction where
        the store allows it; where it does not, ``mark`` is written first."""
        ...

    def add_ntriples(self, data: IO[bytes], graphs: Sequence[NamedNode]) -> None:
        """Add a large N-Triples output of the reasoner to each of ``graphs`` (not in one transaction)."""
        ...

    def clear_inferred(self) -> int:
        """Empty the inferred graph but for its own state triples; returns how many triples went."""
        ...

    def drop_graph(self, graph: NamedNode) -> int | None:
        """Drop a graph, however large, without holding all of it in memory at once; how many quads went,
        when known."""
        ...
