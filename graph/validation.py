"""SHACL validation of the knowledge graph against ``ontology/shapes.ttl`` (with pyshacl)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode

from .loading import ONTOLOGY_DIR
from .namespaces import SHIPPED_GRAPHS
from .store import KnowledgeGraph, Term

if TYPE_CHECKING:  # pyshacl and rdflib's SPARQL are imported when a validation runs (0.3 s of every start)
    from rdflib.plugins.sparql.sparql import Query

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


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
    #: Triples left out because rdflib cannot hold them (RDF 1.2 triple terms): SHACL does not see them.
    skipped: int = 0


def _rdflib_term(term: Term) -> rdflib.term.Node | None:
    """The rdflib term for a pyoxigraph term, None for a triple term (rdflib has none).

    Terms are converted one by one, never through a text dump that rdflib would have to parse again:
    rdflib's parsers refuse what pyoxigraph stores (triple terms, ``"x"@en--ltr``), and one such triple would
    break validation for everyone.
    """
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    return None


class _PreparedQueries(rdflib.Graph):
    """An rdflib graph that parses each SPARQL text once: pyshacl asks a SPARQL-based constraint's query once
    per focus node, as text, and rdflib's parser (pyparsing) took half of a validation of the shipped graph."""

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[tuple[str, tuple[tuple[str, Any], ...]], Query] = {}

    def query(
        self,
        query_object: str | Query,
        processor: Any = "sparql",
        result: Any = "sparql",
        initNs: Any = None,
        initBindings: Any = None,
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Any:
        if isinstance(query_object, str):
            key = (query_object, tuple(sorted((initNs or {}).items())))
            prepared = self._prepared.get(key)
            if prepared is None:
                from rdflib.plugins.sparql import prepareQuery

                prepared = self._prepared[key] = prepareQuery(query_object, initNs=dict(initNs or {}))
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def _graph_of(kg: KnowledgeGraph, *graphs: NamedNode) -> tuple[rdflib.Graph, int]:
    """The triples of ``graphs`` in one rdflib graph, and how many were left out (see :func:`_rdflib_term`)."""
    result, skipped = _PreparedQueries(), 0
    for graph in graphs:
        for quad in kg.quads(None, None, None, graph):
            subject, object = _rdflib_term(quad.subject), _rdflib_term(quad.object)
            if subject is None or object is None:
                skipped += 1
            else:
                result.add((subject, rdflib.URIRef(quad.predicate.value), object))
    return result, skipped


def validate(kg: KnowledgeGraph, shapes: Path = ONTOLOGY_DIR / "shapes.ttl") -> Report:
    """Validate the shipped graphs (ontology, data, links, Epoch AI's and the derived) against the shapes,
    with RDFS entailment."""
    from pyshacl import validate as shacl_validate

    data, skipped = _graph_of(kg, *SHIPPED_GRAPHS)
    shapes_graph = rdflib.Graph().parse(shapes, format="turtle")
    conforms, results, text = shacl_validate(
        data,
        shacl_graph=shapes_graph,
        inference="rdfs",
        allow_warnings=True,
        inplace=True,  # data is ours to extend
    )
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
    return Report(conforms=bool(conforms), violations=violations, text=str(text), skipped=skipped)
