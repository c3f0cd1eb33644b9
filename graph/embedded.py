"""The default backend: a pyoxigraph store in this process, on disk (RocksDB) or in memory.

It implements :class:`graph.backend.Backend`; large writes go to Oxigraph's bulk loader in chunks of whole
lines, and lines with blank nodes (which the loader renames) are added as they are.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    Variable,
    parse,
    serialize,
)

from .backend import Dataset, GraphName, QueryResult, Term, has_blank_node, write_operations
from .errors import Unavailable
from .namespaces import GRAPH_CLOSURE, GRAPH_INFERRED, PREFIXES

#: Lines of N-Triples per bulk-loader call: Oxigraph's loader holds a call's quads in memory while it sorts.
BULK_CHUNK_LINES = 200_000
#: The same in bytes, for reading a file in chunks of whole lines (about 200,000 lines of N-Triples).
BULK_CHUNK_BYTES = 24 * 1024 * 1024


def _split_blank_lines(chunk: bytes) -> tuple[bytes, bytes]:
    """The lines of a chunk without a blank node, and those with one (``_:`` may sit in a literal: no harm).

    It goes from one ``_:`` to the next rather than line by line: the lines between two are kept as one run
    (the bulk child writes a chunk's lines with a blank node last, so a chunk has one or two runs).
    """
    at = chunk.find(b"_:")
    if at < 0:
        return chunk, b""
    plain: list[bytes] = []
    blank: list[bytes] = []
    start = 0  # where the current run of plain lines starts
    while at >= 0:
        line = max(start, chunk.rfind(b"\n", start, at) + 1)
        end = chunk.find(b"\n", at) + 1 or len(chunk)
        plain.append(chunk[start:line])
        blank.append(chunk[line:end])
        start = end
        at = chunk.find(b"_:", start)
    plain.append(chunk[start:])
    return b"".join(plain), b"".join(blank)


def _into_graph(lines: bytes, graph: NamedNode) -> bytes:
    """N-Triples lines as N-Quads lines of ``graph``."""
    name = b" " + str(graph).encode() + b" .\n"
    return b"".join(line.rstrip()[:-1].rstrip() + name for line in lines.splitlines() if line.strip())


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
        if dataset.default is not None or dataset.named is not None:
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
        found = self.store.quads_for_pattern(subject, predicate, object, graph)
        return found if graph is not None else (q for q in found if q.graph_name != GRAPH_CLOSURE)

    def named_graphs(self) -> list[NamedNode | BlankNode]:
        return list(self.store.named_graphs())

    def contains_named_graph(self, graph: NamedNode | BlankNode) -> bool:
        return self.store.contains_named_graph(graph)

    def count(self) -> int:
        return len(self.store) - self._size(GRAPH_CLOSURE)

    def _size(self, graph: NamedNode) -> int:
        result = self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        assert isinstance(result, QuerySolutions)
        return int(next(iter(result))["n"].value)

    def is_empty(self) -> bool:
        return next(iter(self.store), None) is None

    def add(self, quads: Iterable[Quad]) -> None:
        self.store.extend(quads)

    def remove(self, quads: Iterable[Quad]) -> None:
        for quad in quads:
            self.store.remove(quad)

    def bulk_load(self, input: IO[bytes], format: RdfFormat, *, to_graph: GraphName | None, base_iri: str) -> None:
        """N-Triples or N-Quads lines whose blank nodes are named already (the bulk path's canonical lines)
        through Oxigraph's bulk loader, in chunks (memory stays flat); lines with a blank node, which the
        loader would name afresh, are parsed here and added as they are."""
        if format not in (RdfFormat.N_TRIPLES, RdfFormat.N_QUADS):
            raise ValueError(f"the bulk loader takes N-Triples or N-Quads lines, not {format.name}")
        self._load_lines(input, format, (to_graph if to_graph is not None else DefaultGraph(),), base_iri)

    def _load_lines(
        self, input: IO[bytes], format: RdfFormat, graphs: Sequence[GraphName], base_iri: str | None = None
    ) -> None:
        """Lines into each of ``graphs`` (N-Quads lines name their own): chunks of lines without a blank node
        to the bulk loader, the others parsed and added with their blank nodes as named."""
        for chunk in _line_chunks(input, BULK_CHUNK_BYTES):
            plain, blank = _split_blank_lines(chunk)
            for graph in graphs:
                into = graph if isinstance(graph, NamedNode) and format == RdfFormat.N_TRIPLES else None
                if plain:
                    self.store.bulk_load(plain, format, base_iri=base_iri, to_graph=into, lenient=True)
                if blank:
                    lines, kind = (_into_graph(blank, into), RdfFormat.N_QUADS) if into is not None else (blank, format)
                    self.store.bulk_extend(parse(lines, kind, base_iri=base_iri))

    def writer(self) -> AbstractContextManager[object]:
        return self._writer

    def match(self, triples: Sequence[tuple[Term, Term, Term]]) -> list[Quad]:
        found: list[Quad] = []
        for s, p, o in triples:
            if isinstance(s, NamedNode | BlankNode | Triple) and isinstance(p, NamedNode):
                found += (q for q in self.store.quads_for_pattern(s, p, o, None) if q.graph_name != GRAPH_CLOSURE)
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
        """The reasoner's output (written from the store's own terms: no IRI validation) into each graph."""
        self._load_lines(data, RdfFormat.N_TRIPLES, graphs)

    def clear_inferred(self) -> int:
        kept = list(self.store.quads_for_pattern(GRAPH_INFERRED, None, None, GRAPH_INFERRED))
        count = self.drop_graph(GRAPH_INFERRED)
        self.store.extend(kept)
        return count - len(kept)

    def drop_graph(self, graph: NamedNode) -> int:
        """In one transaction when the graph is small, else in transactions of ``BULK_CHUNK_LINES`` quads
        (Oxigraph holds a transaction's changes in memory); returns how many quads went."""
        size = self._size(graph)
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
        if from_graph is not None:
            self.store.dump(output, format=format, from_graph=from_graph, prefixes=prefixes)
        else:  # the dataset: every graph but the closure graph, which repeats them
            serialize(self.quads(None, None, None, None), output, format=format, prefixes=prefixes)

    def storable(self, quads: Iterable[Quad]) -> list[Quad]:
        return list(quads)

    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self.store.flush()

    def compact(self) -> None:
        if self.path is not None and not self.read_only:
            self.store.optimize()

    def close(self) -> None:
        self.flush()
