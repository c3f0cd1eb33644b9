"""SHACL validation of the knowledge graph against ``ontology/shapes.ttl`` (with pyshacl)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import rdflib
from pyoxigraph import NamedNode, RdfFormat
from pyshacl import validate as shacl_validate

from .loading import ONTOLOGY_DIR
from .namespaces import SHIPPED_GRAPHS
from .store import KnowledgeGraph


@dataclass(frozen=True)
class Violation:
    """One failed shape constraint: the focus node, the path, the message and the severity."""

    focus: str
    path: str | None
    message: str
    severity: str


@dataclass(frozen=True)
class Report:
    conforms: bool
    violations: list[Violation]
    text: str


def _graph_of(kg: KnowledgeGraph, *graphs: NamedNode) -> rdflib.Graph:
    result = rdflib.Graph()
    for graph in graphs:
        data = io.BytesIO()
        kg.dump(data, RdfFormat.N_TRIPLES, from_graph=graph)
        result.parse(data=data.getvalue(), format="nt")
    return result


def validate(kg: KnowledgeGraph, shapes: Path = ONTOLOGY_DIR / "shapes.ttl") -> Report:
    """Validate the shipped graphs (ontology, data, links, Epoch AI's and the derived) against the shapes,
    with RDFS entailment."""
    data = _graph_of(kg, *SHIPPED_GRAPHS)
    shapes_graph = rdflib.Graph().parse(shapes, format="turtle")
    conforms, results, text = shacl_validate(data, shacl_graph=shapes_graph, inference="rdfs", allow_warnings=True)
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    violations = [
        Violation(
            focus=str(results.value(r, sh.focusNode)),
            path=str(p) if (p := results.value(r, sh.resultPath)) is not None else None,
            message=str(results.value(r, sh.resultMessage)),
            severity=str(results.value(r, sh.resultSeverity)).rsplit("#", 1)[-1],
        )
        for r in results.subjects(rdflib.RDF.type, sh.ValidationResult)
    ]
    return Report(conforms=bool(conforms), violations=violations, text=str(text))
