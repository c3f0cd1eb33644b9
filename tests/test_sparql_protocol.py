"""The SPARQL 1.1 Protocol at /sparql: the ways to send queries and updates, formats, errors, limits."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from xml.etree import ElementTree

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import RdfFormat, parse

from graph import KnowledgeGraph
from server import Config, create_app
from server.negotiation import GRAPH_TYPES

from .conftest import TOKEN, LocalEndpoint, local_endpoint

pytestmark = pytest.mark.both_backends

AUTH = {"Authorization": f"Bearer {TOKEN}"}
ASK_CHATGPT = "ASK { gaid:ChatGPT a gai:Product }"
SELECT = "SELECT ?label WHERE { gaid:OpenAI rdfs:label ?label } LIMIT 1"
CONSTRUCT = "CONSTRUCT { gaid:OpenAI ?p ?o } WHERE { gaid:OpenAI ?p ?o }"
INSERT = "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }"
ASK_INSERTED = "ASK { <http://example.org/s> <http://example.org/p> 1 }"


def ask(client: FlaskClient, sparql: str, **params: str) -> bool:
    response = client.get("/sparql", query_string={"query": sparql, **params}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.data
    return bool(response.json["boolean"])


# -- the three ways to send a query ----------------------------------------------------------------


def test_query_by_get(client: FlaskClient) -> None:
    assert ask(client, ASK_CHATGPT)


def test_query_by_post_form(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"query": ASK_CHATGPT}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json["boolean"] is True and "head" in response.json  # head may carry links (Virtuoso's does)


def test_query_by_post_body(client: FlaskClient) -> None:
    response = client.post(
        "/sparql", data=ASK_CHATGPT, content_type="application/sparql-query", headers={"Accept": "application/json"}
    )
    assert response.json["boolean"] is True


def test_unknown_parameters_are_ignored(client: FlaskClient) -> None:
    """SPARQLWrapper adds format/output/results, YASGUI adds method: none of them may break a query."""
    assert ask(client, ASK_CHATGPT, format="json", output="json", results="json", method="GET")


# -- results in every format ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("*/*", "application/sparql-results+json"),
        (None, "application/sparql-results+json"),
    ],
)
def test_select_formats(client: FlaskClient, accept: str | None, media_type: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": SELECT}, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.vary
    body = response.get_data(as_text=True)
    if media_type.endswith("json"):
        assert json.loads(body)["results"]["bindings"][0]["label"]["value"] == "OpenAI"
    elif media_type.endswith("xml"):
        ns = "{http://www.w3.org/2005/sparql-results#}"
        assert ElementTree.fromstring(body).find(f".//{ns}literal").text == "OpenAI"  # type: ignore[union-attr]
    elif media_type == "text/csv":
        assert list(csv.reader(io.StringIO(body))) == [["label"], ["OpenAI"]]
    else:
        assert body.splitlines() == ["?label", '"OpenAI"'] or body.splitlines()[1].startswith('"OpenAI"')


@pytest.mark.parametrize("media_type", GRAPH_TYPES)
def test_construct_formats(client: FlaskClient, media_type: str) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    rdf_format = RdfFormat.from_media_type(media_type)
    assert rdf_format is not None
    triples = list(parse(response.data, format=rdf_format))
    assert any(t.object.value == "OpenAI" for t in triples)


def test_describe_is_a_graph(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "DESCRIBE gaid:OpenAI"}, headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"


def test_406_when_no_format_fits(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "image/png"})
    assert response.status_code == 406


# -- the dataset ------------------------------------------------------------------------------------


def test_default_graph_uri_and_named_graph_uri(client: FlaskClient) -> None:
    client.post("/sparql", data=INSERT, content_type="application/sparql-update", headers=AUTH)
    assert ask(client, ASK_INSERTED, **{"default-graph-uri": "http://example.org/g"})
    assert not ask(client, ASK_CHATGPT, **{"default-graph-uri": "http://example.org/g"})
    assert ask(
        client, "ASK { GRAPH <http://example.org/g> { ?s ?p ?o } }", **{"named-graph-uri": "http://example.org/g"}
    )
    assert not ask(client, "ASK { GRAPH ?g { gaid:ChatGPT ?p ?o } }", **{"named-graph-uri": "http://example.org/g"})


def test_infer_false_leaves_entailments_out(client: FlaskClient) -> None:
    """ChatGPT is an LLM-powered product only by inference."""
    inferred = "ASK { gaid:ChatGPT a gai:LLMPoweredProduct }"
    assert ask(client, inferred)
    assert not ask(client, inferred, infer="false")


# -- updates ----------------------------------------------------------------------------------------


def test_update_by_post_body_then_visible(client: FlaskClient) -> None:
    response = client.post("/sparql", data=INSERT, content_type="application/sparql-update", headers=AUTH)
    assert response.status_code == 204
    assert ask(client, ASK_INSERTED)


def test_update_by_post_form(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"update": INSERT}, headers=AUTH)
    assert response.status_code == 204
    assert ask(client, ASK_INSERTED)


def test_using_graph_uri_sets_the_where_dataset(client: FlaskClient) -> None:
    client.post("/sparql", data=INSERT, content_type="application/sparql-update", headers=AUTH)
    update = "INSERT { GRAPH <http://example.org/copy> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    response = client.post(
        "/sparql?using-graph-uri=http%3A%2F%2Fexample.org%2Fg",
        data=update,
        content_type="application/sparql-update",
        headers=AUTH,
    )
    assert response.status_code == 204
    assert ask(client, "ASK { GRAPH <http://example.org/copy> { <http://example.org/s> ?p ?o } }")
    assert not ask(client, "ASK { GRAPH <http://example.org/copy> { gaid:ChatGPT ?p ?o } }")


def test_using_named_graph_uri_in_a_form(client: FlaskClient) -> None:
    client.post("/sparql", data=INSERT, content_type="application/sparql-update", headers=AUTH)
    update = "INSERT { GRAPH <http://example.org/copy> { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.post(
        "/sparql", data={"update": update, "using-named-graph-uri": "http://example.org/g"}, headers=AUTH
    )
    assert response.status_code == 204
    assert ask(client, "ASK { GRAPH <http://example.org/copy> { <http://example.org/s> ?p ?o } }")
    assert not ask(client, "ASK { GRAPH <http://example.org/copy> { gaid:ChatGPT ?p ?o } }")


def test_using_in_text_and_in_parameters_is_refused(client: FlaskClient, kg: KnowledgeGraph) -> None:
    before = len(kg)
    update = "WITH <http://example.org/g> INSERT { ?s a <http://example.org/T> } WHERE { ?s ?p ?o }"
    response = client.post(
        "/sparql?using-named-graph-uri=http%3A%2F%2Fexample.org%2Fg",
        data=update,
        content_type="application/sparql-update",
        headers=AUTH,
    )
    assert response.status_code == 400
    assert b"USING or WITH" in response.data
    assert len(kg) == before


def test_relative_iris_in_an_update_resolve_against_the_endpoint(client: FlaskClient) -> None:
    update = "INSERT DATA { GRAPH <http://example.org/base> { <http://example.org/s> <http://example.org/p> <test> } }"
    client.post("/sparql", data=update, content_type="application/sparql-update", headers=AUTH)
    assert ask(client, "ASK { GRAPH <http://example.org/base> { ?s ?p <http://localhost/test> } }")


# -- refusals ---------------------------------------------------------------------------------------


def test_update_by_get_is_refused_and_not_run(client: FlaskClient, kg: KnowledgeGraph) -> None:
    before = len(kg)
    response = client.get("/sparql", query_string={"update": "CLEAR ALL"}, headers=AUTH)
    assert response.status_code == 400
    assert len(kg) == before


def test_update_in_the_url_of_a_post_is_refused(client: FlaskClient, kg: KnowledgeGraph) -> None:
    before = len(kg)
    response = client.post("/sparql?update=CLEAR%20ALL", data={"query": "ASK {}"}, headers=AUTH)
    assert response.status_code == 400
    assert len(kg) == before


def test_update_sent_as_a_query_is_refused(client: FlaskClient, kg: KnowledgeGraph) -> None:
    before = len(kg)
    response = client.post("/sparql", data="CLEAR ALL", content_type="application/sparql-query", headers=AUTH)
    assert response.status_code == 400
    assert len(kg) == before


def test_query_and_update_together_are_refused(client: FlaskClient, kg: KnowledgeGraph) -> None:
    before = len(kg)
    response = client.post("/sparql", data={"query": "ASK {}", "update": "CLEAR ALL"}, headers=AUTH)
    assert response.status_code == 400
    assert len(kg) == before


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("ASK {}", "text/plain", 415),
        ("ASK {}", None, 415),
        ("ASK {}", "application/sparql-query; charset=UTF-16", 415),
        ("CLEAR NAMED", "application/sparql-update; charset=UTF-16", 415),
        ("query=ASK%20%7B%7D&query=ASK%20%7B%7D", "application/x-www-form-urlencoded", 400),
        ("update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", "application/x-www-form-urlencoded", 400),
        ("update=CLEAR%20XYZ", "application/x-www-form-urlencoded", 400),
        ("", "application/x-www-form-urlencoded", 400),
    ],
)
def test_bad_requests(
    client: FlaskClient, kg: KnowledgeGraph, data: str, content_type: str | None, status: int
) -> None:
    before = len(kg)
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = client.post("/sparql", data=data.encode(), headers=headers)
    assert response.status_code == status, response.data
    assert len(kg) == before


def test_bad_query_syntax_says_where(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert b"line" in response.data or b"column" in response.data or b"expected" in response.data


def test_two_queries_in_a_get_are_refused(client: FlaskClient) -> None:
    response = client.get("/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert response.status_code == 400


def test_bad_non_utf8_body(client: FlaskClient) -> None:
    response = client.post("/sparql", data='ASK { "é" }'.encode("latin-1"), content_type="application/sparql-query")
    assert response.status_code == 400


# -- no query: the editor or the Service Description ------------------------------------------------


def test_no_query_answers_with_the_service_description(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert b"sparql-service-description" in response.data


def test_browser_gets_the_editor(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"


# -- limits -----------------------------------------------------------------------------------------


@pytest.fixture
def small_app(kg: KnowledgeGraph, config: Config) -> Flask:
    app = create_app(replace(config, max_query_length=100, max_body_bytes=1000), kg=kg)
    app.testing = True
    return app


def test_long_query_is_413(small_app: Flask) -> None:
    query = "ASK { " + " ".join(f"<urn:x{i}> ?p ?o ." for i in range(20)) + " }"
    response = small_app.test_client().get("/sparql", query_string={"query": query})
    assert response.status_code == 413
    assert b"at most 100" in response.data


def test_large_body_is_413_and_not_run(small_app: Flask, kg: KnowledgeGraph) -> None:
    before = len(kg)
    body = "INSERT DATA { " + " ".join(f"<urn:s> <urn:p> {i} ." for i in range(500)) + " }"
    response = small_app.test_client().post(
        "/sparql", data=body, content_type="application/sparql-update", headers=AUTH
    )
    assert response.status_code == 413
    assert len(kg) == before


# -- a real server ----------------------------------------------------------------------------------


def test_real_server_update_then_query(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("--memory")
    url = server.url + "/sparql"
    response = requests.post(
        url, data=INSERT, headers={**AUTH, "Content-Type": "application/sparql-update"}, timeout=30
    )
    assert response.status_code == 204
    response = requests.get(url, params={"query": ASK_INSERTED}, headers={"Accept": "application/json"}, timeout=30)
    assert response.json()["boolean"] is True
    response = requests.post(url, data={"query": SELECT}, headers={"Accept": "text/csv"}, timeout=30)
    assert response.status_code == 200
    assert list(csv.reader(response.text.splitlines())) == [["label"], ["OpenAI"]]  # quoted or not
    response = requests.get(url, params={"update": "CLEAR ALL"}, headers=AUTH, timeout=30)
    assert response.status_code == 400
    assert requests.get(url, params={"query": ASK_INSERTED}, timeout=30).json()["boolean"] is True


def test_real_server_body_limit_from_the_environment(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve("--memory", GENAI_KG_MAX_BODY_BYTES="2000")
    before = server.quads()
    body = "INSERT DATA { " + " ".join(f"<urn:s> <urn:p> {i} ." for i in range(400)) + " }"
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    response = requests.post(server.url + "/sparql", data=body, headers=headers, timeout=30)
    assert response.status_code == 413
    assert server.quads() == before


def _allowing(kg: KnowledgeGraph, config: Config, *endpoints: str) -> FlaskClient:
    return create_app(replace(config, allowed_endpoints=endpoints), kg=kg).test_client()


def test_service_reaches_an_allowed_endpoint(serve, kg: KnowledgeGraph, config: Config) -> None:  # type: ignore[no-untyped-def]
    remote = serve("--memory")
    client = _allowing(kg, config, remote.url + "/sparql")
    query = f"ASK {{ SERVICE <{remote.url}/sparql> {{ gaid:ChatGPT a gai:Product }} }}"
    assert ask(client, query)
    description = client.get("/sparql", headers={"Accept": "text/turtle"}).data
    assert b"BasicFederatedQuery" in description


@pytest.fixture
def trap() -> Iterator[LocalEndpoint]:
    """An endpoint that counts calls and answers an error whose body holds a secret."""
    with local_endpoint(500, b"db_password=hunter2") as endpoint:
        yield endpoint


@pytest.mark.parametrize(
    "query",
    [
        "ASK {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "ASK {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
        "PREFIX t: <{url}/> ASK {{ SERVICE t:sparql {{ ?s ?p ?o }} }}",
        "SELECT * {{ BIND(<{url}/sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    ],
)
def test_service_to_an_endpoint_not_allowed_is_refused_before_any_call(
    client: FlaskClient, trap: LocalEndpoint, query: str
) -> None:
    response = client.get("/sparql", query_string={"query": query.format(url=trap.url)})
    assert response.status_code == 400
    assert b"GENAI_KG_ALLOWED_ENDPOINTS" in response.data
    assert trap.calls == []
    assert b"BasicFederatedQuery" not in client.get("/sparql", headers={"Accept": "text/turtle"}).data


def test_a_failing_allowed_endpoint_is_400_and_its_answer_is_never_shown(
    kg: KnowledgeGraph, config: Config, trap: LocalEndpoint
) -> None:
    client = _allowing(kg, config, trap.url + "/sparql")
    response = client.get("/sparql", query_string={"query": f"ASK {{ SERVICE <{trap.url}/sparql> {{ ?s ?p ?o }} }}"})
    assert response.status_code == 400
    assert trap.calls
    assert b"hunter2" not in response.data
    assert b"SERVICE call failed" in response.data


def test_unreachable_allowed_service_is_400_not_500(kg: KnowledgeGraph, config: Config) -> None:
    from .conftest import free_port

    endpoint = f"http://127.0.0.1:{free_port()}/sparql"
    client = _allowing(kg, config, endpoint)
    response = client.get(
        "/sparql", query_string={"query": f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"}
    )
    assert response.status_code == 400
    assert b"SERVICE call failed" in response.data


def test_load_from_an_endpoint_not_allowed_is_refused(client: FlaskClient, trap: LocalEndpoint) -> None:
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    response = client.post("/sparql", data=f"LOAD <{trap.url}/data.ttl>", headers=headers)
    assert response.status_code == 400
    assert trap.calls == []


def test_too_many_queries_at_once_is_503_with_retry_after(kg: KnowledgeGraph, config: Config) -> None:
    from graph.querying.work import QueryRequest

    app = create_app(replace(config, max_queries=2, query_workers=0), kg=kg)
    client = app.test_client()
    service = app.extensions["genai_kg_service"]
    held = [service.run(QueryRequest("SELECT * { ?s ?p ?o } LIMIT 1")) for _ in range(2)]  # unsent answers
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert b"2 requests" in response.data
    for answer in held:
        answer.chunks.close()
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


def test_trailing_slash_is_the_same_endpoint(client: FlaskClient) -> None:
    response = client.get("/sparql/", query_string={"query": ASK_CHATGPT}, headers={"Accept": "application/json"})
    assert response.json["boolean"] is True


@pytest.mark.parametrize("accept", ["text/csv", "text/tab-separated-values"])
def test_a_text_answer_names_its_charset_once(client: FlaskClient, accept: str) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": accept})
    assert response.headers["Content-Type"] == f"{accept}; charset=utf-8"
