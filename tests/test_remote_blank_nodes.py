"""Blank nodes survive a remote engine: what a client writes as ``_:b`` it reads back as a blank node.

Over a remote engine genai-kg stores blank nodes as Skolem IRIs (``…/.well-known/genid/…``); every way out
turns them back (``graph/skolem.py``). Each test runs on both backends and must pass on both.
"""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient
from pyoxigraph import BlankNode, NamedNode, RdfFormat, parse, serialize
from rdflib import Graph
from rdflib.compare import isomorphic

from graph.namespaces import GENID

from .conftest import TOKEN

pytestmark = pytest.mark.both_backends

AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "http://example.org/blanks"
TURTLE = """
@prefix ex: <http://example.org/> .
ex:alice ex:address [ ex:city "Paris" ; ex:street [ ex:name "Rue de Rivoli" ] ] ;
         ex:knows _:bob .
_:bob ex:name "Bob" ; ex:knows ex:alice .
"""
NOTE = '<http://example.org/note> <http://example.org/text> "<https://w3id.org/genai-kg/.well-known/genid/abc> and _:x stay text" .'

SKOLEM = GENID.encode()


def _put(client: FlaskClient, body: bytes | str, content_type: str = "text/turtle") -> None:
    response = client.put("/store", query_string={"graph": GRAPH}, data=body, content_type=content_type, headers=AUTH)
    assert response.status_code in (201, 204), response.data


def _get(client: FlaskClient, accept: str) -> bytes:
    response = client.get("/store", query_string={"graph": GRAPH}, headers={"Accept": accept})
    assert response.status_code == 200
    return response.data


FORMATS = {
    "nt": RdfFormat.N_TRIPLES,
    "turtle": RdfFormat.TURTLE,
    "json-ld": RdfFormat.JSON_LD,
    "xml": RdfFormat.RDF_XML,
}


def _graph(data: bytes, format: str) -> Graph:
    """The graph in ``data``, parsed by pyoxigraph (rdflib's JSON-LD parser warns), for rdflib's isomorphism."""
    triples = [q.triple for q in parse(data, format=FORMATS[format])]
    return Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")


