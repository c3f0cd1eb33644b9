"""The inference API under /infer/, the SPARQL switch and the CLI, through real clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import RdfFormat, parse

from graph import KnowledgeGraph
from graph.inference.vocabulary import OWL
from graph.loading import parse_quads
from graph.namespaces import GRAPH_ONTOLOGY
from server import Config, create_app
from server.cli import main

from .conftest import TOKEN, ServerProcess
from .test_inference_university import DATA, ONTOLOGY, UB, generate

pytestmark = pytest.mark.both_backends

GAI = "https://w3id.org/genai-kg/ontology#"


def test_types_separate_asserted_from_inferred(client: FlaskClient) -> None:
    body = client.get("/infer/types?iri=gaid:ChatGPT").get_json()
    asserted = {c["iri"] for c in body["asserted"]}
    inferred = {c["iri"] for c in body["inferred"]}
    assert GAI + "Product" in asserted
    assert {GAI + "GenerativeAI", GAI + "LLMPoweredProduct"} <= inferred
    assert not asserted & inferred


def test_is_a_explains_a_positive_answer(client: FlaskClient) -> None:
    body = client.get("/infer/is-a", query_string={"iri": "gaid:ChatGPT", "class": "gai:LLMPoweredProduct"}).get_json()
    assert body["result"] is True
    explanation = body["explanation"]
    assert explanation["sentence"].startswith("ChatGPT is")
    assert "because" in explanation["sentence"]
    steps = explanation["steps"]
    assert steps[-1]["object"] == GAI + "LLMPoweredProduct" and steps[-1]["rule"] != "asserted"
    assert all(0 <= p < i for i, step in enumerate(steps) for p in step["premises"])


def test_is_a_answers_no_without_explanation(client: FlaskClient) -> None:
    body = client.get("/infer/is-a?iri=gaid:Suno&class=gai:LargeLanguageModel").get_json()
    assert body == {"iri": "gaid:Suno", "class": "gai:LargeLanguageModel", "result": False, "explanation": None}


def test_is_a_works_between_classes_too(client: FlaskClient) -> None:
    body = client.get("/infer/is-a?iri=gai:LargeLanguageModel&class=gai:GenerativeAI").get_json()
    assert body["result"] is True and body["explanation"]["steps"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/infer/types", 400),
        ("/infer/types?iri=gaid:NoSuchThing", 404),
        ("/infer/types?iri=%3Cnot%20an%20iri", 400),
        ("/infer/is-a?iri=gaid:ChatGPT", 400),
        ("/infer/is-a?iri=gaid:ChatGPT&class=gai:NoSuchClass", 404),
        ("/infer/superclasses?class=", 400),
    ],
)
def test_bad_or_unknown_iris_are_client_errors(client: FlaskClient, url: str, status: int) -> None:
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.get_json()["detail"]


def test_superclasses_and_subclasses(client: FlaskClient) -> None:
    up = client.get("/infer/superclasses?class=gai:LargeLanguageModel").get_json()
    assert [c["iri"] for c in up["direct"]] == [GAI + "GenerativeModel"]
    assert GAI + "GenerativeAI" in {c["iri"] for c in up["all"]}
    down = client.get(f"/infer/subclasses?class={GAI}GenerativeAI".replace("#", "%23")).get_json()
    assert GAI + "LargeLanguageModel" in {c["iri"] for c in down["all"]}
    assert GAI + "LargeLanguageModel" not in {c["iri"] for c in down["direct"]}
    assert GAI + "ImageGenerator" in {c["iri"] for c in down["all"]}


DESCRIPTION = """
@prefix gai: <https://w3id.org/genai-kg/ontology#> .
<https://example.org/hypothetical> a gai:GenerativeModel ;
    gai:outputModality gai:ImageModality , gai:VideoModality ;
    gai:architecture gai:DiffusionArchitecture .
