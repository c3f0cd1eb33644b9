"""Figures about what a store holds: triples per graph, classes, resources, properties.

Classes, resources and properties are counted as the VoID description counts them (:mod:`graph.void`), so that
``genai-kg stats``, the home page and ``/.well-known/void`` give the same numbers: *classes in use* are the
IRI classes with at least one member, *resources* the distinct subjects of the union of every graph,
*properties* the distinct predicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import DefaultGraph, QuerySolutions

from .store import KnowledgeGraph
from .void import TOTALS, class_members

_PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


@dataclass(frozen=True)
class Stats:
    """How big a store is, per named graph and overall."""

    quads: int
    graphs: dict[str, int] = field(default_factory=dict)
    #: IRI classes with at least one member (VoID's class partitions).
    classes: int = 0
    #: Distinct subjects (VoID's ``void:distinctSubjects``).
    resources: int = 0
    #: Distinct predicates (VoID's ``void:properties``).
    properties: int = 0


def _int(term: object) -> int:
    return int(getattr(term, "value", 0))


def compute(kg: KnowledgeGraph) -> Stats:
    """Count quads, triples per named graph, classes in use, resources and properties (as VoID counts them)."""
    per_graph = kg.query(_PER_GRAPH)
    assert isinstance(per_graph, QuerySolutions)
    graphs = {row["g"].value: _int(row["n"]) for row in per_graph}
    default = sum(1 for _ in kg.quads(None, None, None, DefaultGraph()))
    if default:
        graphs["(default graph)"] = default
    totals = kg.query(TOTALS)
    assert isinstance(totals, QuerySolutions)
    row = next(iter(totals))
    return Stats(
        quads=len(kg),
        graphs=graphs,
        classes=len(class_members(kg)),
        resources=_int(row["subjects"]),
        properties=_int(row["properties"]),
    )
