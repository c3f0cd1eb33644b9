"""Dumping the store: the whole dataset (TriG, N-Quads) or one graph (any RDF format)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, serialize

from .errors import BadRequest
from .namespaces import PREFIXES
from .store import GRAPH_RESULTS, KnowledgeGraph

if TYPE_CHECKING:
    from .querying.work import Output

#: The union of all graphs as triples, each once (CONSTRUCT over the default union graph).
UNION = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


def export(
    kg: KnowledgeGraph,
    output: IO[bytes],
    *,
    format: RdfFormat = RdfFormat.N_QUADS,
    graph: NamedNode | DefaultGraph | None = None,
) -> None:
    """Write the dataset (or one graph, which a triple-only format requires) to ``output``."""
    if graph is None and not format.supports_datasets:
        raise BadRequest(f"{format.name} holds one graph: name the graph to export, or use TriG or N-Quads")
    prefixes = PREFIXES if format in (RdfFormat.TURTLE, RdfFormat.TRIG) else None
    kg.dump(output, format, from_graph=graph, prefixes=prefixes)


def dump_dataset(kg: KnowledgeGraph, output: Output) -> None:
    """Every quad of the dataset as N-Quads, named graphs included (the service's ``/dump.nq``)."""
    output.start(RdfFormat.N_QUADS.media_type)
    kg.dump(output, RdfFormat.N_QUADS)  # type: ignore[arg-type]


def dump_union(kg: KnowledgeGraph, output: Output) -> None:
    """The default union graph (asserted and inferred triples, each once) as Turtle in full IRIs (``/dump.ttl``)."""
    output.start(RdfFormat.TURTLE.media_type)
    result = kg.query(UNION)
    assert isinstance(result, GRAPH_RESULTS)
    serialize(result, output, format=RdfFormat.TURTLE)  # type: ignore[arg-type]
