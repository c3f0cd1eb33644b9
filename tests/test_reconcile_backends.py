"""/reconcile on both backends, and through a real server: the same answers embedded and over a remote engine,
a write seen by the next reconciliation (the matcher is rebuilt when the store's generation changes), and the
work done in the query service's worker processes (its calls and answers pickle)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from flask.testing import FlaskClient

from .conftest import TOKEN, ServerProcess
from .test_reconcile import valid

pytestmark = pytest.mark.both_backends

AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW = """INSERT DATA { GRAPH <http://example.org/mine> {
  gaid:Imagen_9 a gai:AIModel ; rdfs:label "Imagen 9" ; skos:altLabel "<b>Imagen</b> Nine" ;
    gai:developedBy gaid:Google_DeepMind ; gai:releaseDate "2031-01-02"^^xsd:date .
} }"""


def test_reconcile_suggest_and_extend(client: FlaskClient) -> None:
    queries = {
        "a": {"query": "DALLE 3", "type": "AIModel"},
        "b": {"query": "Gemini", "properties": [{"pid": "developedBy", "v": "Google"}]},
    }
    body = valid(
        "reconciliation-result-batch", client.post("/reconcile", data={"queries": json.dumps(queries)}).get_json()
    )
    assert (body["a"]["result"][0]["id"], body["a"]["result"][0]["match"]) == ("DALL-E_3", True)
    assert (body["b"]["result"][0]["id"], body["b"]["result"][0]["match"]) == ("Gemini_chatbot", True)
    suggested = valid("suggest-entities-response", client.get("/reconcile/suggest/entity?prefix=dall").get_json())
    assert "DALL-E_3" in {s["id"] for s in suggested["result"]}
    extension = {"ids": ["DALL-E_3"], "properties": [{"id": "developedBy"}, {"id": "releaseDate"}]}
    rows = valid(
        "data-extension-response", client.get("/reconcile", query_string={"extend": json.dumps(extension)}).get_json()
    )["rows"]
    assert rows["DALL-E_3"] == {
        "developedBy": [{"id": "OpenAI", "name": "OpenAI"}],
        "releaseDate": [{"date": "2023-10-19T00:00:00Z"}],
    }
    valid("manifest", client.get("/reconcile").get_json())


def test_a_write_is_reconciled_at_once(client: FlaskClient) -> None:
    queries = json.dumps({"q": {"query": "imagen 9"}})
    before = client.get("/reconcile", query_string={"queries": queries}).get_json()
    assert "Imagen_9" not in {c["id"] for c in before["q"]["result"]}
    written = client.post("/sparql", data=NEW, content_type="application/sparql-update", headers=AUTH)
    assert written.status_code == 204, written.get_data(as_text=True)
    after = client.get("/reconcile", query_string={"queries": queries}).get_json()["q"]["result"][0]
    assert (after["id"], after["match"]) == ("Imagen_9", True)
    preview = client.get("/reconcile/preview?id=Imagen_9").get_data(as_text=True)
    assert "&lt;b&gt;Imagen&lt;/b&gt; Nine" in preview and "<b>" not in preview


def test_through_a_real_server(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    queries = json.dumps({"q": {"query": "DALL·E 3"}})
    answer = requests.post(f"{server.url}/reconcile", data={"queries": queries}, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    assert valid("reconciliation-result-batch", answer.json())["q"]["result"][0]["id"] == "DALL-E_3"
    script = requests.get(f"{server.url}/reconcile", params={"queries": queries, "callback": "cb"}, timeout=30)
    assert script.headers["Content-Type"].startswith("application/javascript") and script.text.startswith("/**/cb(")
    preview = requests.get(f"{server.url}/reconcile/preview", params={"id": "DALL-E_3"}, timeout=30)
    assert "frame-ancestors *" in preview.headers["Content-Security-Policy"]
    refused = requests.post(f"{server.url}/reconcile", data={"queries": "[" * 100}, timeout=30)
    assert refused.status_code == 400 and "nests" in refused.json()["detail"]
