"""VoID at /.well-known/void and the dumps /dump.ttl and /dump.nq."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pyoxigraph
import pytest
import rdflib
import requests
from flask.testing import FlaskClient
from rdflib import RDF, Literal, Namespace, URIRef

from graph import KnowledgeGraph
from graph.namespaces import GAI

pytestmark = pytest.mark.both_backends

VOID = Namespace("http://rdfs.org/ns/void#")
DATASET = URIRef("https://w3id.org/genai-kg/dataset")


def parse(body: bytes, parser: str) -> rdflib.Graph:
    with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        return rdflib.Graph().parse(data=body, format=parser)


def void_graph(client: FlaskClient) -> rdflib.Graph:
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    return parse(response.data, "turtle")


def number(graph: rdflib.Graph, subject: object, predicate: URIRef) -> int:
    value = graph.value(subject, predicate)  # type: ignore[arg-type]
    assert isinstance(value, Literal), predicate
    return int(value)


def test_void_describes_the_dataset(client: FlaskClient) -> None:
    graph = void_graph(client)
    assert (DATASET, RDF.type, VOID.Dataset) in graph
    assert (DATASET, VOID.sparqlEndpoint, URIRef("http://localhost/sparql")) in graph
    assert {str(o) for o in graph.objects(DATASET, VOID.dataDump)} == {
        "http://localhost/dump.ttl",
        "http://localhost/dump.nq",
    }
    assert str(graph.value(DATASET, VOID.uriSpace)) == "https://w3id.org/genai-kg/id/"
    assert (DATASET, VOID.vocabulary, URIRef("https://w3id.org/genai-kg/ontology")) in graph
    assert number(graph, DATASET, VOID.triples) > 1000
    assert number(graph, DATASET, VOID.classes) == len(list(graph.objects(DATASET, VOID.classPartition)))


def test_class_and_property_partitions(client: FlaskClient) -> None:
    graph = void_graph(client)
    classes = {graph.value(p, VOID["class"]): p for p in graph.objects(DATASET, VOID.classPartition)}
    llm = classes[URIRef(GAI + "LargeLanguageModel")]
    assert number(graph, llm, VOID.entities) >= 10
    properties = {graph.value(p, VOID.property): p for p in graph.objects(DATASET, VOID.propertyPartition)}
    assert number(graph, properties[URIRef(GAI + "developedBy")], VOID.triples) >= 10
    total = sum(number(graph, p, VOID.triples) for p in properties.values())
    assert total == number(graph, DATASET, VOID.triples)


def test_linksets_to_wikidata_and_dbpedia(client: FlaskClient) -> None:
    graph = void_graph(client)
    targets = {}
    for linkset in graph.objects(DATASET, VOID.subset):
        assert (linkset, RDF.type, VOID.Linkset) in graph
        target = str(graph.value(linkset, VOID.objectsTarget))
        targets[target] = targets.get(target, 0) + number(graph, linkset, VOID.triples)
    assert targets["http://www.wikidata.org/"] >= 10
    assert targets["http://dbpedia.org/"] >= 10


def test_counts_follow_writes(client: FlaskClient, kg: KnowledgeGraph) -> None:
    """Statistics are cached, but a write (and what it lets the reasoner infer) shows in the next answer."""

    def members(cls: str) -> int:
        graph = void_graph(client)
        parts = {graph.value(p, VOID["class"]): p for p in graph.objects(DATASET, VOID.classPartition)}
        return number(graph, parts[URIRef(GAI + cls)], VOID.entities)

    before = members("LargeLanguageModel"), members("GenerativeAI")
    kg.update(
        "INSERT DATA { GRAPH <https://w3id.org/genai-kg/graph/data> { "
        "<https://w3id.org/genai-kg/id/TestLLM> a <https://w3id.org/genai-kg/ontology#LargeLanguageModel> } }"
    )
    assert (members("LargeLanguageModel"), members("GenerativeAI")) == (before[0] + 1, before[1] + 1)


def test_a_triple_stated_in_several_graphs_or_also_inferred_is_counted_once(
    client: FlaskClient, kg: KnowledgeGraph
) -> None:
    """The asserted graphs are counted as a set, the inferred graph as quads: it holds nothing asserted."""

    def triples() -> int:
        return number(void_graph(client), DATASET, VOID.triples)

    before = triples()
    inferred = f"<https://w3id.org/genai-kg/id/ChatGPT> a <{GAI}GenerativeAI>"
    assert kg.query(f"ASK {{ GRAPH <https://w3id.org/genai-kg/graph/inferred> {{ {inferred} }} }}")
    kg.update(
        f"INSERT DATA {{ {inferred} GRAPH <urn:test:one> {{ {inferred} }} GRAPH <urn:test:two> {{ {inferred} }} }}"
    )
    assert triples() == before  # now stated three times, and no longer inferred: still one triple
    stated = '<urn:test:s> <urn:test:p> "x"'
    kg.update(f"INSERT DATA {{ {stated} GRAPH <urn:test:one> {{ {stated} }} }}")
    assert triples() == before + 1
    assert triples() == len(parse(client.get("/dump.ttl").data, "turtle"))


@pytest.mark.parametrize(
    ("suffix", "media", "parser"),
    [
        ("ttl", "text/turtle", "turtle"),
        ("jsonld", "application/ld+json", "json-ld"),
        ("nt", "application/n-triples", "nt"),
        ("rdf", "application/rdf+xml", "xml"),
    ],
)
def test_void_is_negotiated(client: FlaskClient, suffix: str, media: str, parser: str) -> None:
    by_accept = client.get("/.well-known/void", headers={"Accept": media})
    assert by_accept.mimetype == media and by_accept.headers["Content-Location"] == f"/.well-known/void.{suffix}"
    assert (DATASET, RDF.type, VOID.Dataset) in parse(by_accept.data, parser)
    assert client.get(f"/.well-known/void.{suffix}").mimetype == media


def test_void_page_for_browsers(client: FlaskClient) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "text/html"})
    assert response.mimetype == "text/html"
    assert "void:Dataset" in response.get_data(as_text=True)


def test_public_base_url_names_endpoint_and_dumps(kg: KnowledgeGraph) -> None:
    from server import Config, create_app

    app = create_app(Config(store=None, base_url="https://kg.example.org", query_workers=0), kg=kg)
    graph = parse(app.test_client().get("/.well-known/void.ttl").data, "turtle")
    assert (DATASET, VOID.sparqlEndpoint, URIRef("https://kg.example.org/sparql")) in graph


def test_dump_nquads_holds_every_quad(client: FlaskClient, kg: KnowledgeGraph) -> None:
    response = client.get("/dump.nq")
    assert response.status_code == 200 and response.mimetype == "application/n-quads"
    quads = list(pyoxigraph.parse(response.data, format=pyoxigraph.RdfFormat.N_QUADS))
    assert len(quads) == len(kg)
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, pyoxigraph.NamedNode)}
    assert {"https://w3id.org/genai-kg/graph/ontology", "https://w3id.org/genai-kg/graph/inferred"} <= graphs


def test_dump_turtle_is_the_union(client: FlaskClient) -> None:
    response = client.get("/dump.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = parse(response.data, "turtle")
    assert len(graph) == number(void_graph(client), DATASET, VOID.triples)
    # asserted and inferred triples both
    chatgpt = URIRef("https://w3id.org/genai-kg/id/ChatGPT")
    assert (chatgpt, RDF.type, URIRef(GAI + "Product")) in graph
    assert (chatgpt, RDF.type, URIRef(GAI + "GenerativeAI")) in graph


def test_dumps_stream_from_a_real_server(serve: Callable[..., object]) -> None:
    server = serve("--memory")
    base = server.url  # type: ignore[attr-defined]
    with requests.get(base + "/dump.nq", stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert "Content-Length" not in response.headers  # streamed in chunks
        lines = sum(chunk.count(b"\n") for chunk in response.iter_content(64 * 1024))
    void = parse(requests.get(base + "/.well-known/void.ttl", timeout=30).content, "turtle")
    assert lines > number(void, DATASET, VOID.triples) / 2
    assert (DATASET, VOID.sparqlEndpoint, URIRef(base + "/sparql")) in void
