"""The Service Description at /sparql: endpoint URL, languages, formats, entailment, dataset — in every format."""

from __future__ import annotations

from dataclasses import replace

import pytest
import rdflib
import requests
from flask.testing import FlaskClient
from pyoxigraph import RdfFormat, parse, serialize
from rdflib.namespace import RDF

from graph import KnowledgeGraph
from graph.namespaces import GRAPH_DATA, GRAPH_INFERRED, GRAPH_ONTOLOGY
from server import Config, create_app
from server.negotiation import GRAPH_TYPES

pytestmark = pytest.mark.both_backends

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


def description(client: FlaskClient, accept: str = "text/turtle") -> rdflib.Graph:
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    rdf_format = RdfFormat.from_media_type(accept)
    assert rdf_format is not None
    triples = [quad.triple for quad in parse(response.data, format=rdf_format)]
    return rdflib.Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")


@pytest.mark.parametrize("accept", GRAPH_TYPES)
def test_every_rdf_format_says_the_same(client: FlaskClient, accept: str) -> None:
    graph = description(client, accept)
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == rdflib.URIRef("http://localhost/sparql")


def test_languages_formats_features_entailment(client: FlaskClient) -> None:
    graph = description(client)
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert set(graph.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query, SD.SPARQL11Update}
    formats = set(graph.objects(service, SD.resultFormat))
    assert rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert rdflib.URIRef("http://www.w3.org/ns/formats/RDF_XML") in formats
    assert SD.UnionDefaultGraph in set(graph.objects(service, SD.feature))
    regime = graph.value(service, SD.defaultEntailmentRegime)
    assert regime == rdflib.URIRef("http://www.w3.org/ns/entailment/OWL-RDF-Based")
    assert "infer=false" in str(graph.value(service, rdflib.RDFS.comment))


def test_named_graphs_are_listed(client: FlaskClient) -> None:
    graph = description(client)
    names = {str(name) for name in graph.objects(None, SD.name)}
    assert {GRAPH_ONTOLOGY.value, GRAPH_DATA.value, GRAPH_INFERRED.value} <= names


def test_endpoint_uses_the_public_base_url(kg: KnowledgeGraph, config: Config) -> None:
    app = create_app(replace(config, base_url="https://kg.example.org/genai/"), kg=kg)
    graph = description(app.test_client())
    assert rdflib.URIRef("https://kg.example.org/genai/sparql") in set(graph.objects(None, SD.endpoint))


def test_406_for_a_non_rdf_accept(client: FlaskClient) -> None:
    assert client.get("/sparql", headers={"Accept": "image/png"}).status_code == 406


def test_real_server_endpoint_matches_the_url(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("--memory")
    response = requests.get(server.url + "/sparql", headers={"Accept": "application/rdf+xml"}, timeout=30)
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.content, format="xml")
    assert rdflib.URIRef(server.url + "/sparql") in set(graph.objects(None, SD.endpoint))
