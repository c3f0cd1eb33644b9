"""/openapi.json describes every named query and the fixed endpoints, validly; /api shows it without calling out."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from graph import named_queries as nq
from server import Config, create_app, openapi

from .conftest import ServerProcess, shipped_in_memory

QUERIES = nq.load()
#: The named-query operations, from the headers alone (the fixed endpoints need an app; see below).
OPERATIONS = [
    (path, method)
    for path, item in openapi.build(QUERIES, Flask(__name__), "http://localhost")["paths"].items()
    for method in item
]


@pytest.fixture(scope="module")
def reader() -> FlaskClient:
    """One app for this module's read-only tests; a fresh store for each would cost most of their time."""
    app = create_app(Config(store=None, query_timeout=10.0), kg=shipped_in_memory())
    app.testing = True
    return app.test_client()


@pytest.fixture(scope="module")
def document(reader: FlaskClient) -> dict[str, Any]:
    response = reader.get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_query_file_is_an_operation(document: dict[str, Any]) -> None:
    files = {path.stem for path in nq.QUERIES_DIR.glob("*.rq")}
    assert {p.removeprefix("/queries/") for p in document["paths"] if p.startswith("/queries/")} == files
    for name in files:
        assert set(document["paths"][f"/queries/{name}"]) == {"get", "post"}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_parameters_follow_the_header(document: dict[str, Any], name: str) -> None:
    query = QUERIES[name]
    get = document["paths"][f"/queries/{name}"]["get"]
    assert get["summary"] == query.title
    described = {p["name"]: p for p in get["parameters"]}
    assert list(described) == [p.name for p in query.params]
    for param in query.params:
        spec = described[param.name]
        assert spec["in"] == "query" and spec["required"] == param.required
        expected_type = {"integer": "integer", "decimal": "number", "boolean": "boolean"}.get(param.type, "string")
        assert spec["schema"]["type"] == expected_type
        assert spec["schema"].get("enum", []) == list(param.enum)
        if param.default is not None:
            assert str(spec["schema"]["default"]) == param.default
    form = document["paths"][f"/queries/{name}"]["post"]["requestBody"]["content"]
    schema = form["application/x-www-form-urlencoded"]["schema"]
    assert set(schema["properties"]) == {p.name for p in query.params}
    media = set(get["responses"]["200"]["content"])
    assert {"application/sparql-results+json", "text/csv", "text/html"} <= media


def test_fixed_endpoints_are_described_when_served(document: dict[str, Any], reader: FlaskClient) -> None:
    assert {"/sparql", "/health"} <= set(document["paths"])
    served = {rule.rule for rule in reader.application.url_map.iter_rules()}
    for path in document["paths"]:
        if not path.startswith("/queries/"):  # those are served by /queries/<name>
            assert re.sub(r"\{(\w+)\}", r"<\1>", path) in served, path


def _example(spec: dict[str, Any]) -> str | None:
    schema = spec.get("schema", {})
    for value in (spec.get("example"), schema.get("default"), (schema.get("enum") or [None])[0]):
        if value is not None:
            return str(value).lower() if isinstance(value, bool) else str(value)
    return None


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_each_named_query_operation_answers(reader: FlaskClient, path: str, method: str) -> None:
    """Call the operation as the document says, with its examples and defaults: it answers in JSON."""
    item = openapi.build(QUERIES, Flask(__name__), "http://localhost")["paths"][path]
    if method == "get":
        values = {p["name"]: v for p in item["get"]["parameters"] if (v := _example(p)) is not None}
        response = reader.get(path, query_string=values, headers={"Accept": "application/sparql-results+json"})
    else:
        values = {p["name"]: v for p in item["get"]["parameters"] if (v := _example(p)) is not None}
        response = reader.post(path, data=values, headers={"Accept": "application/sparql-results+json"})
    if "federation" in QUERIES[path.rsplit("/", 1)[1]].tags:  # its default endpoint is called only when allowed
        assert response.status_code == 400 and "GENAI_KG_ALLOWED_ENDPOINTS" in response.get_data(as_text=True)
        return
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/sparql-results+json"
    body = response.get_json()
    assert "boolean" in body or body["results"]["bindings"]


def test_each_fixed_operation_answers_without_a_server_error(reader: FlaskClient, document: dict[str, Any]) -> None:
    """The fixed endpoints, read-only methods only: called with their examples they never fail with a 5xx."""
    for path, item in document["paths"].items():
        if path.startswith("/queries/") or path == "/infer/consistency":  # SHACL takes seconds; see its own tests
            continue
        for method, operation in item.items():
            if method not in ("get",):
                continue
            url = path
            query: dict[str, str] = {}
            for spec in operation.get("parameters", []):
                value = _example(spec)
                if spec["in"] == "path":
                    url = url.replace("{" + spec["name"] + "}", value or "x")
                elif value is not None:
                    query[spec["name"]] = value
            response = reader.get(url, query_string=query)
            assert response.status_code < 500, (method, url, response.status_code)


def test_the_api_page_is_offline_and_calls_only_this_site(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    page = requests.get(f"{server.url}/api", timeout=30)
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    script = requests.get(f"{server.url}/static/api.js", timeout=30)
    assert "api.js" in page.text and "validatorUrl: null" in script.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, no external script or style
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = requests.get(f"{server.url}/static/vendor/swagger-ui/{asset}", timeout=30)
        assert response.status_code == 200 and len(response.content) > 100_000
    described = requests.get(f"{server.url}/openapi.json", timeout=30).json()
    assert described["servers"] == [{"url": server.url}]
    validate(described)
