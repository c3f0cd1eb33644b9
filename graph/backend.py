"""Where the quads live: the small interface every store behind a :class:`~graph.store.KnowledgeGraph` offers.

Two implementations exist: :class:`EmbeddedBackend` here (a pyoxigraph store in this process, the default)
and :class:`graph.remote.RemoteBackend` (any SPARQL 1.1 engine, spoken to over the SPARQL Protocol and the
Graph Store Protocol). The knowledge graph above them decides *what* to read and write (named graphs, the
union rule, the order of a write's steps); a backend only knows *how*, and who may write now.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
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
    parse,
    serialize,
)

from .errors import Unavailable
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

    def unassert_inferred(self, graph: GraphName) -> None:
        """Take out of the inferred graph the triples that ``graph`` now asserts (after a bulk load into it)."""
        ...

    def drop_graph(self, graph: NamedNode) -> int | None:
        """Drop a graph, however large, without holding all of it in memory at once; how many quads went,
        when known."""
        ...


#: Lines of N-Triples per bulk-loader call: Oxigraph's loader holds a call's quads in memory while it sorts.
BULK_CHUNK_LINES = 200_000
#: The same in bytes, for reading a file in chunks of whole lines (about 200,000 lines of N-Triples).
BULK_CHUNK_BYTES = 24 * 1024 * 1024


def _split_blank_lines(chunk: bytes) -> tuple[bytes, bytes]:
    """The lines of a chunk without a blank node, and those with one (``_:`` may sit in a literal: no harm)."""
    if b"_:" not in chunk:
        return chunk, b""
    lines = chunk.splitlines(keepends=True)
    return b"".join(x for x in lines if b"_:" not in x), b"".join(x for x in lines if b"_:" in x)


def _into_graph(lines: bytes, graph: NamedNode) -> bytes:
    """N-Triples lines as N-Quads lines of ``graph``."""
    name = b" " + str(graph).encode() + b" .\n"
    return b"".join(line.rstrip()[:-1].rstrip() + name for line in lines.splitlines() if line.strip())


def _chunk_line(chunk: bytes, blank: bool, number: int) -> int:
    """The line of ``chunk`` that is line ``number`` of its plain (or blank-node) part."""
    seen = 0
    for index, line in enumerate(chunk.splitlines(), start=1):
        if (b"_:" in line) == blank:
            seen += 1
            if seen == number:
                return index
    return number


def _renamed(quad: Quad, names: dict[str, BlankNode], graph: GraphName) -> Quad:
    """The quad with each blank node named once per load (and into ``graph`` when it has none)."""

    def term(t: Any) -> Any:
        if isinstance(t, BlankNode):
            return names.setdefault(t.value, BlankNode())
        return t

    target = quad.graph_name if not isinstance(quad.graph_name, DefaultGraph) else graph
    return Quad(term(quad.subject), quad.predicate, term(quad.object), term(target))


def _line_chunks(input: IO[bytes], size: int) -> Iterator[bytes]:
    """The input in pieces of about ``size`` bytes, each ending at the end of a line."""
    rest = b""
    while block := input.read(size):
        block = rest + block
        end = block.rfind(b"\n") + 1
        if end == 0:
            rest = block
            continue
        rest = block[end:]
        yield block[:end]
    if rest:
        yield rest


class EmbeddedBackend:
    """A pyoxigraph store in this process: on disk (RocksDB) or in memory."""

    shared = False

    def __init__(self, store: Store, *, path: Path | None = None, read_only: bool = False) -> None:
        self.store = store
        self.path = path
        self.read_only = read_only
        self.location = str(path) if path is not None else "memory"
        self._writer = threading.RLock()

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

    def bulk_load(self, input: IO[bytes], format: RdfFormat, *, to_graph: GraphName | None, base_iri: str) -> None:
        """Oxigraph's bulk loader, fed in chunks of whole lines where the format allows it (memory stays flat).

        Each call of the loader names blank nodes afresh, so the lines that hold one are parsed here and
        their blank nodes named once for the whole file. A syntax error names the line in the whole file.
        """
        if format not in (RdfFormat.N_TRIPLES, RdfFormat.N_QUADS):
            self.store.bulk_load(input, format, base_iri=base_iri, to_graph=to_graph)
            return
        names: dict[str, BlankNode] = {}
        target = to_graph if to_graph is not None else DefaultGraph()
        line = 0
        for chunk in _line_chunks(input, BULK_CHUNK_BYTES):
            plain, blank = _split_blank_lines(chunk)
            for part, is_blank in ((plain, False), (blank, True)):
                if not part:
                    continue
                try:
                    if is_blank:
                        quads = parse(part, format, base_iri=base_iri)
                        self.store.bulk_extend(_renamed(q, names, target) for q in quads)
                    else:
                        self.store.bulk_load(part, format, base_iri=base_iri, to_graph=to_graph)
                except SyntaxError as error:
                    number = line + _chunk_line(chunk, is_blank, error.lineno or 1)
                    raise SyntaxError(error.msg, (error.filename, number, error.offset, error.text)) from error
            line += chunk.count(b"\n")

    def writer(self) -> AbstractContextManager[object]:
        return self._writer

    def match(self, triples: Sequence[tuple[Term, Term, Term]]) -> list[Quad]:
        found: list[Quad] = []
        for s, p, o in triples:
            if isinstance(s, NamedNode | BlankNode | Triple) and isinstance(p, NamedNode):
                found += self.store.quads_for_pattern(s, p, o, None)
        return found

    def apply(
        self,
        *,
        removed: Sequence[Quad],
        added: Sequence[Quad],
        created: Sequence[NamedNode],
        dropped: Sequence[NamedNode],
        mark: Quad,
    ) -> None:
        if not any(has_blank_node(q) for q in (*removed, *added)):
            self.store.update(write_operations(removed, [mark, *added], created, dropped))
            return
        # SPARQL cannot name a stored blank node: the same change, mark first, in the store's own operations
        self.store.extend([mark])
        for quad in removed:
            self.store.remove(quad)
        self.store.extend(added)
        for graph in created:
            self.store.add_graph(graph)
        for graph in dropped:
            self.store.remove_graph(graph)

    def add_ntriples(self, data: IO[bytes], graphs: Sequence[NamedNode]) -> None:
        """Lines without blank nodes go to the bulk loader in chunks (the reasoner's output, written from the
        store's own terms: no IRI validation); the loader renames blank nodes, so lines with one are read as
        N-Quads into each graph and added as they are."""
        for chunk in _line_chunks(data, BULK_CHUNK_BYTES):
            plain, blank = _split_blank_lines(chunk)
            for graph in graphs:
                if plain:
                    self.store.bulk_load(plain, RdfFormat.N_TRIPLES, to_graph=graph, lenient=True)
                if blank:
                    self.store.bulk_extend(parse(_into_graph(blank, graph), RdfFormat.N_QUADS))

    def clear_inferred(self) -> int:
        kept = list(self.store.quads_for_pattern(GRAPH_INFERRED, None, None, GRAPH_INFERRED))
        count = self.drop_graph(GRAPH_INFERRED)
        self.store.extend(kept)
        return count - len(kept)

    def unassert_inferred(self, graph: GraphName) -> None:
        where = "?s ?p ?o ." if isinstance(graph, DefaultGraph) else f"GRAPH {graph} {{ ?s ?p ?o }}"
        g = GRAPH_INFERRED
        self.store.update(f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ {where} GRAPH {g} {{ ?s ?p ?o }} }}")

    def drop_graph(self, graph: NamedNode) -> int:
        """In one transaction when the graph is small, else in transactions of ``BULK_CHUNK_LINES`` quads
        (Oxigraph holds a transaction's changes in memory); returns how many quads went."""
        result = self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        assert isinstance(result, QuerySolutions)
        size = int(next(iter(result))["n"].value)
        if size <= BULK_CHUNK_LINES:
            self.store.remove_graph(graph)
            return size
        count = 0
        while batch := list(itertools.islice(self.store.quads_for_pattern(None, None, None, graph), BULK_CHUNK_LINES)):
            plain = [q for q in batch if not has_blank_node(q)]
            if plain:
                self.store.update(write_operations(plain, (), (), ()))
            for quad in batch:
                if has_blank_node(quad):
                    self.store.remove(quad)
            count += len(batch)
        self.store.remove_graph(graph)
        return count

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
