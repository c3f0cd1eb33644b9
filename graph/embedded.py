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
)

from .backend import Dataset, GraphName, QueryResult, Term, has_blank_node, write_operations
from .errors import Unavailable
from .namespaces import GRAPH_INFERRED, PREFIXES

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