@pytest.mark.parametrize(
    ("accept", "format"),
    [
        ("application/n-triples", "nt"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_graph_store_get_gives_back_the_blank_nodes_put(client: FlaskClient, accept: str, format: str) -> None:
    _put(client, TURTLE)
    body = _get(client, accept)
    assert SKOLEM not in body
    assert isomorphic(_graph(body, format), _graph(TURTLE.encode(), "turtle"))


def test_get_then_put_again_round_trips_without_multiplying_nodes(client: FlaskClient) -> None:
    _put(client, TURTLE)
    first = _get(client, "application/n-triples")
    _put(client, first, "application/n-triples")
    second = _get(client, "application/n-triples")
    _put(client, _get(client, "text/turtle"))
    third = _get(client, "application/n-triples")
    original = _graph(TURTLE.encode(), "turtle")
    for body in (first, second, third):
        assert isomorphic(_graph(body, "nt"), original)
    count = client.get(
        "/sparql",
        query_string={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert count.json["results"]["bindings"][0]["n"]["value"] == str(len(original))


SELECT = f"""
SELECT ?address ?street ?again WHERE {{ GRAPH <{GRAPH}> {{
  <http://example.org/alice> <http://example.org/address> ?address .
  ?address <http://example.org/street> ?street .
  ?again <http://example.org/street> ?street .
}} }}
"""


def _select(client: FlaskClient, accept: str, query: str = SELECT) -> bytes:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.data
    assert SKOLEM not in response.data
    return response.data


def test_select_binds_blank_nodes_in_json(client: FlaskClient) -> None:
    _put(client, TURTLE)
    (row,) = __import__("json").loads(_select(client, "application/sparql-results+json"))["results"]["bindings"]
    assert {row[v]["type"] for v in row} == {"bnode"}
    assert row["address"]["value"] != row["street"]["value"]
    assert row["again"]["value"] == row["address"]["value"]  # one node, one label in one answer


def test_select_binds_blank_nodes_in_xml_tsv_and_csv(client: FlaskClient) -> None:
    _put(client, TURTLE)
    xml = _select(client, "application/sparql-results+xml").decode()
    assert xml.count("<bnode>") == 3 and "<uri>" not in xml
    tsv = _select(client, "text/tab-separated-values").decode().splitlines()
    cells = tsv[1].split("\t")
    assert all(cell.startswith("_:") for cell in cells) and cells[0] == cells[2] != cells[1]
    rows = list(csv.reader(io.StringIO(_select(client, "text/csv").decode())))
    assert rows[0] == ["address", "street", "again"]
    assert all(cell.startswith("_:") for cell in rows[1]) and rows[1][0] == rows[1][2] != rows[1][1]


def test_text_that_looks_like_a_skolem_iri_is_left_alone(client: FlaskClient) -> None:
    _put(client, TURTLE + NOTE)
    query = f"SELECT ?text {{ GRAPH <{GRAPH}> {{ ?s <http://example.org/text> ?text }} }}"
    for accept in ("application/sparql-results+json", "text/tab-separated-values", "text/csv"):
        response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
        assert b"<https://w3id.org/genai-kg/.well-known/genid/abc> and _:x stay text" in response.data, accept


@pytest.mark.parametrize(("accept", "format"), [("application/n-triples", "nt"), ("text/turtle", "turtle")])
def test_construct_returns_blank_nodes_that_do_not_collide(client: FlaskClient, accept: str, format: str) -> None:
    _put(client, TURTLE)
    query = f"""CONSTRUCT {{ ?address <http://example.org/street> ?street . ?street <http://example.org/tag> [] }}
    WHERE {{ GRAPH <{GRAPH}> {{ ?address <http://example.org/street> ?street }} }}"""
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200 and SKOLEM not in response.data
    graph = _graph(response.data, format)
    nodes = {t for triple in graph for t in triple if type(t).__name__ == "BNode"}
    assert len(graph) == 2 and len(nodes) == 3  # address, street, and the template's own node


def test_describe_and_dumps_show_no_skolem_iris(client: FlaskClient) -> None:
    _put(client, TURTLE)
    described = client.get(
        "/sparql",
        query_string={"query": "DESCRIBE <http://example.org/alice>"},
        headers={"Accept": "application/n-triples"},
    )
    assert described.status_code == 200 and SKOLEM not in described.data
    assert any(isinstance(t.object, BlankNode) for t in parse(described.data, format=RdfFormat.N_TRIPLES))
    dump = client.get("/dump.nq")
    assert dump.status_code == 200 and SKOLEM not in dump.data


def test_a_page_shows_a_blank_node_as_embedded_does(client: FlaskClient) -> None:
    body = '<https://w3id.org/genai-kg/id/ChatGPT> <http://example.org/address> [ <http://example.org/city> "Paris" ] .'
    _put(client, body)
    page = client.get("/id/ChatGPT", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert b"/.well-known/genid/" not in page.data
    turtle = client.get("/id/ChatGPT", headers={"Accept": "application/n-triples"})
    assert SKOLEM not in turtle.data
    assert NamedNode("http://example.org/address") in {
        t.predicate for t in parse(turtle.data, format=RdfFormat.N_TRIPLES)
    }


def test_a_blank_node_can_be_addressed_by_its_skolem_iri_on_a_remote_engine_only(
    client: FlaskClient, backend: str
) -> None:
    _put(client, TURTLE)
    (bob,) = [
        t.object
        for t in parse(_get(client, "application/n-triples"), format=RdfFormat.N_TRIPLES)
        if t.predicate.value == "http://example.org/knows" and isinstance(t.object, BlankNode)
    ]
    assert isinstance(bob, BlankNode)
    query = f"SELECT ?name {{ GRAPH <{GRAPH}> {{ <{GENID}{bob.value}> <http://example.org/name> ?name }} }}"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
    names = [row["name"]["value"] for row in response.json["results"]["bindings"]]
    assert names == (["Bob"] if backend == "remote" else [])  # embedded: a blank node has no name to call it by


def test_post_of_a_body_read_back_changes_nothing_as_on_the_embedded_store(client: FlaskClient) -> None:
    """pyoxigraph keeps a document's blank node labels, and so does the Skolem mapping: ``_:b`` read back is
    the node written as ``_:b``."""
    _put(client, TURTLE)
    body = _get(client, "application/n-triples")
    response = client.post(
        "/store", query_string={"graph": GRAPH}, data=body, content_type="application/n-triples", headers=AUTH
    )
    assert response.status_code in (200, 204)
    merged = _graph(_get(client, "application/n-triples"), "nt")
    assert isomorphic(merged, _graph(TURTLE.encode(), "turtle"))


def test_a_large_construct_in_turtle_is_one_valid_document(client: FlaskClient) -> None:
    """Over a remote engine Turtle is written in pieces as the answer streams; together they are one graph."""
    query = "CONSTRUCT { ?s ?p ?o } WHERE { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 25000 }"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert len(list(parse(response.data, format=RdfFormat.TURTLE))) == 25000
