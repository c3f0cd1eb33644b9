"""What reconciliation reads of the graph, once per store generation: the matcher over the entities (the one
matcher, :mod:`graph.matching`), every resource's name, the ontology's classes and properties, and a short
description of each entity. It is kept on the knowledge graph (``kg.extensions``) until a write changes the
generation, in each process that answers (:func:`index`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import Literal, NamedNode, QuerySolutions

from ..matching import Candidate, Matcher, candidates
from ..namespaces import GAI, GAID, GRAPH_ONTOLOGY, PREFIXES, expand
from ..store import KnowledgeGraph
from .identifiers import short

EVIDENCE, CLAIM = GAI + "Evidence", GAI + "Claim"

CLASSES = """
SELECT ?c ?label ?definition ?super ?ns WHERE {
  ?c a owl:Class FILTER(isIRI(?c) && STRSTARTS(STR(?c), STR(?ns)))
  OPTIONAL { ?c rdfs:label ?label }
  OPTIONAL { ?c skos:definition ?definition }
  OPTIONAL { ?c rdfs:subClassOf ?super FILTER(isIRI(?super) && STRSTARTS(STR(?super), STR(?ns))) }
}
"""
PROPERTIES = """
SELECT ?p ?label ?definition ?range ?ns WHERE {
  VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty }
  ?p a ?kind FILTER(isIRI(?p) && STRSTARTS(STR(?p), STR(?ns)))
  OPTIONAL { ?p rdfs:label ?label }
  OPTIONAL { ?p skos:definition ?definition }
  OPTIONAL { ?p rdfs:range ?range FILTER(isIRI(?range)) }
}
"""
FACTS = "SELECT ?x ?org ?date WHERE { { ?x gai:developedBy ?org } UNION { ?x gai:releaseDate ?date } }"
#: Properties outside the ontology that data extension offers too.
EXTRA_PROPERTIES = {
    PREFIXES["skos"] + "altLabel": ("alternative name", "Another name of the entity."),
    PREFIXES["skos"] + "exactMatch": ("same as", "The same entity in another knowledge base (Wikidata, DBpedia…)."),
    PREFIXES["skos"] + "closeMatch": ("close to", "A close entity in another knowledge base."),
}


def _prefixed(sparql: str) -> str:
    names = ("rdfs", "skos", "owl")
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in names) + f"PREFIX gai: <{GAI}>\n" + sparql


def select(kg: KnowledgeGraph, sparql: str, **bound: NamedNode) -> QuerySolutions:
    """The solutions of ``sparql`` (with the prefixes ``rdfs``, ``skos``, ``owl`` and ``gai``), values bound."""
    result = kg.query(_prefixed(sparql), substitutions=bound or None)
    assert isinstance(result, QuerySolutions)
    return result


@dataclass(frozen=True)
class Term:
    """A class or property of the ontology: its name, its definition, its broader classes or its range."""

    iri: str
    name: str
    description: str = ""
    broader: tuple[str, ...] = ()
    range: str | None = None

    def entry(self) -> dict[str, str]:
        """The term as the API lists a type or a property: its id, its name and its description if any."""
        entry = {"id": short(self.iri), "name": self.name}
        if self.description:
            entry["description"] = self.description
        return entry


@dataclass
class Index:
    """What reconciliation reads of one generation of the store: the matcher over the entities, every
    resource's name, the ontology's classes and properties, and a short description of each entity."""

    matcher: Matcher
    names: dict[str, str]
    aliases: dict[str, tuple[str, ...]]
    classes: dict[str, Term]
    properties: dict[str, Term]
    descriptions: dict[str, str] = field(default_factory=dict)
    entities: dict[str, Candidate] = field(default_factory=dict)

    def name(self, iri: str) -> str:
        return self.names.get(iri) or short(iri, GAID if iri.startswith(GAID) else GAI)

    def type_entry(self, iri: str) -> dict[str, str]:
        """A class as the API names a type: its id and its name."""
        term = self.classes.get(iri)
        return {"id": short(iri), "name": term.name if term else short(iri)}

    def by_id(self, text: str) -> Candidate | None:
        """The entity a query names by its IRI or prefixed name, as the API expects a service to recognise."""
        if "://" not in text and not text.startswith("gaid:"):
            return None
        return self.entities.get(expand(text.strip()))

    def specific_types(self, candidate: Candidate) -> list[str]:
        """The candidate's classes of the ontology that no other of its classes is a subclass of."""
        mine = [t for t in candidate.types if t in self.classes]
        broader = {b for t in mine for b in self.ancestors(t) if b != t}
        return sorted((t for t in mine if t not in broader), key=lambda t: self.classes[t].name.lower())

    def ancestors(self, iri: str) -> set[str]:
        seen, todo = set(), [iri]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.classes[current].broader if current in self.classes else ())
        return seen


