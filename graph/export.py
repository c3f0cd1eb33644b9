"""Dumping the store: the whole dataset (TriG, N-Quads) or one graph (any RDF format)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from pyoxigraph import DefaultGraph, NamedNode, RdfFormat

from .errors import BadRequest
from .namespaces import GRAPH_CLOSURE, PREFIXES
from .store import KnowledgeGraph

if TYPE_CHECKING:
    from .querying.work import Output


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
    """The default graph (asserted and inferred triples, each once: the closure graph) as Turtle in full IRIs
    (``/dump.ttl``)."""
    output.start(RdfFormat.TURTLE.media_type)
    kg.dump(output, RdfFormat.TURTLE, from_graph=GRAPH_CLOSURE)  # type: ignore[arg-type]
