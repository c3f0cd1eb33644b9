"""VoID statistics of the dataset and the VoID description built from them (RDF triples, no HTTP).

Counts are over the default union (asserted and inferred triples, each triple once). Counting is a scan of
the store: the server asks for :func:`statistics` through the query service, which keeps the answer until
the store's generation changes.

A triple may be stated in several asserted graphs, so the asserted graphs' triples are counted as a set;
the inferred graph's are counted as quads, since the reasoner keeps there only what no other graph holds
(``docs/inference.md``). At 1.15M triples and their closure (4.04M quads) that takes 1.8 + 1.0 s and 307
MB, where one set of every distinct triple took 10.8 s and 1.4 GB (and its per-property twin 7.2 s and 1
GB), more than a query worker may hold on many machines (``--query-memory``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from .namespaces import BASE, GAI, GAID, PREFIXES
from .store import KnowledgeGraph

VOID = PREFIXES["void"]
XSD = PREFIXES["xsd"]
DATASET = NamedNode(BASE + "dataset")
EPOCH_DATA = "https://epoch.ai/data/notable-ai-models"
EPOCH_CREDIT = "Data: Epoch AI (epoch.ai), CC BY 4.0: Epoch AI's Notable AI Models, in the named graph https://w3id.org/genai-kg/graph/epoch."

#: Link targets counted as linksets: name, namespace of the target dataset, and that dataset's IRI.
LINK_TARGETS = (
    ("wikidata", "http://www.wikidata.org/entity/", "http://www.wikidata.org/"),
    ("dbpedia", "http://dbpedia.org/resource/", "http://dbpedia.org/"),
)
#: The public SPARQL endpoints of link targets: an allowed endpoint under one describes that target dataset.
TARGET_ENDPOINTS = {
    "https://query.wikidata.org/sparql": "http://www.wikidata.org/",
    "https://dbpedia.org/sparql": "http://dbpedia.org/",
}

#: Distinct terms of the default graph (every asserted and inferred triple).
TERMS = "SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }"
CLASSES = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class FILTER(isIRI(?class)) } GROUP BY ?class ORDER BY ?class
"""
#: Over the default graph, which holds each asserted or inferred triple once (the closure graph).
PROPERTIES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
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


def _int(term: object) -> int:
    return int(term.value) if isinstance(term, Literal) else 0


def class_members(kg: KnowledgeGraph) -> dict[str, int]:
    """How many distinct resources each class has (asserted and inferred), by class IRI."""
    result = kg.query(CLASSES)
    assert isinstance(result, QuerySolutions)
    return {row[0].value: _int(row[1]) for row in result if isinstance(row[0], NamedNode)}


def property_triples(kg: KnowledgeGraph, prop: NamedNode | None = None) -> dict[str, int]:
    """How many distinct triples use each property (only ``prop``, when given), by property IRI: VoID's
    property partitions, the ontology page and the term pages count alike."""
    result = kg.query(PROPERTIES, substitutions={"p": prop} if prop is not None else None)
    assert isinstance(result, QuerySolutions)
    return dict(sorted((row[0].value, _int(row[1])) for row in result if isinstance(row[0], NamedNode)))


def statistics(kg: KnowledgeGraph) -> Statistics:
    """Count triples, entities, classes, properties and outgoing links: a scan of the store, done once per
    generation in each process (:meth:`~graph.store.KnowledgeGraph.cached`: VoID, the home page and the
    ontology's page share it, and in a query worker its time is not counted against a request's budget)."""
    return kg.cached("statistics", _statistics)


def _statistics(kg: KnowledgeGraph) -> Statistics:
    stats = Statistics()
    terms = kg.query(TERMS)
    assert isinstance(terms, QuerySolutions)
    for row in terms:
        stats.subjects, stats.objects = _int(row["subjects"]), _int(row["objects"])
    stats.classes = class_members(kg)
    stats.properties = property_triples(kg)
    stats.triples = sum(stats.properties.values())
    links = kg.query(LINKS)
    assert isinstance(links, QuerySolutions)
    for row in links:
        predicate, target_iri = row["p"], row["o"]
        for name, namespace, _ in LINK_TARGETS:
            if isinstance(target_iri, NamedNode) and target_iri.value.startswith(namespace):
                per = stats.linksets.setdefault(name, {})
                per[predicate.value] = per.get(predicate.value, 0) + 1
    return stats


def void_triples(stats: Statistics, *, site: str, endpoints: tuple[str, ...] = ()) -> list[Triple]:
    """The VoID description; ``site`` is the public base URL of the service (for endpoint and dumps), and
    ``endpoints`` the ones ``SERVICE`` may call (``GENAI_KG_ALLOWED_ENDPOINTS``): each is the
    ``void:sparqlEndpoint`` of a ``void:Dataset`` that the dataset names with ``rdfs:seeAlso`` (Wikidata's and
    DBpedia's endpoints describe the datasets the linksets point to)."""
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
        # Epoch AI's data is shipped in the graph https://w3id.org/genai-kg/graph/epoch; its licence asks for this.
        Triple(DATASET, NamedNode(PREFIXES["dcterms"] + "source"), NamedNode(EPOCH_DATA)),
        Triple(DATASET, NamedNode(PREFIXES["dcterms"] + "rights"), Literal(EPOCH_CREDIT, language="en")),
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
    out += _federated(endpoints)
    return sorted(dict.fromkeys(out), key=lambda t: t.subject != DATASET)  # the dataset's triples first


def _federated(endpoints: tuple[str, ...]) -> list[Triple]:
    """Each allowed endpoint as the SPARQL endpoint of a dataset reachable through ``SERVICE``."""
    a = NamedNode(PREFIXES["rdf"] + "type")
    out: list[Triple] = []
    for i, endpoint in enumerate(endpoints):
        target = TARGET_ENDPOINTS.get(endpoint.rstrip("/"))
        dataset = NamedNode(target or f"{BASE}dataset/federated/{i}")
        out += [
            Triple(DATASET, NamedNode(PREFIXES["rdfs"] + "seeAlso"), dataset),
            Triple(dataset, a, NamedNode(VOID + "Dataset")),
            Triple(dataset, NamedNode(VOID + "sparqlEndpoint"), NamedNode(endpoint)),
            Triple(dataset, NamedNode(PREFIXES["rdfs"] + "comment"), Literal(FEDERATED, language="en")),
        ]
    return out


FEDERATED = "Allowed by GENAI_KG_ALLOWED_ENDPOINTS: queries at this service may call it through SERVICE."  # the dataset's triples first
