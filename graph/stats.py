"""Figures about what a store holds: triples per graph, classes, instances, properties."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import DefaultGraph, QuerySolutions

from .store import KnowledgeGraph

_PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
_TOTALS = """
SELECT (COUNT(DISTINCT ?class) AS ?classes) (COUNT(DISTINCT ?instance) AS ?instances)
       (COUNT(DISTINCT ?property) AS ?properties)
WHERE {
  { ?instance a ?class } UNION { ?s ?property ?o }
}
"""


@dataclass(frozen=True)
class Stats:
    """How big a store is, per named graph and overall."""

    quads: int
    graphs: dict[str, int] = field(default_factory=dict)
    classes: int = 0
    instances: int = 0
    properties: int = 0


def _int(term: object) -> int:
    return int(getattr(term, "value", 0))


def compute(kg: KnowledgeGraph) -> Stats:
    """Count quads, triples per named graph, and distinct classes, instances and properties."""
    per_graph = kg.query(_PER_GRAPH)
    assert isinstance(per_graph, QuerySolutions)
    graphs = {row["g"].value: _int(row["n"]) for row in per_graph}
    default = sum(1 for _ in kg.quads(None, None, None, DefaultGraph()))
    if default:
        graphs["(default graph)"] = default
    totals = kg.query(_TOTALS)
    assert isinstance(totals, QuerySolutions)
    row = next(iter(totals))
    return Stats(
        quads=len(kg),
        graphs=graphs,
        classes=_int(row["classes"]),
        instances=_int(row["instances"]),
        properties=_int(row["properties"]),
    )
