"""HTTP validators: an ETag from the store's generation and the request; If-None-Match answers 304 unread."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from .conftest import TOKEN

UPDATE = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
READS = [
    "/id/ChatGPT",
    "/id/ChatGPT.ttl",
    "/ontology",
    "/.well-known/void",
    "/sparql?query=ASK%20%7B%20gaid%3AChatGPT%20%3Fp%20%3Fo%20%7D",
    "/queries/multimodal-models.json",
    "/dump.nq",
    "/store?graph=https://w3id.org/genai-kg/graph/ontology",
    "/matrix",
    "/",
]


@pytest.mark.parametrize("path", READS)
def test_a_read_is_tagged_and_revalidated_without_work(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    service = client.application.extensions["genai_kg_service"]
    before = service.counts["total"]
    again = client.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    assert service.counts["total"] == before  # nothing was read to answer it


def test_a_write_changes_every_tag(client: FlaskClient) -> None:
    tag = client.get("/id/ChatGPT").headers["ETag"]
    response = client.post("/sparql", data="INSERT DATA { gaid:ChatGPT rdfs:comment 'changed' }", headers=UPDATE)
    assert response.status_code == 204
    fresh = client.get("/id/ChatGPT", headers={"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != tag and b"changed" in fresh.data


def test_the_variant_is_part_of_the_tag(client: FlaskClient) -> None:
    turtle = client.get("/id/ChatGPT", headers={"Accept": "text/turtle"}).headers["ETag"]
    jsonld = client.get("/id/ChatGPT", headers={"Accept": "application/ld+json"})
    assert jsonld.headers["ETag"] != turtle
    stale = client.get("/id/ChatGPT", headers={"Accept": "application/ld+json", "If-None-Match": turtle})
    assert stale.status_code == 200


def test_writes_errors_and_operations_are_not_tagged(client: FlaskClient) -> None:
    assert "ETag" not in client.post("/sparql", data={"query": "ASK {}"}).headers
    assert "ETag" not in client.get("/id/NoSuchThing").headers
    assert "ETag" not in client.get("/health").headers
    assert "ETag" not in client.get("/metrics").headers


def test_where_links_point_is_part_of_the_tag(client: FlaskClient) -> None:
    """Without a configured base URL, pages link to the host asked: another host is another representation."""
    path = "/sparql?query=ASK%20%7B%7D"
    one = client.get(path, base_url="http://one.example").headers["ETag"]
    assert client.get(path, base_url="http://one.example").headers["ETag"] == one
    assert client.get(path, base_url="http://two.example").headers["ETag"] != one
    assert client.get(path, base_url="http://one.example/proxy").headers["ETag"] != one
