"""The remote backend on its own: several service processes over one engine, the CLI, timeouts, failures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from pyoxigraph import BlankNode, NamedNode, Quad

from graph import KnowledgeGraph, open_knowledge_graph
from graph.engine_client import Endpoints, EngineClient
from graph.errors import Unavailable
from graph.inference import closure_state, materialize
from graph.inference.bulk import BulkThresholds
from graph.lease import LEASE_UNTIL
from graph.namespaces import GAI, GAID, GENID, GRAPH_CLOSURE, GRAPH_INFERRED
from graph.remote import RemoteBackend, with_values
from server.cli import main

from .conftest import TOKEN, ServerProcess, endpoint_args, free_port, shipped_in_memory
from .engines.oxigraph import OxigraphEngine, start_oxigraph
from .test_inference_rules import fresh_inferred, inferred

pytestmark = pytest.mark.remote_only

COUNT_LLMS = "SELECT (COUNT(*) AS ?n) WHERE { ?x a gai:LargeLanguageModel }"


def count(server: ServerProcess, sparql: str = COUNT_LLMS) -> int:
    response = requests.get(
        server.url + "/sparql", params={"query": sparql}, headers={"Accept": "text/csv"}, timeout=30
    )
    response.raise_for_status()
    return int(response.text.splitlines()[1])


def update(server: ServerProcess, sparql: str) -> None:
    response = requests.post(
        server.url + "/sparql",
        data=sparql.encode(),
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 204, response.text


def test_two_service_processes_agree_and_see_each_others_writes(
    backend: str, serve: Callable[..., ServerProcess]
) -> None:
    first, second = serve("--memory"), serve("--memory")
    before = count(first)
    assert before == count(second) > 0
    update(first, "INSERT DATA { GRAPH <urn:test> { gaid:NewModel a gai:MultimodalLLM } }")
    # asserted and inferred: the second process sees the write and the first process's inferences
    assert count(first) == count(second) == before + 1
    ask = "ASK { gaid:NewModel a gai:GenerativeAI }"
    for server in (first, second):
        answer = requests.get(server.url + "/sparql", params={"query": ask}, headers={"Accept": "application/json"})
        assert answer.json()["boolean"] is True
    # the second process's reasoner catches up before it explains
    explained = requests.get(
        second.url + "/infer/is-a", params={"iri": "gaid:NewModel", "class": "gai:GenerativeAI"}, timeout=30
    ).json()
    assert explained["result"] is True and "multimodal" in explained["explanation"]["sentence"]
    # a write through the second is reasoned over too, and the first one's pages show it
    update(second, "DELETE DATA { GRAPH <urn:test> { gaid:NewModel a gai:MultimodalLLM } }")
    assert count(first) == count(second) == before
    page = requests.get(first.url + "/id/NewModel", headers={"Accept": "text/turtle"}, timeout=30)
    assert page.status_code == 404


def test_processes_share_the_closure_and_its_generation_through_the_engine(
    backend: str, engine: OxigraphEngine
) -> None:
    engine.clear()
    one = open_knowledge_graph(endpoints=engine.endpoints)
    other = open_knowledge_graph(endpoints=engine.endpoints)
    first = one.generation
    assert first and other.generation == first  # the second process built nothing: the closure was current
    other.update("INSERT DATA { GRAPH <urn:t> { gaid:A a gai:MultimodalLLM } }")
    assert one.generation == other.generation != first
    one.update("INSERT DATA { GRAPH <urn:t> { gaid:B a gai:LargeLanguageModel } }")
    for kg in (one, other):
        assert kg.query("ASK { gaid:A a gai:GenerativeAI . gaid:B a gai:GenerativeAI }")
    assert closure_state(one).current and one.generation == other.generation
    # the writers' lease is given back after every write
    assert not one.query(f"ASK {{ GRAPH {GRAPH_INFERRED} {{ ?lease {LEASE_UNTIL} ?t }} }}")


def test_blank_nodes_written_through_genai_kg_are_skolemised(backend: str, engine: OxigraphEngine) -> None:
    engine.clear()
    kg = open_knowledge_graph(endpoints=engine.endpoints)
    kg.add_quads([Quad(NamedNode(GAID + "X"), NamedNode(GAI + "hasCapability"), BlankNode("c1"), NamedNode("urn:b"))])
    found = [q.object for q in kg.quads(NamedNode(GAID + "X"), None, None)]
    assert len(found) == 1 and isinstance(found[0], NamedNode) and found[0].value.startswith(GENID)
    # restrictions of the shipped ontology are readable on the class pages (checked in test_pages), and
    # no blank node reaches the engine from the shipped files
    assert not kg.query("ASK { GRAPH ?g { ?s ?p ?o } FILTER(isBlank(?s) || isBlank(?o)) }")


def test_an_engine_is_read_through_the_closure_graph(backend: str, engine: OxigraphEngine) -> None:
    engine.clear()
    kg = open_knowledge_graph(endpoints=engine.endpoints)
    assert isinstance(kg.backend, RemoteBackend)
    assert ("default-graph-uri", GRAPH_CLOSURE.value) in kg.backend.dataset_fields(kg.dataset(COUNT_LLMS))
    assert not kg.backend.default_is_union()  # Oxigraph's default graph is a graph of its own
    expected = next(iter(shipped_in_memory().query(COUNT_LLMS)))["n"]
    assert next(iter(kg.query(COUNT_LLMS)))["n"] == expected


def test_parameters_bind_before_filters(backend: str, kg) -> None:  # type: ignore[no-untyped-def]
    sparql = "SELECT DISTINCT ?x WHERE { ?x a gai:Organization FILTER(?x = ?wanted) }"  # typed in two graphs
    rows = list(kg.query(sparql, substitutions={"wanted": NamedNode(GAID + "OpenAI")}))
    assert [row["x"].value for row in rows] == [GAID + "OpenAI"]
    assert with_values("CONSTRUCT WHERE { ?a ?b ?c }", {"a": NamedNode(GAID + "X")}).endswith(f"(<{GAID}X>) }}")


def test_cli_loads_infers_and_counts_on_the_engine(backend: str, engine: OxigraphEngine, tmp_path: Path) -> None:
    engine.clear()
    where = endpoint_args(engine.endpoints)
    data = tmp_path / "more.ttl"
    data.write_text("@prefix gai: <https://w3id.org/genai-kg/ontology#> .\n<urn:m> a gai:MultimodalLLM .\n")
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(data), "--graph", "urn:extra", *where])
    assert loaded.exit_code == 0, loaded.output
    inferred = runner.invoke(main, ["infer", *where])
    assert inferred.exit_code == 0 and "inferred" in inferred.output
    asked = runner.invoke(main, ["query", "ASK { <urn:m> a gai:GenerativeAI }", *where])
    assert asked.output.strip() == "true"
    stats = runner.invoke(main, ["stats", *where])
    assert stats.exit_code == 0 and "urn:extra" in stats.output
    broken = runner.invoke(main, ["stats", "--sparql-endpoint", "ftp://example.org/sparql"])
    assert broken.exit_code != 0 and "http" in broken.output


def test_an_unreachable_engine_is_a_503_not_a_500(backend: str, tmp_path: Path) -> None:
    port = free_port()
    endpoints = Endpoints(f"http://reader:secret@127.0.0.1:{port}/query", f"http://127.0.0.1:{port}/update")
    with pytest.raises(Unavailable, match="cannot be reached") as raised:
        open_knowledge_graph(endpoints=endpoints)
    assert "secret" not in str(raised.value)  # credentials go in the Authorization header, never in messages
    assert EngineClient(endpoints).location == f"http://127.0.0.1:{port}/query"


def test_the_engine_going_away_answers_503(backend: str, tmp_path: Path, serve: Callable[..., ServerProcess]) -> None:
    own = start_oxigraph(tmp_path)
    try:
        urls = own.endpoints
        server = serve("--sparql-endpoint", urls.query, "--sparql-update-endpoint", str(urls.update))
        assert count(server) > 0
        own.stop()
        down = requests.get(server.url + "/sparql", params={"query": COUNT_LLMS}, timeout=30)
        assert down.status_code == 503 and "cannot be reached" in down.text
        page = requests.get(server.url + "/id/ChatGPT", headers={"Accept": "text/turtle"}, timeout=30)
        assert page.status_code == 503
        assert requests.get(server.url + "/health", timeout=30).status_code == 503  # not ready: take it out
    finally:
        own.stop()


def test_a_slow_query_on_the_engine_is_stopped_at_the_budget(
    backend: str, tmp_path: Path, serve: Callable[..., ServerProcess]
) -> None:
    own = start_oxigraph(tmp_path)  # its own engine: Oxigraph goes on counting after we hang up, until stopped
    try:
        urls = own.endpoints
        server = serve(
            "--sparql-endpoint", urls.query, "--sparql-update-endpoint", str(urls.update), "--query-timeout", "1"
        )
        slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        response = requests.get(server.url + "/sparql", params={"query": slow}, timeout=60)
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        assert "ran past the 1 s budget" in response.text
        assert count(server) > 0  # and the service goes on answering
        metrics = requests.get(server.url + "/metrics", timeout=30).text
        assert "genai_kg_query_timeouts_total 1.0" in metrics and "genai_kg_queries_admitted 0.0" in metrics
    finally:
        own.stop()


def test_concurrent_writes_through_two_processes_leave_the_right_inferences(
    backend: str, engine: OxigraphEngine, serve: Callable[..., ServerProcess]
) -> None:
    first, second = serve("--memory"), serve("--memory")

    def writes(one: ServerProcess, other: ServerProcess, prefix: str) -> None:
        """Insert through one process and delete through the other, whose closure never saw the insert."""
        for i in range(8):
            kind = "gai:MultimodalLLM" if i % 2 else "gai:LargeLanguageModel"
            update(one, f"INSERT DATA {{ GRAPH <urn:w> {{ gaid:{prefix}{i} a {kind} }} }}")
            if i % 3 == 2:
                update(other, f"DELETE DATA {{ GRAPH <urn:w> {{ gaid:{prefix}{i} a {kind} }} }}")

    pairs = ((first, second, "P"), (second, first, "Q"))
    threads = [threading.Thread(target=writes, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    remote = open_knowledge_graph(endpoints=engine.endpoints, infer=False)
    assert closure_state(remote).current
    stored = {q.triple for q in remote.quads(None, None, None, GRAPH_INFERRED) if q.subject != GRAPH_INFERRED}
    fresh = KnowledgeGraph.open()
    fresh.store.extend(q for q in remote.quads() if q.graph_name != GRAPH_INFERRED)
    materialize(fresh)
    assert stored == {q.triple for q in fresh.quads(None, None, None, GRAPH_INFERRED) if q.subject != GRAPH_INFERRED}
    assert count(first) == count(second)


def test_the_budget_is_passed_on_as_the_engine_spells_it(backend: str, serve: Callable[..., ServerProcess]) -> None:
    virtuoso = Endpoints("http://127.0.0.1:1/sparql", timeout_parameter="timeout={milliseconds}")
    assert virtuoso.timeout_fields(2.5) == [("timeout", "2500")]
    qlever = Endpoints("http://127.0.0.1:1/sparql", timeout_parameter="timeout={seconds}s")
    assert qlever.timeout_fields(30) == [("timeout", "30s")] and qlever.timeout_fields(None) == []
    with pytest.raises(ValueError, match="NAME=\\{seconds\\}"):
        Endpoints("http://127.0.0.1:1/sparql", timeout_parameter="timeout=5")
    refused = CliRunner().invoke(main, ["serve", "--memory", "--sparql-timeout-parameter", "timeout={seconds}"])
    assert refused.exit_code == 2 and "goes with --sparql-endpoint" in refused.output
    # Oxigraph ignores a parameter it does not know: the service answers as before
    server = serve("--memory", "--sparql-timeout-parameter", "timeout={seconds}")
    assert count(server) > 0


def test_a_large_load_goes_through_the_graph_store_whole(backend: str, engine: OxigraphEngine, tmp_path: Path) -> None:
    engine.clear()
    where = endpoint_args(engine.endpoints)
    catalogue = tmp_path / "catalogue.nt"
    runner = CliRunner()
    assert runner.invoke(main, ["generate", "--models", "1000", "-o", str(catalogue)]).exit_code == 0
    lines = sum(1 for line in catalogue.read_text().splitlines() if line.strip())
    loaded = runner.invoke(main, ["load", str(catalogue), "--graph", "urn:generated", *where])
    assert loaded.exit_code == 0, loaded.output

    def number(sparql: str) -> int:
        result = runner.invoke(main, ["query", sparql, "--format", "csv", *where])
        assert result.exit_code == 0, result.output
        return int(result.output.split()[1])

    assert number("SELECT (COUNT(*) AS ?n) { GRAPH <urn:generated> { ?s ?p ?o } }") == lines
    models = "SELECT (COUNT(DISTINCT ?m) AS ?n) { GRAPH <urn:generated> { ?m a gai:LargeLanguageModel } }"
    reasoned = "SELECT (COUNT(DISTINCT ?m) AS ?n) { GRAPH <urn:generated> { ?m a gai:LargeLanguageModel } ?m a gai:GenerativeAI }"
    assert number(models) == number(reasoned) > 0  # every generated LLM was reasoned over


def test_loading_the_shipped_graph_again_writes_the_same_skolem_iris(backend: str, kg: KnowledgeGraph) -> None:
    """Two processes that start at once on an empty engine both load it: they must write the same quads."""
    from graph.loading import load_shipped
    from graph.namespaces import GRAPH_ONTOLOGY

    before = set(kg.quads(None, None, None, GRAPH_ONTOLOGY))
    assert any(q.subject.value.startswith(GENID) for q in before)
    load_shipped(kg)
    assert set(kg.quads(None, None, None, GRAPH_ONTOLOGY)) == before


@pytest.mark.parametrize("bulk", [False, True], ids=["store", "bulk"])
def test_writes_straight_to_the_engine_are_read_once_infer_force_has_run(
    backend: str, kg: KnowledgeGraph, bulk: bool
) -> None:
    """Another client of the engine writes an asserted graph without genai-kg (docs/deploy.md): ``infer
    --force`` makes the closure graph, which queries read, hold what the asserted graphs hold again."""
    if bulk:
        kg.bulk, kg.bulk_in_process = BulkThresholds(reasoning_quads=0), True
    gone = next(q for q in kg.quads(NamedNode(GAID + "ChatGPT"), None, None) if q.graph_name != GRAPH_INFERRED)
    kg.backend.update(
        f"DELETE DATA {{ GRAPH {gone.graph_name} {{ {gone.subject} {gone.predicate} {gone.object} }} }} ; "
        f"INSERT DATA {{ GRAPH {gone.graph_name} {{ <urn:behind> <urn:our> <urn:back> }} }}"
    )
    materialize(kg, force=True)
    assert kg.query("ASK { <urn:behind> <urn:our> <urn:back> }")
    assert inferred(kg) == fresh_inferred(kg)  # and the closure graph is exactly the asserted and inferred graphs
