"""genai-kg in front of Debian's Virtuoso, the second remote engine: what works there, end to end.

The whole both-backends suite runs on Virtuoso with ``GENAI_KG_TEST_VIRTUOSO=1``; its known differences
(booleans as 0/1, no default graph for updates, no empty graphs, its TSV) are in docs/virtuoso.md.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from graph import KnowledgeGraph, open_knowledge_graph

from .conftest import TOKEN, ServerProcess

pytestmark = pytest.mark.virtuoso_only

LLMS = "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a gai:LargeLanguageModel }"


def number(server: ServerProcess, sparql: str) -> int:
    response = requests.get(server.url + "/sparql", params={"query": sparql}, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_the_shipped_graph_is_loaded_and_reasoned_over_beside_virtuosos_own_graphs(
    backend: str, kg: KnowledgeGraph
) -> None:
    embedded = open_knowledge_graph(None)
    for sparql in (LLMS, "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a gai:GenerativeAI }"):
        assert next(iter(kg.query(sparql)))["n"] == next(iter(embedded.query(sparql)))["n"]
    assert kg.query("ASK { gaid:ChatGPT a gai:LLMPoweredProduct }")  # a defined class, inferred


def test_two_processes_in_front_of_virtuoso_share_writes_and_inferences(
    backend: str, serve: Callable[..., ServerProcess]
) -> None:
    first, second = serve("--memory"), serve("--memory")
    before = number(first, LLMS)
    response = requests.post(
        second.url + "/sparql",
        data={"update": "INSERT DATA { GRAPH <urn:virtuoso-test> { gaid:V1 a gai:MultimodalLLM } }"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 204, response.text
    assert number(first, LLMS) == number(second, LLMS) == before + 1
    explained = requests.get(first.url + "/infer/is-a", params={"iri": "gaid:V1", "class": "gai:GenerativeAI"})
    assert explained.json()["result"] is True
    page = requests.get(first.url + "/id/V1", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and "multimodal" in page.text.lower()


def test_a_page_and_a_construct_in_every_format(backend: str, serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    page = requests.get(server.url + "/id/ChatGPT", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and "ChatGPT" in page.text and "generative AI" in page.text
    construct = "CONSTRUCT { gaid:OpenAI ?p ?o } WHERE { gaid:OpenAI ?p ?o }"
    for media in ("text/turtle", "application/n-triples", "application/n-quads", "application/ld+json"):
        answer = requests.get(server.url + "/sparql", params={"query": construct}, headers={"Accept": media})
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(media), (media, answer.text)
        assert "OpenAI" in answer.text


def test_virtuosos_partial_answer_at_the_budget_is_a_503(backend: str, serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--query-timeout", "1", "--sparql-timeout-parameter", "timeout={milliseconds}")
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    response = requests.get(server.url + "/sparql", params={"query": slow}, timeout=60)
    assert response.status_code == 503, response.text
    assert number(server, LLMS) > 0