"""


def test_classify_a_hypothetical_model_without_storing_it(client: FlaskClient) -> None:
    response = client.post("/infer/classify", data=DESCRIPTION, content_type="text/turtle")
    assert response.status_code == 200
    (result,) = response.get_json()["results"]
    inferred = {c["iri"] for c in result["inferred"]}
    assert {GAI + "ImageGenerator", GAI + "VideoGenerator", GAI + "DiffusionModel", GAI + "GenerativeAI"} <= inferred
    assert all(result["explanations"][c]["steps"] for c in inferred)
    assert client.get("/infer/types?iri=https://example.org/hypothetical").status_code == 404
    ask = client.get("/sparql", query_string={"query": "ASK { <https://example.org/hypothetical> ?p ?o }"})
    assert ask.get_json()["boolean"] is False


def test_classify_reads_json_ld_and_rejects_bad_bodies(client: FlaskClient) -> None:
    jsonld = '{"@id": "https://example.org/m", "@type": "https://w3id.org/genai-kg/ontology#LargeLanguageModel"}'
    (result,) = client.post("/infer/classify", data=jsonld, content_type="application/ld+json").get_json()["results"]
    assert GAI + "GenerativeAI" in {c["iri"] for c in result["inferred"]}
    assert client.post("/infer/classify", data="<a> <b>", content_type="text/turtle").status_code == 400
    assert client.post("/infer/classify", data="x", content_type="image/png").status_code == 415


def test_consistency_reports_disjointness_with_the_offending_triples(client: FlaskClient, app: Flask) -> None:
    assert client.get("/infer/consistency?shacl=false").get_json()["consistent"] is True
    kg = app.extensions["genai_kg"]
    kg.update(
        "INSERT DATA { GRAPH gai:test { gai:Organization owl:disjointWith gai:Product . gaid:OpenAI a gai:Product } }"
    )
    body = client.get("/infer/consistency?shacl=false").get_json()
    assert body["consistent"] is False
    (clash,) = [c for c in body["disjointness"] if c["focus"].endswith("/OpenAI")]
    assert clash["rule"] == "cax-dw"
    assert {t["object"] for t in clash["triples"]} >= {GAI + "Organization", GAI + "Product"}


def test_consistency_reports_shape_violations_with_their_triples(config: Config) -> None:
    kg = KnowledgeGraph.open()
    header = "<https://w3id.org/genai-kg/ontology> a owl:Ontology ; owl:versionInfo '1' , '2' ."
    prefixes = "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    kg.add_quads(parse_quads((prefixes + header).encode(), RdfFormat.TURTLE, graph=GRAPH_ONTOLOGY))
    body = create_app(config, kg=kg).test_client().get("/infer/consistency").get_json()
    assert body["conforms"] is False
    (violation,) = [v for v in body["shacl"] if v["path"] == OWL + "versionInfo"]
    assert len(violation["triples"]) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/infer/",
        "/infer/types?iri=gaid:ChatGPT",
        "/infer/is-a?iri=gaid:ChatGPT&class=gai:GenerativeAI",
        "/infer/superclasses?class=gai:ImageGenerator",
        "/infer/classify",
        "/infer/consistency?shacl=false",
    ],
)
def test_pages_for_people(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "<h1>" in response.get_data(as_text=True)


def test_sparql_sees_inferences_unless_switched_off(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    ask = "ASK { gaid:Midjourney_v6 a gai:ImageGenerator }"
    accept = {"Accept": "application/sparql-results+json"}
    assert requests.get(server.url + "/sparql", params={"query": ask}, headers=accept, timeout=10).json()["boolean"]
    off = requests.get(server.url + "/sparql", params={"query": ask, "infer": "false"}, headers=accept, timeout=10)
    assert off.json()["boolean"] is False
    explained = requests.get(
        server.url + "/infer/is-a", params={"iri": "gaid:Midjourney_v6", "class": "gai:ImageGenerator"}, timeout=10
    )
    assert explained.json()["result"] is True


def test_cli_infer_and_explain(runner: CliRunner, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    result = runner.invoke(main, ["infer", "--store", store])
    assert result.exit_code == 0, result.output
    assert "inferred" in result.output
    result = runner.invoke(main, ["explain", "gaid:GPT-4.5", "gai:GenerativeAI", "--store", store])
    assert result.exit_code == 0 and "because" in result.output
    result = runner.invoke(main, ["explain", "gaid:Suno", "gai:LargeLanguageModel", "--store", store])
    assert result.exit_code == 1
    result = runner.invoke(main, ["query", "--no-infer", "ASK { gaid:GPT-4.5 a gai:GenerativeAI }", "--store", store])
    assert result.exit_code == 0 and "false" in result.output.lower()


def test_http_updates_change_inferences_before_the_next_read(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    accept = {"Accept": "application/sparql-results+json"}
    ask = {"query": "ASK { gaid:Sketcher a gai:ThreeDGenerator }"}
    fact = "GRAPH gai:scratch { gaid:Sketcher a gai:GenerativeModel ; gai:outputModality gai:ThreeDModality }"
    for operation, expected in (("INSERT", True), ("DELETE", False)):
        done = requests.post(server.url + "/sparql", data=f"{operation} DATA {{ {fact} }}", headers=auth, timeout=10)
        assert done.status_code == 204, done.text
        assert (
            requests.get(server.url + "/sparql", params=ask, headers=accept, timeout=10).json()["boolean"] is expected
        )


def test_a_loaded_ontology_is_reasoned_over(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "university.ttl"
    lines = [str(q.triple) + " ." for q in parse(ONTOLOGY, format=RdfFormat.TURTLE)]
    data.write_text("\n".join(lines + list(generate(1, 1))))
    store = str(tmp_path / "store")
    assert (
        runner.invoke(main, ["load", str(data), "--graph", "urn:example:university", "--store", store]).exit_code == 0
    )
    chair = f"ASK {{ <{DATA}University0/Department0/FullProfessor0> a <{UB}Employee> }}"
    result = runner.invoke(main, ["query", chair, "--store", store, "--format", "json"])
    assert result.exit_code == 0 and '"boolean":true' in result.output.replace(" ", "")
    result = runner.invoke(main, ["query", chair, "--store", store, "--format", "json", "--no-infer"])
    assert result.exit_code == 0 and '"boolean":false' in result.output.replace(" ", "")


def test_any_triple_can_be_explained(client: FlaskClient) -> None:
    query = {"subject": "gaid:ChatGPT", "predicate": "rdf:type", "object": "gai:GenerativeAIProduct"}
    body = client.get("/infer/explain", query_string=query).get_json()
    assert body["explanation"]["steps"][-1]["rule"] != "asserted"
    query["object"] = "gai:Claim"
    assert client.get("/infer/explain", query_string=query).status_code == 404
    assert client.get("/infer/explain.html", query_string={**query, "object": "gai:Product"}).status_code == 200
