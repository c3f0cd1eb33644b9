"""Dumping the store: the whole dataset (TriG, N-Quads) or one graph (any RDF format)."""

from __future__ import annotations

from typing import IO

from pyoxigraph import DefaultGraph, NamedNode, RdfFormat

from .errors import BadRequest
from .namespaces import PREFIXES
from .store import KnowledgeGraph


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
