"""SHACL validation (``graph/validation.py``): the shapes' SPARQL-based constraints, each query parsed once and
bound to every focus node in turn."""

from __future__ import annotations

from pyoxigraph import RdfFormat

from graph import KnowledgeGraph
from graph.loading import parse_quads
from graph.namespaces import GAI, GRAPH_ONTOLOGY
from graph.validation import validate

TERMS = f"""
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{GAI}Described> a owl:Class ; rdfs:label "described"@en ; rdfs:comment "A class with its words."@en ;
    rdfs:isDefinedBy <https://w3id.org/genai-kg/ontology> .
<{GAI}Bare> a owl:Class .
<{GAI}Labelled> a owl:Class ; rdfs:label "labelled"@en .
"""


def test_sparql_constraints_are_checked_for_each_focus_node() -> None:
    kg = KnowledgeGraph.open()
    kg.add_quads(parse_quads(TERMS.encode(), RdfFormat.TURTLE, graph=GRAPH_ONTOLOGY))
    report = validate(kg)
    assert not report.conforms
    found = {(v.focus.removeprefix(GAI), v.message) for v in report.violations}
    assert ("Bare", "Ontology term has no English rdfs:label") in found
    assert ("Labelled", "Ontology term has no English rdfs:label") not in found
    assert ("Labelled", "Ontology term has no definition (rdfs:comment or skos:definition)") in found
    assert {focus for focus, _ in found} >= {"Bare", "Labelled"}
    assert "Described" not in {focus for focus, _ in found}