KEY = "reconciliation"


def index(kg: KnowledgeGraph) -> Index:
    """The index of the store's current generation, built at most once per generation (per process)."""
    return kg.cached(KEY, _build)


def _terms(kg: KnowledgeGraph, sparql: str, related: str) -> dict[str, Term]:
    """The ontology's classes (``related``: ``super``) or properties (``related``: ``range``), by IRI."""
    found: dict[str, dict[str, Any]] = {}
    graphs = [GRAPH_ONTOLOGY.value]
    result = kg.query(_prefixed(sparql), substitutions={"ns": NamedNode(GAI)}, default_graph_uris=graphs)
    assert isinstance(result, QuerySolutions)
    for row in result:
        iri, name, definition, other = row[0].value, row[1], row[2], row[3]
        entry = found.setdefault(iri, {"name": "", "description": "", "broader": set(), "range": None})
        if isinstance(name, Literal) and (not entry["name"] or name.language in (None, "en")):
            entry["name"] = name.value
        if isinstance(definition, Literal):
            entry["description"] = definition.value
        if other is not None and related == "super":
            entry["broader"].add(other.value)
        elif other is not None:
            entry["range"] = other.value
    return {
        iri: Term(iri, e["name"] or short(iri), e["description"], tuple(sorted(e["broader"])), e["range"])
        for iri, e in found.items()
    }


def _build(kg: KnowledgeGraph) -> Index:
    every = candidates(kg, closed=True)  # a served store's closure is materialised
    names = {c.iri: c.label for c in every}
    aliases = {c.iri: c.labels for c in every}
    entities = [c for c in every if c.iri.startswith(GAID) and EVIDENCE not in c.types and CLAIM not in c.types]
    classes = _terms(kg, CLASSES, "super")
    properties = _terms(kg, PROPERTIES, "range")
    for iri, (name, description) in EXTRA_PROPERTIES.items():
        properties[iri] = Term(iri, name, description)
    built = Index(Matcher(entities), names, aliases, classes, properties, entities={c.iri: c for c in entities})
    developers: dict[str, set[str]] = {}
    dates: dict[str, set[str]] = {}
    for row in select(kg, FACTS):
        if row["org"] is not None:
            developers.setdefault(row["x"].value, set()).add(built.name(row["org"].value))
        elif row["date"] is not None:
            dates.setdefault(row["x"].value, set()).add(row["date"].value)
    kinds_of: dict[frozenset[str], str] = {}  # candidates share their type sets (111 among 118,000)
    for entity in entities:
        kinds = kinds_of.get(entity.types)
        if kinds is None:
            kinds = kinds_of[entity.types] = ", ".join(built.classes[t].name for t in built.specific_types(entity)[:3])
        parts = [kinds]
        if entity.iri in developers:
            parts.append("by " + ", ".join(sorted(developers[entity.iri])[:3]))
        if entity.iri in dates:
            parts.append(min(dates[entity.iri]))
        built.descriptions[entity.iri] = " · ".join(p for p in parts if p)
    return built
