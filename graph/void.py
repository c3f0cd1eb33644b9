"""VoID statistics of the dataset and the VoID description built from them (RDF triples, no HTTP).

Counts are over the default union (asserted and inferred triples, each triple once).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from .namespaces import BASE, GAI, GAID, PREFIXES
from .store import KnowledgeGraph

VOID = PREFIXES["void"]
XSD = PREFIXES["xsd"]
DATASET = NamedNode(BASE + "dataset")

#: Link targets counted as linksets: name, namespace of the target dataset, and that dataset's IRI.
LINK_TARGETS = (
    ("wikidata", "http://www.wikidata.org/entity/", "http://www.wikidata.org/"),
    ("dbpedia", "http://dbpedia.org/resource/", "http://dbpedia.org/"),
)

TOTALS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
       (COUNT(DISTINCT ?p) AS ?properties)
WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }
"""
CLASSES = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class FILTER(isIRI(?class)) } GROUP BY ?class ORDER BY ?class
"""
PROPERTIES = """
SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } GROUP BY ?p ORDER BY ?p
"""
LINKS = """
SELECT ?p ?o WHERE {
  VALUES ?p { <http://www.w3.org/2004/02/skos/core#exactMatch> <http://www.w3.org/2004/02/skos/core#closeMatch>
              <http://www.w3.org/2002/07/owl#sameAs> }
  ?s ?p ?o FILTER(isIRI(?o))
}
"""


@dataclass
class Statistics:
    """What VoID says about the dataset, in numbers."""

    triples: int = 0
    subjects: int = 0
    objects: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    properties: dict[str, int] = field(default_factory=dict)
    #: Per link target name: (link predicate IRI -> number of links).
    linksets: dict[str, dict[str, int]] = field(default_factory=dict)


class StatisticsCache:
    """The statistics of one store, computed on first use and again once the store's generation moved on
    (a write's inferences are in place by then: the generation changes after them)."""

    def __init__(self) -> None:
        self._value: Statistics | None = None
        self._generation = ""

    def get(self, kg: KnowledgeGraph) -> Statistics:
        generation = kg.generation
        if self._value is None or generation != self._generation:
            value = statistics(kg)
            if kg.generation == generation:  # no write while counting
                self._value, self._generation = value, generation
            return value
        return self._value


def cached_statistics(kg: KnowledgeGraph) -> Statistics:
    """:func:`statistics`, recomputed only after a write (counting a large store takes seconds)."""
    cache = kg.extensions.get("void")
    if not isinstance(cache, StatisticsCache):
        cache = kg.extensions["void"] = StatisticsCache()
    return cache.get(kg)


def _int(term: object) -> int:
    return int(term.value) if isinstance(term, Literal) else 0


def statistics(kg: KnowledgeGraph) -> Statistics:
    """Count triples, entities, classes, properties and outgoing links."""
    stats = Statistics()
    totals = kg.query(TOTALS)
    assert isinstance(totals, QuerySolutions)
    for row in totals:
        stats.triples, stats.subjects, stats.objects = _int(row["triples"]), _int(row["subjects"]), _int(row["objects"])
    for sparql, target in ((CLASSES, stats.classes), (PROPERTIES, stats.properties)):
        result = kg.query(sparql)
        assert isinstance(result, QuerySolutions)
        for row in result:
            term = row[0]
            if isinstance(term, NamedNode):
                target[term.value] = _int(row[1])
    links = kg.query(LINKS)
    assert isinstance(links, QuerySolutions)
    for row in links:
        predicate, target_iri = row["p"], row["o"]
        for name, namespace, _ in LINK_TARGETS:
            if isinstance(target_iri, NamedNode) and target_iri.value.startswith(namespace):
                per = stats.linksets.setdefault(name, {})
                per[predicate.value] = per.get(predicate.value, 0) + 1
    return stats


def void_triples(stats: Statistics, *, site: str) -> list[Triple]:
    """The VoID description; ``site`` is the public base URL of the service (for endpoint and dumps)."""
    site = site.rstrip("/")
    v = lambda local: NamedNode(VOID + local)  # noqa: E731
    a = NamedNode(PREFIXES["rdf"] + "type")
    integer = NamedNode(XSD + "integer")

    def count(n: int) -> Literal:
        return Literal(str(n), datatype=integer)

    out = [
        Triple(DATASET, a, v("Dataset")),
        Triple(DATASET, NamedNode(PREFIXES["dcterms"] + "title"), Literal("genai-kg", language="en")),
        Triple(
            DATASET,
            NamedNode(PREFIXES["dcterms"] + "description"),
            Literal("A knowledge graph about generative AI: models, products, organisations, claims.", language="en"),
        ),
        Triple(
            DATASET,
            NamedNode(PREFIXES["dcterms"] + "license"),
            NamedNode("https://creativecommons.org/licenses/by/4.0/"),
        ),
        Triple(DATASET, v("sparqlEndpoint"), NamedNode(site + "/sparql")),
        Triple(DATASET, v("dataDump"), NamedNode(site + "/dump.ttl")),
        Triple(DATASET, v("dataDump"), NamedNode(site + "/dump.nq")),
        Triple(DATASET, v("uriSpace"), Literal(GAID)),
        Triple(DATASET, v("exampleResource"), NamedNode(GAID + "ChatGPT")),
        Triple(DATASET, v("vocabulary"), NamedNode(GAI[:-1])),
        Triple(DATASET, v("triples"), count(stats.triples)),
        Triple(DATASET, v("distinctSubjects"), count(stats.subjects)),
        Triple(DATASET, v("distinctObjects"), count(stats.objects)),
        Triple(DATASET, v("classes"), count(len(stats.classes))),
        Triple(DATASET, v("properties"), count(len(stats.properties))),
    ]
    used = {ns for ns in PREFIXES.values() if ns not in (GAI, GAID) and any(p.startswith(ns) for p in stats.properties)}
    out += [Triple(DATASET, v("vocabulary"), NamedNode(ns)) for ns in sorted(used)]
    for i, (iri, n) in enumerate(stats.classes.items()):
        part = BlankNode(f"class{i}")
        out += [Triple(DATASET, v("classPartition"), part), Triple(part, v("class"), NamedNode(iri))]
        out.append(Triple(part, v("entities"), count(n)))
    for i, (iri, n) in enumerate(stats.properties.items()):
        part = BlankNode(f"property{i}")
        out += [Triple(DATASET, v("propertyPartition"), part), Triple(part, v("property"), NamedNode(iri))]
        out.append(Triple(part, v("triples"), count(n)))
    for name, namespace, target in LINK_TARGETS:
        for predicate, n in sorted(stats.linksets.get(name, {}).items()):
            linkset = NamedNode(f"{BASE}dataset/links/{name}/{predicate.rsplit('#', 1)[-1]}")
            out += [
                Triple(DATASET, v("subset"), linkset),
                Triple(linkset, a, v("Linkset")),
                Triple(linkset, v("subjectsTarget"), DATASET),
                Triple(linkset, v("objectsTarget"), NamedNode(target)),
                Triple(linkset, v("linkPredicate"), NamedNode(predicate)),
                Triple(linkset, v("triples"), count(n)),
                Triple(linkset, NamedNode(PREFIXES["rdfs"] + "comment"), Literal(f"links to {namespace}")),
            ]
    return sorted(dict.fromkeys(out), key=lambda t: t.subject != DATASET)  # the dataset's triples first
