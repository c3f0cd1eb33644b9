"""Real SPARQL clients against a real server process: SPARQLWrapper and rdflib's SPARQLStore/SPARQLUpdateStore."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import CSV, JSON, JSONLD, POST, RDFXML, TURTLE, XML, SPARQLWrapper

from .conftest import TOKEN, ServerProcess

GAI = "https://w3id.org/genai-kg/ontology#"
GAID = "https://w3id.org/genai-kg/id/"
SELECT = f"SELECT ?label WHERE {{ <{GAID}OpenAI> <http://www.w3.org/2000/01/rdf-schema#label> ?label }} LIMIT 1"
#: rdflib's own JSON-LD parser still builds a ConjunctiveGraph, which rdflib 7.1+ deprecates.
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
    pytest.mark.both_backends,
]
CONSTRUCT = f"CONSTRUCT {{ <{GAID}OpenAI> ?p ?o }} WHERE {{ <{GAID}OpenAI> ?p ?o }}"


@pytest.fixture
def server(serve: Callable[..., ServerProcess]) -> ServerProcess:
    """A server for one client test, on the embedded store or in front of a remote engine."""
    return serve("--memory")


def wrapper(server: ServerProcess, query: str, return_format: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(return_format)
    return sparql


def test_sparqlwrapper_json(server: ServerProcess) -> None:
    result = wrapper(server, SELECT, JSON).queryAndConvert()
    assert result["results"]["bindings"][0]["label"]["value"] == "OpenAI"  # type: ignore[index,call-overload]


def test_sparqlwrapper_json_by_post(server: ServerProcess) -> None:
    sparql = wrapper(server, SELECT, JSON)
    sparql.setMethod(POST)
    result = sparql.queryAndConvert()
    assert result["results"]["bindings"][0]["label"]["value"] == "OpenAI"  # type: ignore[index,call-overload]


def test_sparqlwrapper_xml(server: ServerProcess) -> None:
    document = wrapper(server, SELECT, XML).queryAndConvert()
    literals = document.getElementsByTagName("literal")  # type: ignore[union-attr]
    assert literals[0].firstChild.data == "OpenAI"


def test_sparqlwrapper_csv(server: ServerProcess) -> None:
    body = wrapper(server, SELECT, CSV).queryAndConvert()
    assert list(csv.reader(io.StringIO(body.decode()))) == [["label"], ["OpenAI"]]  # type: ignore[union-attr]


def test_sparqlwrapper_ask(server: ServerProcess) -> None:
    result = wrapper(server, f"ASK {{ <{GAID}ChatGPT> a <{GAI}Product> }}", JSON).queryAndConvert()
    assert result["boolean"] is True  # type: ignore[index,call-overload]


@pytest.mark.parametrize("return_format", [TURTLE, RDFXML, JSONLD])
def test_sparqlwrapper_construct(server: ServerProcess, return_format: str) -> None:
    result = wrapper(server, CONSTRUCT, return_format).query()
    body = result.response.read()
    parse_as = {TURTLE: "turtle", RDFXML: "xml", JSONLD: "json-ld"}[return_format]
    graph = rdflib.Graph().parse(data=body, format=parse_as)
    assert "OpenAI" in {str(label) for label in graph.objects(rdflib.URIRef(GAID + "OpenAI"), rdflib.RDFS.label)}


def test_rdflib_sparqlstore_select_and_construct(server: ServerProcess) -> None:
    store = SPARQLStore(server.url + "/sparql")
    graph = rdflib.Graph(store)
    rows = list(graph.query(SELECT))
    assert str(rows[0][0]) == "OpenAI"  # type: ignore[index]
    constructed = graph.query(CONSTRUCT).graph
    assert constructed is not None
    labels = {str(label) for label in constructed.objects(rdflib.URIRef(GAID + "OpenAI"), rdflib.RDFS.label)}
    assert "OpenAI" in labels
    assert graph.query(f"ASK {{ <{GAID}ChatGPT> ?p ?o }}").askAnswer is True


def test_rdflib_sparqlupdatestore_insert_data_with_the_token(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    endpoint = server.url + "/sparql"
    store = SPARQLUpdateStore(endpoint, endpoint, headers={"Authorization": f"Bearer {TOKEN}"})
    graph = rdflib.Graph(store, identifier=rdflib.URIRef("http://example.org/clients"))
    graph.update("INSERT DATA { <http://example.org/s> <http://example.org/p> 'from rdflib' }")
    check = SPARQLWrapper(endpoint)
    check.setQuery("ASK { <http://example.org/s> <http://example.org/p> 'from rdflib' }")
    check.setReturnFormat(JSON)
    assert check.queryAndConvert()["boolean"] is True  # type: ignore[index,call-overload]


def test_rdflib_sparqlupdatestore_without_the_token_fails(serve: Callable[..., ServerProcess]) -> None:
    from urllib.error import HTTPError

    server = serve("--memory")
    endpoint = server.url + "/sparql"
    graph = rdflib.Graph(SPARQLUpdateStore(endpoint, endpoint), identifier=rdflib.URIRef("http://example.org/c"))
    with pytest.raises(HTTPError) as raised:
        graph.update("INSERT DATA { <http://example.org/s> <http://example.org/p> 'nope' }")
    assert raised.value.code == 401
    raised.value.close()


def test_sparqlwrapper_update_with_the_token(serve: Callable[..., ServerProcess]) -> None:
    from SPARQLWrapper import POSTDIRECTLY, URLENCODED

    server = serve("--memory")
    endpoint = server.url + "/sparql"
    for number, request_method in enumerate([URLENCODED, POSTDIRECTLY]):
        sparql = SPARQLWrapper(endpoint)
        sparql.setMethod(POST)
        sparql.setRequestMethod(request_method)
        sparql.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
        sparql.setQuery(f"INSERT DATA {{ <http://example.org/s> <http://example.org/p> {number} }}")
        assert sparql.query().response.status == 204
    check = wrapper(server, "SELECT (COUNT(*) AS ?n) WHERE { <http://example.org/s> <http://example.org/p> ?o }", JSON)
    assert check.queryAndConvert()["results"]["bindings"][0]["n"]["value"] == "2"  # type: ignore[index,call-overload]
