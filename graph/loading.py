"""Loading RDF into the store: the shipped knowledge graph and any file a user brings.

Loading is all-or-nothing: a file is parsed completely before anything is written, so a syntax error is
reported with its line and column and leaves the store as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, RdfFormat, parse

from .errors import BadData, TooLarge
from .namespaces import GENID, GRAPH_DATA, GRAPH_DERIVED, GRAPH_EPOCH, GRAPH_LINKS, GRAPH_ONTOLOGY
from .store import KnowledgeGraph

#: Where the shipped knowledge lives: the ``ontology/`` folder beside the packages.
ONTOLOGY_DIR = Path(__file__).resolve().parent.parent / "ontology"

Progress = Callable[[int], None]

#: Files this large or larger always take the bulk path (see :func:`load_file`): they hold more quads than
#: a write reasons over in the store (about 60,000 N-Triples lines; Turtle holds more in as many bytes).
BULK_LOAD_BYTES = 8 * 1024 * 1024
#: Files smaller than this never do.
SMALL_FILE_BYTES = 1024 * 1024
#: Between the two, a file takes the bulk path when it has at least this many bytes per quad the store
#: holds, about one quad for every fifty of the store's.
BULK_BYTES_PER_STORED_QUAD = 2


@dataclass(frozen=True)
class Source:
    """A file of the shipped knowledge graph and the named graph it goes to."""

    path: Path
    graph: NamedNode


def shipped_sources(root: Path = ONTOLOGY_DIR) -> list[Source]:
    """The shipped files: the schema, the instance data, the alignment links, the Epoch AI import and what
    rules derive from it (not the SHACL shapes)."""
    sources = [Source(root / "genai.ttl", GRAPH_ONTOLOGY)]
    for folder, graph in (
        ("data", GRAPH_DATA),
        ("links", GRAPH_LINKS),
        ("epoch", GRAPH_EPOCH),
        ("derived", GRAPH_DERIVED),
    ):
        sources += [Source(p, graph) for p in sorted((root / folder).glob("*.ttl"))]
    return sources


def rdf_format(path: Path, given: str | None = None) -> RdfFormat:
    """The RDF format named by ``given`` (a media type or extension) or else by the file's extension."""
    name = given or path.suffix.lstrip(".")
    found = RdfFormat.from_media_type(name) if "/" in name else RdfFormat.from_extension(name)
    if found is None:
        raise BadData(f"unknown RDF format {name!r} for {path.name}")
    return found


class _CountingReader:
    """A binary file wrapper that reports how many bytes were read (for progress bars)."""

    def __init__(self, file: IO[bytes], progress: Progress) -> None:
        self._file = file
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._progress(len(chunk))
        return chunk


def parse_quads(
    source: IO[bytes] | bytes | str,
    format: RdfFormat,
    *,
    graph: NamedNode | DefaultGraph | None = None,
    base_iri: str | None = None,
    name: str = "input",
) -> Iterator[Quad]:
    """Parse RDF lazily, triples into ``graph``; a syntax error becomes :class:`BadData` with line and column."""
    try:
        for quad in parse(input=source, format=format, base_iri=base_iri):
            if graph is not None and isinstance(quad.graph_name, DefaultGraph):
                quad = Quad(quad.subject, quad.predicate, quad.object, graph)
            yield quad
    except SyntaxError as error:
        raise BadData(f"{name}: {error.msg}", line=error.lineno, column=error.offset) from error
    except ValueError as error:
        raise BadData(f"{name}: {error}") from error
    except MemoryError as error:  # pyoxigraph's parsers stop at a token (a literal, an IRI) of over 16 MiB
        raise TooLarge(f"{name}: {error}") from error


