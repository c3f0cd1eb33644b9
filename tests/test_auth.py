"""Who may write (a Bearer token; 401 or 403 otherwise) and who may read from another origin (CORS)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from graph import KnowledgeGraph
from server import Config, create_app

from .conftest import TOKEN

INSERT = "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"


def client_for(kg: KnowledgeGraph, config: Config, **changes: object) -> FlaskClient:
    app = create_app(replace(config, **changes), kg=kg)
    app.testing = True
    return app.test_client()


def writes(client: FlaskClient, headers: dict[str, str]) -> list[int]:
    """The statuses of one write of each kind: update, GSP PUT, POST, DELETE."""
    store = {"graph": "http://example.org/g"}
    body = "<http://example.org/s> <http://example.org/p> <http://example.org/o> ."
    return [
        client.post("/sparql", data=INSERT, content_type="application/sparql-update", headers=headers).status_code,
        client.post("/sparql", data={"update": INSERT}, headers=headers).status_code,
        client.put("/store", query_string=store, data=body, content_type="text/turtle", headers=headers).status_code,
        client.post("/store", query_string=store, data=body, content_type="text/turtle", headers=headers).status_code,
        client.delete("/store", query_string=store, headers=headers).status_code,
    ]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer "}],
)
def test_missing_or_wrong_token_is_401_and_changes_nothing(
    client: FlaskClient, kg: KnowledgeGraph, headers: dict[str, str]
) -> None:
    before = len(kg)
    assert writes(client, headers) == [401] * 5
    assert len(kg) == before
    response = client.post("/sparql", data=INSERT, content_type="application/sparql-update", headers=headers)
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert b"Authorization: Bearer" in response.data


def test_right_token_writes(client: FlaskClient, kg: KnowledgeGraph) -> None:
    before = len(kg)
    assert writes(client, {"Authorization": f"Bearer {TOKEN}"}) == [204, 204, 201, 204, 204]
    assert len(kg) == before + 1


def test_no_token_configured_is_403(kg: KnowledgeGraph, config: Config) -> None:
    client = client_for(kg, config, token=None)
    before = len(kg)
    assert writes(client, {"Authorization": f"Bearer {TOKEN}"}) == [403] * 5
    response = client.post("/sparql", data=INSERT, content_type="application/sparql-update")
    assert b"GENAI_KG_TOKEN" in response.data
    assert len(kg) == before


def test_read_only_is_403_even_with_the_token(kg: KnowledgeGraph, config: Config) -> None:
    client = client_for(kg, config, read_only=True)
    before = len(kg)
    assert writes(client, {"Authorization": f"Bearer {TOKEN}"}) == [403] * 5
    response = client.post("/sparql", data=INSERT, content_type="application/sparql-update")
    assert b"read-only" in response.data
    assert len(kg) == before


def test_reads_need_no_token(client: FlaskClient) -> None:
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    assert client.get("/store", query_string={"graph": "https://w3id.org/genai-kg/graph/data"}).status_code == 200
    assert client.get("/sparql").status_code == 200


def test_cors_preflight_allows_authorization_and_content_type(client: FlaskClient) -> None:
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://yasgui.example")
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_cors_read_from_any_origin(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://elsewhere.example")


@pytest.fixture
def allow_listed(kg: KnowledgeGraph, config: Config) -> Flask:
    app = create_app(replace(config, cors_origins=("https://ok.example",)), kg=kg)
    app.testing = True
    return app


def test_cors_allow_list(allow_listed: Flask) -> None:
    client = allow_listed.test_client()
    ok = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://ok.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://ok.example"
    other = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_real_server_refuses_writes_without_the_token(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("--memory")
    url = server.url + "/sparql"
    count = server.quads()
    headers = {"Content-Type": "application/sparql-update"}
    response = requests.post(url, data="CLEAR ALL", headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    response = requests.post(url, data="CLEAR ALL", headers={**headers, "Authorization": "Bearer nope"}, timeout=30)
    assert response.status_code == 401
    assert server.quads() == count
    preflight = requests.options(
        url,
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
        timeout=30,
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_real_server_without_a_token_refuses_writes(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("--memory", token=None)
    headers = {"Content-Type": "application/sparql-update", "Authorization": "Bearer anything"}
    response = requests.post(server.url + "/sparql", data="CLEAR ALL", headers=headers, timeout=30)
    assert response.status_code == 403


def test_cors_preflight_allows_other_request_headers(client: FlaskClient) -> None:
    response = client.options(
        "/store",
        headers={
            "Origin": "https://comunica.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, x-requested-with",
        },
    )
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "x-requested-with"} <= {h.strip() for h in allowed.split(",")}
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("origins", [("*",), ("https://ok.example",)])
def test_cors_headers_without_origin_are_those_flask_cors_gives(
    kg: KnowledgeGraph, config: Config, origins: tuple[str, ...]
) -> None:
    """Requests without ``Origin`` reuse the headers flask-cors gave the first one: the same headers every time,
    and a request with ``Origin`` still gets its own answer."""
    app = create_app(replace(config, cors_origins=origins), kg=kg)
    client = app.test_client()

    def cors(response: TestResponse) -> dict[str, str]:
        return {k: v for k, v in response.headers.items() if k.startswith("Access-Control-") or k == "Vary"}

    first = cors(client.get("/sparql?query=ASK%20%7B%7D"))
    assert cors(client.get("/sparql?query=ASK%20%7B%7D")) == first
    assert cors(client.get("/id/ChatGPT", headers={"Accept": "text/turtle"})).items() >= {
        (k, v) for k, v in first.items() if k != "Vary"
    }
    if origins == ("*",):
        assert first["Access-Control-Allow-Origin"] == "*" and "Retry-After" in first["Access-Control-Expose-Headers"]
    with_origin = client.get("/sparql?query=ASK%20%7B%7D", headers={"Origin": "https://ok.example"})
    assert with_origin.headers["Access-Control-Allow-Origin"] == "https://ok.example"
    other = client.get("/sparql?query=ASK%20%7B%7D", headers={"Origin": "https://other.example"})
    assert ("Access-Control-Allow-Origin" in other.headers) == (origins == ("*",))
