"""Federation: named queries that join our graph with an allowed endpoint through ``SERVICE``.

A second ``oxigraph serve`` holds a small Wikidata-shaped graph made here (items, ``rdfs:label``,
``wdt:P31``, ``wdt:P571`` inception, ``wdt:P856`` website) and is allowed by ``allowed_endpoints``, so the
named queries that default to Wikidata's endpoint run against it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient
from pyoxigraph import NamedNode, QuerySolutions

from graph import named_queries
from graph.store import KnowledgeGraph
from server.app import create_app
from server.config import Config

from .conftest import LocalEndpoint, local_endpoint
from .engines.oxigraph import OxigraphEngine, start_oxigraph

WIKIDATA = """
PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
INSERT DATA {
  wd:Q21708200 wdt:P31 wd:Q4830453 ; rdfs:label "OpenAI"@en, "OpenAI"@fr ;
    wdt:P571 "2015-12-11T00:00:00Z"^^xsd:dateTime ; wdt:P856 <https://openai.com/> .
  wd:Q116758847 wdt:P31 wd:Q4830453 ; rdfs:label "Anthropic"@en ;
    wdt:P571 "2021-01-01T00:00:00Z"^^xsd:dateTime ; wdt:P856 <https://www.anthropic.com/> .
  wd:Q2283 wdt:P31 wd:Q4830453 ; rdfs:label "Microsoft"@en ; wdt:P856 <https://www.microsoft.com/> .
  wd:Q115564437 wdt:P31 wd:Q1668024 ; rdfs:label "ChatGPT"@en ;
    wdt:P571 "2022-11-30T00:00:00Z"^^xsd:dateTime ; wdt:P178 wd:Q21708200 .
  wd:Q4830453 rdfs:label "business"@en .
}
"""


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphEngine]:
    """A second endpoint that answers like Wikidata for a few of the items our graph links to."""
    started = start_oxigraph(tmp_path_factory.mktemp("wikidata"))
    started.update(WIKIDATA)
    yield started
    started.stop()


def _allowing(kg: KnowledgeGraph, config: Config, *endpoints: str) -> FlaskClient:
    return create_app(replace(config, allowed_endpoints=endpoints), kg=kg).test_client()


def _rows(response: requests.Response | object) -> list[dict[str, str]]:
    data = response.json  # type: ignore[attr-defined]
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


@pytest.mark.both_backends
def test_organizations_joined_with_the_allowed_endpoint(
    kg: KnowledgeGraph, config: Config, wikidata: OxigraphEngine
) -> None:
    client = _allowing(kg, config, wikidata.url + "/query")
    response = client.get(
        "/queries/organizations-wikidata",
        query_string={"endpoint": wikidata.url + "/query"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.data
    rows = {row["label"]: row for row in _rows(response)}
    assert set(rows) == {"OpenAI", "Anthropic", "Microsoft"}  # the others are not in this "Wikidata"
    assert rows["OpenAI"]["inception"] == "2015-12-11T00:00:00Z"
    assert rows["OpenAI"]["website"] == "https://openai.com/"
    assert rows["OpenAI"]["organization"] == "https://w3id.org/genai-kg/id/OpenAI"
    assert int(rows["OpenAI"]["models"]) > 0  # our side of the join
    assert "inception" not in rows["Microsoft"]


def test_products_joined_with_the_allowed_endpoint(
    kg: KnowledgeGraph, config: Config, wikidata: OxigraphEngine
) -> None:
    client = _allowing(kg, config, wikidata.url + "/")
    response = client.get("/queries/products-wikidata.json", query_string={"endpoint": wikidata.url + "/query"})
    assert response.status_code == 200, response.data
    (chatgpt,) = _rows(response)
    assert chatgpt["resource"] == "https://w3id.org/genai-kg/id/ChatGPT"
    assert chatgpt["wikidataDeveloperLabel"] == "OpenAI"
    assert chatgpt["inception"] == "2022-11-30T00:00:00Z"


def test_the_default_endpoint_is_wikidata_and_refused_unless_allowed(client: FlaskClient) -> None:
    response = client.get("/queries/organizations-wikidata", headers={"Accept": "application/json"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "https://query.wikidata.org/sparql" in text and "GENAI_KG_ALLOWED_ENDPOINTS" in text
    listed = client.get("/queries.json").json["queries"]
    (described,) = [q for q in listed if q["name"] == "organizations-wikidata"]
    assert described["params"][0] == {**described["params"][0], "type": "iri", "default": WIKIDATA_ENDPOINT}


WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"


@pytest.fixture
def counter() -> Iterator[LocalEndpoint]:
    """An endpoint that counts calls and answers an empty result; slowly when a test sets its ``delay``."""
    empty = b'{"head":{"vars":["item"]},"results":{"bindings":[]}}'
    with local_endpoint(200, empty, "application/sparql-results+json") as endpoint:
        yield endpoint


@pytest.mark.parametrize("name", ["organizations-wikidata", "products-wikidata"])
def test_an_endpoint_not_allowed_is_400_before_any_call(
    kg: KnowledgeGraph, config: Config, wikidata: OxigraphEngine, counter: LocalEndpoint, name: str
) -> None:
    client = _allowing(kg, config, wikidata.url + "/query")
    response = client.get(f"/queries/{name}", query_string={"endpoint": counter.url + "/sparql"})
    assert response.status_code == 400
    assert f"<{counter.url}/sparql> is not an allowed endpoint" in response.get_data(as_text=True)
    page = client.get(f"/queries/{name}.html", query_string={"endpoint": counter.url + "/sparql"})
    assert page.status_code == 400
    assert counter.calls == []


def test_an_endpoint_not_allowed_is_400_on_the_sparql_endpoint_too(
    kg: KnowledgeGraph, config: Config, wikidata: OxigraphEngine, counter: LocalEndpoint
) -> None:
    client = _allowing(kg, config, wikidata.url + "/query")
    sparql = named_queries.with_endpoints(
        named_queries.load()["organizations-wikidata"].sparql, (("endpoint", NamedNode(counter.url + "/sparql")),)
    )[0]
    response = client.get("/sparql", query_string={"query": sparql})
    assert response.status_code == 400 and b"GENAI_KG_ALLOWED_ENDPOINTS" in response.data
    assert counter.calls == []


def test_a_slow_remote_part_is_cut_at_the_budget(serve, counter: LocalEndpoint) -> None:  # type: ignore[no-untyped-def]
    counter.delay = 20.0
    server = serve("--memory", "--query-timeout", "2", GENAI_KG_ALLOWED_ENDPOINTS=counter.url + "/")
    started = time.monotonic()
    response = requests.get(
        server.url + "/queries/organizations-wikidata",
        params={"endpoint": counter.url + "/sparql"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 503
    assert time.monotonic() - started < 10
    assert counter.calls  # it was called, and given up on


def test_a_large_remote_answer_is_cut_by_the_limit_in_the_service_block(
    kg: KnowledgeGraph, config: Config, tmp_path: Path
) -> None:
    large = start_oxigraph(tmp_path)
    try:
        labels = ", ".join(f'"OpenAI {i}"@en' for i in range(500))
        large.update(f"INSERT DATA {{ <http://www.wikidata.org/entity/Q21708200> <{RDFS_LABEL}> {labels} }}")
        client = _allowing(kg, config, large.url + "/query")
        response = client.get("/queries/organizations-wikidata.json", query_string={"endpoint": large.url + "/query"})
        assert response.status_code == 200
        assert len(_rows(response)) == 100
    finally:
        large.stop()


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@pytest.mark.parametrize(("name", "match"), [("organizations-wikidata", "exactMatch"), ("products-wikidata", "Match")])
def test_the_items_asked_for_are_those_our_graph_links_to(kg: KnowledgeGraph, name: str, match: str) -> None:
    text = named_queries.load()[name].sparql
    listed = set(re.findall(r"wd:(Q\d+)", text.split("SERVICE", 1)[1]))
    found = kg.query(
        "SELECT DISTINCT ?item WHERE { ?r ?m ?item . ?r a ?type . "
        f"FILTER(STRSTARTS(STR(?item), 'http://www.wikidata.org/entity/') && STRENDS(STR(?m), '{match}')) "
        "FILTER(STRSTARTS(STR(?m), 'http://www.w3.org/2004/02/skos/core#')) "
        f"FILTER(?type = <https://w3id.org/genai-kg/ontology#{'Organization' if 'org' in name else 'Product'}>"
        " || ?type = <https://w3id.org/genai-kg/ontology#ModelFamily>) }"
    )
    assert isinstance(found, QuerySolutions)
    assert listed == {row["item"].value.rsplit("/", 1)[1] for row in found}  # type: ignore[union-attr]


def test_service_description_and_void_list_the_allowed_endpoints(kg: KnowledgeGraph, config: Config) -> None:
    client = _allowing(kg, config, WIKIDATA_ENDPOINT, "http://127.0.0.1:7878/query")
    sd = client.get("/sparql", headers={"Accept": "application/n-triples"}).get_data(as_text=True)
    for endpoint in (WIKIDATA_ENDPOINT, "http://127.0.0.1:7878/query"):
        assert f"<http://www.w3.org/ns/sparql-service-description#endpoint> <{endpoint}> ." in sd
    void = client.get("/.well-known/void", headers={"Accept": "application/n-triples"}).get_data(as_text=True)
    assert f"<http://www.wikidata.org/> <http://rdfs.org/ns/void#sparqlEndpoint> <{WIKIDATA_ENDPOINT}> ." in void
    assert "<http://rdfs.org/ns/void#sparqlEndpoint> <http://127.0.0.1:7878/query> ." in void
    plain = create_app(config, kg=kg).test_client()
    assert "federated" not in plain.get("/.well-known/void", headers={"Accept": "text/turtle"}).get_data(as_text=True)
