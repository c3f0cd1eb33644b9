"""Browsing views computed from the graph: class counts for the home page, the modality-by-architecture matrix,
and search by name.

Modalities and architectures reach SPARQL only as bound terms, after they are checked to be declared ones.
Search compares names as the reconciliation does (:mod:`graph.matching`), so "dalle" finds DALL·E.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pyoxigraph import NamedNode, QuerySolutions

from .describe import OWL, TYPE, label
from .errors import BadParameter
from .matching import search as search_names
from .namespaces import GAI, GRAPH_ONTOLOGY
from .store import KnowledgeGraph

#: Which modality property a matrix reads: what models produce, take in, or either.
DIRECTIONS = {"output": GAI + "outputModality", "input": GAI + "inputModality", "any": GAI + "modality"}
SUBJECTS = NamedNode(GAI + "GenerativeAI")
OWL_CLASS = NamedNode(OWL + "Class")

MEMBERS = "SELECT ?type ?x WHERE { ?x a ?type FILTER(isIRI(?x)) } ORDER BY ?x"
CELLS = """
SELECT ?type ?by ?modality ?architecture (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m a ?type ; ?by ?modality .
  OPTIONAL { ?m gai:architecture ?a }
  BIND(COALESCE(?a, gai:none) AS ?architecture)
} GROUP BY ?type ?by ?modality ?architecture
"""
MODELS = """
SELECT DISTINCT ?type ?by ?modality ?architecture ?m WHERE {
  ?m a ?type ; ?by ?modality .
  OPTIONAL { ?m gai:architecture ?a }
  FILTER(COALESCE(?a, gai:none) = ?architecture)
} ORDER BY ?m
"""
#: Every name of every resource but the evidence records (passages quoted from sources).
NAMES = """
SELECT ?x ?name WHERE {
  ?x rdfs:label|skos:altLabel|skos:prefLabel ?name
  FILTER(isIRI(?x) && isLiteral(?name))
  FILTER NOT EXISTS { ?x a gai:Evidence }
}
"""
#: Stands for "no architecture recorded" in the matrix (never stored).
NONE = NamedNode(GAI + "none")


@dataclass
class Matrix:
    """Counts of generative AI systems per modality (rows) and architecture (columns)."""

    direction: str
    modalities: list[tuple[NamedNode, str]]
    architectures: list[tuple[NamedNode, str]]
    counts: dict[tuple[str, str], int]


def class_counts(kg: KnowledgeGraph, members: Mapping[str, int]) -> list[tuple[NamedNode, str, int]]:
    """Every ``gai:`` class the ontology declares, with its label and its number of ``members`` (by class IRI)."""
    quads = kg.quads(None, TYPE, OWL_CLASS, GRAPH_ONTOLOGY)
    classes = {q.subject for q in quads if isinstance(q.subject, NamedNode) and q.subject.value.startswith(GAI)}
    counted = [(c, label(kg, c), members.get(c.value, 0)) for c in classes]
    return sorted(counted, key=lambda row: (-row[2], row[1].lower()))


def members(kg: KnowledgeGraph, type_iri: str) -> list[tuple[NamedNode, str]]:
    """The named members of a class, with their labels, sorted by label."""
    result = kg.query(MEMBERS, substitutions={"type": NamedNode(type_iri)})
    assert isinstance(result, QuerySolutions)
    found = [(row["x"], label(kg, row["x"])) for row in result if isinstance(row["x"], NamedNode)]
    return sorted(found, key=lambda pair: pair[1].lower())


def _direction(direction: str) -> NamedNode:
    if direction not in DIRECTIONS:
        raise BadParameter("by", f"must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    return NamedNode(DIRECTIONS[direction])


def matrix(kg: KnowledgeGraph, direction: str = "output") -> Matrix:
    """How many generative AI systems produce (or take in) each modality with each architecture."""
    by = _direction(direction)
    result = kg.query(CELLS, substitutions={"type": SUBJECTS, "by": by})
    assert isinstance(result, QuerySolutions)
    counts = {}
    for row in result:
        if isinstance(row["modality"], NamedNode) and isinstance(row["architecture"], NamedNode):
            counts[(row["modality"].value, row["architecture"].value)] = int(row["n"].value)
    modalities = members(kg, GAI + "Modality")
    architectures = [*members(kg, GAI + "Architecture"), (NONE, "not recorded")]
    return Matrix(direction, modalities, architectures, counts)


def models_in(
    kg: KnowledgeGraph, modality: str, architecture: str, direction: str = "output"
) -> list[tuple[NamedNode, str]]:
    """The generative AI systems of one matrix cell; unknown modalities or architectures are refused."""
    by = _direction(direction)
    if modality not in {m.value for m, _ in members(kg, GAI + "Modality")}:
        raise BadParameter("modality", f"unknown modality {modality!r}")
    if architecture != NONE.value and architecture not in {a.value for a, _ in members(kg, GAI + "Architecture")}:
        raise BadParameter("architecture", f"unknown architecture {architecture!r}")
    substitutions = {
        "type": SUBJECTS,
        "by": by,
        "modality": NamedNode(modality),
        "architecture": NamedNode(architecture),
    }
    result = kg.query(MODELS, substitutions=substitutions)
    assert isinstance(result, QuerySolutions)
    found = [(row["m"], label(kg, row["m"])) for row in result if isinstance(row["m"], NamedNode)]
    return sorted(found, key=lambda pair: pair[1].lower())


def search(kg: KnowledgeGraph, text: str, *, limit: int = 100) -> list[tuple[NamedNode, str]]:
    """Resources whose label or alternative label contains ``text``, ignoring case, accents and punctuation;
    exact names first, then names that start with it, then the shortest."""
    result = kg.query(NAMES)
    assert isinstance(result, QuerySolutions)
    found = search_names(((row["x"].value, row["name"].value) for row in result), text, limit=limit)
    return [(NamedNode(iri), label(kg, NamedNode(iri))) for iri in found]
