"""Graph Store operations on whole graphs: read, replace, merge into, drop — each write one transaction.

This is the SPARQL 1.1 Graph Store HTTP Protocol without the HTTP. "The default graph" here is the store's
own default graph (where triples without a graph go), not the union that queries see by default. The
inferred graph belongs to the reasoner and cannot be written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Triple, serialize

from .errors import BadData, NotFound, ReadOnly
from .loading import parse_quads
from .namespaces import GRAPH_INFERRED
from .store import KnowledgeGraph

if TYPE_CHECKING:
    from .querying.work import Output

GraphName = NamedNode | DefaultGraph


def graph_name(iri: str | None) -> GraphName:
    """The graph called ``iri``, or the default graph for None; a malformed IRI is :class:`BadData`."""
    if iri is None:
        return DefaultGraph()
    try:
        return NamedNode(iri)
    except ValueError as error:
        raise BadData(f"not an absolute IRI: {iri!r}") from error


class GraphStore:
    """Whole-graph reads and atomic whole-graph writes over a knowledge graph."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg

    def exists(self, graph: GraphName) -> bool:
        """The default graph always exists; a named graph exists while it holds a triple (or was created)."""
        return isinstance(graph, DefaultGraph) or self.kg.contains_named_graph(graph)

    def triples(self, graph: GraphName) -> Iterator[Triple]:
        """The triples of ``graph``; :class:`NotFound` when it does not exist."""
        if not self.exists(graph):
            raise NotFound(f"no graph {graph}")
        for quad in self.kg.quads(None, None, None, graph):
            yield quad.triple

    def parse(
        self, body: IO[bytes] | bytes, format: RdfFormat, graph: GraphName, *, base_iri: str | None = None
    ) -> list[Quad]:
        """Parse a request body completely into quads of ``graph``; bad RDF is :class:`BadData`."""
        quads = list(parse_quads(body, format, graph=graph, base_iri=base_iri, name="request body"))
        for quad in quads:
            if quad.graph_name != graph:
                raise BadData(f"the body puts triples in {quad.graph_name}; send triples for one graph only")
        return quads

    def replace(self, graph: GraphName, quads: Iterable[Quad]) -> bool:
        """Make ``graph`` hold exactly ``quads``, atomically; True when the graph did not exist before."""
        self._check_writable(graph)
        created = not self.exists(graph)
        quads = list(quads)
        self.kg.replace_graphs({graph: quads})
        return created

    def merge(self, graph: GraphName, quads: Iterable[Quad]) -> bool:
        """Add ``quads`` to ``graph`` in one transaction; True when the graph did not exist before."""
        self._check_writable(graph)
        created = not self.exists(graph)
        self.kg.add_quads(quads)
        return created

    def drop(self, graph: GraphName) -> None:
        """Remove ``graph`` (empty the default graph); :class:`NotFound` when a named graph does not exist."""
        self._check_writable(graph)
        if not self.exists(graph):
            raise NotFound(f"no graph {graph}")
        self.kg.update("DROP DEFAULT" if isinstance(graph, DefaultGraph) else f"DROP GRAPH {graph}")

    def _check_writable(self, graph: GraphName) -> None:
        if graph == GRAPH_INFERRED:
            raise ReadOnly(f"{GRAPH_INFERRED.value} holds the reasoner's entailments; write the asserted graphs")


def read(kg: KnowledgeGraph, output: Output, iri: str | None, media_type: str) -> None:
    """Write the graph called ``iri`` (None: the default graph) in ``media_type``: a Graph Store GET."""
    store = GraphStore(kg)
    graph = graph_name(iri)
    if not store.exists(graph):
        raise NotFound(f"no graph {graph}")
    rdf_format = RdfFormat.from_media_type(media_type)
    if rdf_format is None:
        raise BadData(f"not an RDF format: {media_type}")
    output.start(rdf_format.media_type)
    serialize(store.triples(graph), output, format=rdf_format)  # type: ignore[arg-type]
