"""The SPARQL 1.1 Service Description of ``/sparql``: what the endpoint speaks, at its public URL.

It is served when ``/sparql`` gets no query, in every RDF format by ``Accept``.
"""

from __future__ import annotations

from flask import Response, request
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from graph import KnowledgeGraph
from graph.errors import NotAcceptable
from graph.namespaces import GRAPH_INFERRED
from graph.querying.work import Call
from graph.void import FEDERATED

from .context import get_config, get_service, public_url
from .negotiation import GRAPH_TYPES, choose

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
RDFS_SEE_ALSO = NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
OWL_RDF_BASED = NamedNode("http://www.w3.org/ns/entailment/OWL-RDF-Based")

#: The W3C format IRIs of the result and graph formats /sparql writes.
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "RDF_XML",
    "JSON-LD",
    "TriG",
    "N-Quads",
)
ENTAILMENT_NOTE = (
    "The default graph is the union of all named graphs, including the OWL 2 RL entailments materialised in "
    f"{GRAPH_INFERRED.value}; send infer=false with a query to leave the entailments out."
)


def _sd(name: str) -> NamedNode:
    return NamedNode(SD + name)


def triples(endpoint: str) -> list[Triple]:
    """The description of the endpoint at ``endpoint`` and of the store's dataset."""
    service, dataset, default_graph = BlankNode(), BlankNode(), BlankNode()
    out = [
        Triple(service, RDF_TYPE, _sd("Service")),
        Triple(service, _sd("endpoint"), NamedNode(endpoint)),
        Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update")),
        Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        Triple(service, _sd("defaultEntailmentRegime"), OWL_RDF_BASED),
        Triple(service, RDFS_COMMENT, Literal(ENTAILMENT_NOTE, language="en")),
        Triple(service, _sd("defaultDataset"), dataset),
        Triple(dataset, RDF_TYPE, _sd("Dataset")),
        Triple(dataset, _sd("defaultGraph"), default_graph),
        Triple(default_graph, RDF_TYPE, _sd("Graph")),
    ]
    out += [Triple(service, _sd("resultFormat"), NamedNode(FORMATS + name)) for name in RESULT_FORMATS]
    if get_config().allowed_endpoints:  # SERVICE works only towards the endpoints the operator allowed
        out.append(Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    for allowed in get_config().allowed_endpoints:  # each as a service of its own (docs/federation.md)
        remote = BlankNode()
        out += [
            Triple(service, RDFS_SEE_ALSO, remote),
            Triple(remote, RDF_TYPE, _sd("Service")),
            Triple(remote, _sd("endpoint"), NamedNode(allowed)),
            Triple(remote, _sd("supportedLanguage"), _sd("SPARQL11Query")),
            Triple(remote, RDFS_COMMENT, Literal(FEDERATED, language="en")),
        ]
    for name in get_service().value(Call(KnowledgeGraph.named_graphs, kind="graph"), cached=True):
        if not isinstance(name, NamedNode):
            continue
        named = BlankNode()
        out += [
            Triple(dataset, _sd("namedGraph"), named),
            Triple(named, RDF_TYPE, _sd("NamedGraph")),
            Triple(named, _sd("name"), name),
        ]
    return out


def response() -> Response:
    """The Service Description in the RDF format ``Accept`` picks (Turtle by default), or 406."""
    chosen = choose(request.headers.get("Accept"), GRAPH_TYPES)
    if chosen is None:
        raise NotAcceptable("the Service Description is RDF; accept one of " + ", ".join(GRAPH_TYPES))
    rdf_format = RdfFormat.from_media_type(chosen)
    assert rdf_format is not None
    body = serialize(triples(public_url("sparql")), format=rdf_format, prefixes={"sd": SD, "formats": FORMATS})
    result = Response(body, mimetype=rdf_format.media_type)
    result.vary.add("Accept")
    return result
