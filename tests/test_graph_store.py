"""The Graph Store HTTP Protocol at /store: whole-graph reads and atomic writes, statuses per the spec."""

from __future__ import annotations

import io

import pytest
import requests
from flask.testing import FlaskClient
from pyoxigraph import DefaultGraph, NamedNode, RdfFormat, parse

from graph import KnowledgeGraph
from graph.namespaces import GRAPH_DATA, GRAPH_INFERRED
from server.negotiation import GRAPH_TYPES

from .conftest import TOKEN

pytestmark = pytest.mark.both_backends

AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "http://example.org/people"
ALICE = '<http://example.org/alice> <http://xmlns.com/foaf/0.1/name> "Alice" .\n'
BOB = '<http://example.org/bob> <http://xmlns.com/foaf/0.1/name> "Bob" .\n'


def put(client: FlaskClient, body: str, *, graph: str = GRAPH, content_type: str = "text/turtle") -> int:
    response = client.put("/store", query_string={"graph": graph}, data=body, content_type=content_type, headers=AUTH)
    return response.status_code


def names(client: FlaskClient, graph: str = GRAPH) -> set[str]:
    response = client.get("/store", query_string={"graph": graph}, headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    return {t.object.value for t in parse(response.data, format=RdfFormat.N_TRIPLES)}


def test_put_creates_201_then_replaces_204(client: FlaskClient) -> None:
    assert put(client, ALICE) == 201
    assert names(client) == {"Alice"}
    assert put(client, BOB) == 204
    assert names(client) == {"Bob"}


def test_post_merges(client: FlaskClient) -> None:
    assert put(client, ALICE) == 201
    response = client.post("/store", query_string={"graph": GRAPH}, data=BOB, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 204
    assert names(client) == {"Alice", "Bob"}


def test_post_to_a_new_graph_is_201(client: FlaskClient) -> None:
    response = client.post("/store", query_string={"graph": GRAPH}, data=BOB, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 201


def test_post_without_a_graph_creates_one(client: FlaskClient) -> None:
    response = client.post("/store", data=ALICE, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location.startswith("http://localhost/store/")
    assert names(client, location) == {"Alice"}
    direct = client.get(location.removeprefix("http://localhost"), headers={"Accept": "text/turtle"})
    assert direct.status_code == 200
    assert b"Alice" in direct.data


def test_multipart_post_merges_every_part(client: FlaskClient) -> None:
    data = {
        "a": (io.BytesIO(ALICE.encode()), "a.ttl", "text/turtle"),
        "b": (io.BytesIO(BOB.encode()), "b.nt", "application/n-triples"),
    }
    response = client.post(
        "/store", query_string={"graph": GRAPH}, data=data, content_type="multipart/form-data", headers=AUTH
    )
    assert response.status_code == 201
    assert names(client) == {"Alice", "Bob"}


def test_delete_then_404(client: FlaskClient) -> None:
    put(client, ALICE)
    assert client.delete("/store", query_string={"graph": GRAPH}, headers=AUTH).status_code == 204
    assert client.get("/store", query_string={"graph": GRAPH}).status_code == 404
    assert client.delete("/store", query_string={"graph": GRAPH}, headers=AUTH).status_code == 404


def test_head(client: FlaskClient) -> None:
    put(client, ALICE)
    response = client.head("/store", query_string={"graph": GRAPH}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    assert response.data == b""
    assert client.head("/store", query_string={"graph": "http://example.org/none"}).status_code == 404


def test_default_graph(client: FlaskClient, kg: KnowledgeGraph) -> None:
    response = client.put("/store?default", data=ALICE, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 204
    assert len(list(kg.quads(None, None, None, DefaultGraph()))) == 1
    response = client.get("/store?default", headers={"Accept": "text/turtle"})
    assert b"Alice" in response.data
    assert client.delete("/store?default", headers=AUTH).status_code == 204
    assert len(list(kg.quads(None, None, None, DefaultGraph()))) == 0


@pytest.mark.parametrize("media_type", GRAPH_TYPES)
def test_get_in_every_format(client: FlaskClient, media_type: str) -> None:
    response = client.get("/store", query_string={"graph": GRAPH_DATA.value}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    rdf_format = RdfFormat.from_media_type(media_type)
    assert rdf_format is not None
    assert any(t.subject == NamedNode("https://w3id.org/genai-kg/id/ChatGPT") for t in parse(response.data, rdf_format))


def test_bad_data_is_400_with_line_and_column_and_changes_nothing(client: FlaskClient, kg: KnowledgeGraph) -> None:
    put(client, ALICE)
    before = len(kg)
    response = client.put(
        "/store",
        query_string={"graph": GRAPH},
        data=BOB + "<http://example.org/x> <http://example.org/p> .\n",
        content_type="text/turtle",
        headers={**AUTH, "Accept": "application/problem+json"},
    )
    assert response.status_code == 400
    assert response.json["line"] == 2
    assert response.json["column"] > 0
    assert len(kg) == before
    assert names(client) == {"Alice"}


def test_unknown_content_type_is_415(client: FlaskClient) -> None:
    assert put(client, ALICE, content_type="application/pdf") == 415
    assert client.get("/store", query_string={"graph": GRAPH}).status_code == 404


def test_406_when_no_rdf_format_fits(client: FlaskClient) -> None:
    response = client.get("/store", query_string={"graph": GRAPH_DATA.value}, headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_quads_for_another_graph_are_refused(client: FlaskClient) -> None:
    body = "<http://example.org/s> <http://example.org/p> <http://example.org/o> <http://example.org/other> .\n"
    assert put(client, body, content_type="application/n-quads") == 400


def test_inferred_graph_is_not_writable(client: FlaskClient) -> None:
    assert put(client, ALICE, graph=GRAPH_INFERRED.value) == 403


def test_graph_must_be_named(client: FlaskClient) -> None:
    assert client.get("/store").status_code == 400
    assert client.get("/store", query_string={"graph": "not an iri"}).status_code == 400


def test_writes_need_the_token(client: FlaskClient, kg: KnowledgeGraph) -> None:
    before = len(kg)
    response = client.put("/store", query_string={"graph": GRAPH}, data=ALICE, content_type="text/turtle")
    assert response.status_code == 401
    assert client.delete("/store", query_string={"graph": GRAPH_DATA.value}).status_code == 401
    assert len(kg) == before


def test_writes_change_what_queries_and_inference_see(client: FlaskClient) -> None:
    body = "<https://w3id.org/genai-kg/id/NewBot> a <https://w3id.org/genai-kg/ontology#LargeLanguageModel> .\n"
    assert put(client, body) == 201
    response = client.get(
        "/sparql",
        query_string={"query": "ASK { gaid:NewBot a gai:GenerativeAI }"},
        headers={"Accept": "application/json"},
    )
    assert response.json["boolean"] is True


def test_real_server_put_get_delete(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("--memory")
    url = server.url + "/store"
    headers = {**AUTH, "Content-Type": "text/turtle"}
    assert requests.put(url, params={"graph": GRAPH}, data=ALICE, headers=headers, timeout=30).status_code == 201
    response = requests.get(url, params={"graph": GRAPH}, headers={"Accept": "text/turtle"}, timeout=30)
    assert response.status_code == 200
    assert "Alice" in response.text
    query = {"query": f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p 'Alice' }} }}"}
    assert requests.get(server.url + "/sparql", params=query, timeout=30).json()["boolean"] is True
    assert requests.delete(url, params={"graph": GRAPH}, headers=AUTH, timeout=30).status_code == 204
    assert requests.get(url, params={"graph": GRAPH}, timeout=30).status_code == 404


def test_put_of_an_empty_graph_creates_it(client: FlaskClient) -> None:
    assert put(client, "") == 201
    assert names(client) == set()
    assert put(client, ALICE) == 204
