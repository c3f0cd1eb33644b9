"""The IRIs of genai-kg: vocabulary, instances, named graphs and the prefixes users may write."""

from urllib.parse import quote

from pyoxigraph import BlankNode, NamedNode

BASE = "https://w3id.org/genai-kg/"
ONTOLOGY_IRI = BASE + "ontology"
GAI = ONTOLOGY_IRI + "#"
GAID = BASE + "id/"

GRAPH_ONTOLOGY = NamedNode(BASE + "graph/ontology")
GRAPH_DATA = NamedNode(BASE + "graph/data")
GRAPH_LINKS = NamedNode(BASE + "graph/links")
#: What Epoch AI's Notable AI Models states, and what rules derive from it (see docs/sources.md).
GRAPH_EPOCH = NamedNode(BASE + "graph/epoch")
GRAPH_DERIVED = NamedNode(BASE + "graph/derived")
GRAPH_INFERRED = NamedNode(BASE + "graph/inferred")
#: Every triple of the dataset once: the asserted graphs' and the inferred graph's, kept by the reasoner. Queries
#: read it as their default graph (one graph read alone is two to three times faster on disk than the union of
#: the named graphs, which RocksDB looks up in every graph's indexes); it is not one of the dataset's named graphs.
GRAPH_CLOSURE = NamedNode(BASE + "graph/closure")
#: The reasoner's own vocabulary (the closure's state, a writer's lease, anonymous class membership).
GKR = BASE + "reasoner#"
#: Where the reasoner keeps the temporary graphs of a write in progress (never part of the dataset).
TEMPORARY_GRAPHS = BASE + "graph/reasoning/"


def is_temporary(graph: object) -> bool:
    """True for a graph the reasoner makes while it reasons (a delta) and drops when done."""
    return isinstance(graph, NamedNode) and graph.value.startswith(TEMPORARY_GRAPHS)


def is_reasoners(graph: object) -> bool:
    """True for a graph only the reasoner writes: the inferred graph, the closure graph and temporary graphs."""
    return graph == GRAPH_INFERRED or is_view(graph)


def is_view(graph: object) -> bool:
    """True for a graph that is not one of the dataset's own: the closure graph, or a temporary graph."""
    return graph == GRAPH_CLOSURE or is_temporary(graph)


#: Skolem IRIs for blank nodes kept in a remote engine (RDF 1.1 Concepts, 3.5): ``GENID + label``.
GENID = BASE + ".well-known/genid/"

#: The graphs the shipped knowledge graph owns; everything else in a store belongs to its users.
SHIPPED_GRAPHS = (GRAPH_ONTOLOGY, GRAPH_DATA, GRAPH_LINKS, GRAPH_EPOCH, GRAPH_DERIVED)

PREFIXES: dict[str, str] = {
    "gai": GAI,
    "gaid": GAID,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "wd": "http://www.wikidata.org/entity/",
    "dbr": "http://dbpedia.org/resource/",
}


def expand(name: str) -> str:
    """Turn ``prefix:Local`` into a full IRI; a full IRI (or anything unprefixed) comes back unchanged.

    >>> expand("gai:LargeLanguageModel")
    'https://w3id.org/genai-kg/ontology#LargeLanguageModel'
    >>> expand("https://example.org/x")
    'https://example.org/x'
    """
    prefix, sep, local = name.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return name


def compact(iri: str) -> str:
    """The shortest ``prefix:Local`` form of an IRI, or the IRI itself when no prefix fits.

    >>> compact("https://w3id.org/genai-kg/id/ChatGPT")
    'gaid:ChatGPT'
    """
    best = iri
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(prefix) + 1 + len(iri) - len(namespace) < len(best):
            best = f"{prefix}:{iri[len(namespace) :]}"
    return best


def is_anonymous(term: object) -> bool:
    """True for a blank node, and for the Skolem IRI that stands for one in a remote engine."""
    return isinstance(term, BlankNode) or (isinstance(term, NamedNode) and term.value.startswith(GENID))


def page_path(iri: str) -> str | None:
    """The path (on this service) of the page of one of our IRIs, None for an IRI we do not serve.

    >>> page_path("https://w3id.org/genai-kg/id/GPT-4.5"), page_path("https://w3id.org/genai-kg/ontology#AIModel")
    ('/id/GPT-4.5', '/ontology/AIModel')
    """
    if iri.startswith(GAID) and len(iri) > len(GAID):
        return "/id/" + quote(iri[len(GAID) :], safe="!$&'()*+,;=:@-._~")
    if iri.startswith(GAI) and len(iri) > len(GAI):
        return "/ontology/" + quote(iri[len(GAI) :], safe="-._~")
    if iri in (ONTOLOGY_IRI, GAI):
        return "/ontology"
    return None