def read_file(
    path: Path,
    *,
    graph: NamedNode | DefaultGraph | None = None,
    format: str | None = None,
    progress: Progress | None = None,
) -> list[Quad]:
    """Parse a whole file into quads (nothing is written), reporting bytes read to ``progress``."""
    fmt = rdf_format(path, format)
    if not path.is_file():
        raise BadData(f"no such file: {path}")
    with path.open("rb") as file:
        stream: IO[bytes] = _CountingReader(file, progress) if progress else file  # type: ignore[assignment]
        return list(parse_quads(stream, fmt, graph=graph, base_iri=path.resolve().as_uri(), name=path.name))


def load_file(
    kg: KnowledgeGraph,
    path: Path,
    *,
    graph: NamedNode | DefaultGraph | None = None,
    format: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Add the quads of one file to the store, all or nothing; returns how many quads it added.

    A file that is small next to the store is parsed into memory and added in one write, which reasons over
    exactly its quads. A large one (see :func:`takes_bulk_path`) goes through
    :meth:`~graph.store.KnowledgeGraph.bulk_load`: parsed by the bulk reasoner's child and loaded by
    Oxigraph's bulk loader in chunks while the child reasons over it and the store's other triples, with
    flat memory in this process (``progress`` hears of the whole file once the child has read it).
    """
    fmt = rdf_format(path, format)
    if not path.is_file():
        raise BadData(f"no such file: {path}")
    size = path.stat().st_size
    if not takes_bulk_path(kg, size):
        quads = read_file(path, graph=graph, format=format, progress=progress)
        return kg.add_quads(quads).added
    read = (lambda: progress(size)) if progress else (lambda: None)
    try:
        report = kg.bulk_load(path, fmt, to_graph=graph, base_iri=path.resolve().as_uri(), read=read)
    except BadData as error:
        raise BadData(f"{path.name}: {error}", line=error.line, column=error.column) from error
    return report.added


def takes_bulk_path(kg: KnowledgeGraph, size: int) -> bool:
    """Whether a file of ``size`` bytes is loaded through the bulk path.

    A write reasons over its own quads in the store, at about half a millisecond a quad; the bulk path reasons
    over the whole store again in a child, at about ten microseconds a quad it holds. Measured on the
    catalogue (2026-12-06): 11,500 quads (1.6 MB) into the shipped graph, 3.7 s written and 0.7 s in bulk;
    229,330 (33 MB), 14.0 and 6.5 s; 34,290 (5 MB) into a store of 4.2M quads, 22.8 and 46.6 s. So a file
    takes the bulk path when it is large next to the store, and always from ``BULK_LOAD_BYTES`` (a write
    of more than ``kg.bulk.reasoning_quads`` quads would recompute in bulk anyway, after writing them one
    by one).
    """
    if size >= BULK_LOAD_BYTES:
        return True
    return size >= SMALL_FILE_BYTES and size >= BULK_BYTES_PER_STORED_QUAD * len(kg)


def load_shipped(kg: KnowledgeGraph, root: Path = ONTOLOGY_DIR) -> dict[str, int]:
    """Load the shipped knowledge graph, replacing its named graphs whole (so reloading is a no-op).

    Every file is parsed before any graph is touched, and all graphs change in one transaction.
    """
    by_graph: dict[NamedNode | DefaultGraph, list[Quad]] = {}
    for source in shipped_sources(root):
        quads = read_file(source.path, graph=source.graph)
        if kg.backend.shared:  # the same Skolem IRIs in every process: two starting at once write the same
            quads = stable_skolem(quads, hashlib.sha256(source.path.read_bytes()).hexdigest()[:16])
        by_graph.setdefault(source.graph, []).extend(quads)
    return kg.replace_graphs(by_graph)


def stable_skolem(quads: list[Quad], digest: str) -> list[Quad]:
    """The quads with each blank node named ``GENID + digest-n``, n counting blank nodes in order of appearance."""
    names: dict[BlankNode, NamedNode] = {}

    def named(term: Any) -> Any:
        if not isinstance(term, BlankNode):
            return term
        return names.setdefault(term, NamedNode(f"{GENID}{digest}-{len(names)}"))

    return [Quad(named(q.subject), q.predicate, named(q.object), q.graph_name) for q in quads]
