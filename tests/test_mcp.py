"""``/mcp``, the Model Context Protocol endpoint, driven by the ``mcp`` SDK's own client against a real
``genai-kg serve`` (one server for the module: each start costs seconds), and the front's lifespan relay."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from pyoxigraph import RdfFormat, parse

from graph.errors import BadParameter, BadQuery
from graph.querying.work import Formats, QueryRequest
from server.asgi import Lifespan, LifespanFailed
from server.config import Config
from server.mcp import transport_security
from server.mcp_tools import MAX_ROWS, MAX_TEXT, N_TRIPLES, TSV, Tools

from .conftest import ServerProcess

TOOLS = {"sparql_query", "describe", "search", "explain", "list_named_queries", "run_named_query"}
GAI = "https://w3id.org/genai-kg/ontology#"

Session = Callable[[Callable[[ClientSession], Awaitable[Any]]], Any]


def session_on(url: str) -> Session:
    """Run ``steps(session)`` in an initialised MCP client session on ``url``/mcp, with the SDK's client."""

    def run(steps: Callable[[ClientSession], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            async with streamable_http_client(url + "/mcp") as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return await steps(session)

        return asyncio.run(main())

    return run


#: The module's server's budget per request: short, so that a runaway query is seen to be stopped.
BUDGET = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the module, on a store on disk: queries run in worker processes, killed at the budget."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_KG_")}
    environment["GENAI_KG_QUERY_TIMEOUT"] = str(BUDGET)
    started = ServerProcess(["--store", str(tmp_path_factory.mktemp("mcp") / "store")], environment)
    yield started
    started.stop()


@pytest.fixture
def mcp(server: ServerProcess) -> Session:
    return session_on(server.url)


def call(mcp: Session, tool: str, **arguments: Any) -> tuple[str, bool]:
    """A tool's text and whether it is an error."""

    async def steps(session: ClientSession) -> tuple[str, bool]:
        result = await session.call_tool(tool, arguments)
        return result.content[0].text, bool(result.is_error)  # type: ignore[union-attr]

    result: tuple[str, bool] = mcp(steps)
    return result


def ok(mcp: Session, tool: str, **arguments: Any) -> str:
    text, error = call(mcp, tool, **arguments)
    assert not error, text
    return text


def refused(mcp: Session, tool: str, **arguments: Any) -> str:
    text, error = call(mcp, tool, **arguments)
    assert error, text
    return text


def test_tools_and_resources_are_listed_and_read(mcp: Session) -> None:
    async def steps(session: ClientSession) -> Any:
        tools = (await session.list_tools()).tools
        resources = (await session.list_resources()).resources
        contents = {str(r.uri): (await session.read_resource(r.uri)).contents[0] for r in resources}
        return tools, resources, contents

    tools, resources, contents = mcp(steps)
    assert {t.name for t in tools} == TOOLS
    assert all(t.annotations and t.annotations.read_only_hint for t in tools)
    assert {r.name for r in resources} == {"ontology", "void"}
    ontology = contents["https://w3id.org/genai-kg/ontology"]
    assert ontology.mime_type == "text/turtle"
    triples = list(parse(ontology.text.encode(), format=RdfFormat.TURTLE))
    assert any(t.subject.value == GAI + "LargeLanguageModel" for t in triples)
    void = next(c for uri, c in contents.items() if uri.endswith("/.well-known/void"))
    assert "void:Dataset" in void.text and "void:triples" in void.text


def test_sparql_select_is_compact_json_or_csv(mcp: Session) -> None:
    query = "SELECT ?m ?name WHERE { ?m a gai:LargeLanguageModel ; rdfs:label ?name } ORDER BY ?name LIMIT 3"
    data = json.loads(ok(mcp, "sparql_query", query=query))
    assert data["columns"] == ["m", "name"]
    assert len(data["rows"]) == 3 and data["rows"][0][0].startswith("gaid:")
    assert "truncated" not in data
    text = ok(mcp, "sparql_query", query=query, format="csv")
    assert text.splitlines()[0] == "m,name" and len(text.splitlines()) == 4
    assert json.loads(ok(mcp, "sparql_query", query="ASK { gaid:ChatGPT a gai:GenerativeAI }")) == {"boolean": True}
    graph = ok(mcp, "sparql_query", query="CONSTRUCT WHERE { gaid:ChatGPT rdfs:label ?l }")
    assert "ChatGPT" in graph and list(parse(graph.encode(), format=RdfFormat.TURTLE))


def test_updates_are_refused_and_nothing_is_written(mcp: Session) -> None:
    update = "INSERT DATA { gaid:Mallory a gai:LargeLanguageModel }"
    assert "read-only" in refused(mcp, "sparql_query", query=update)
    assert "read-only" in refused(mcp, "sparql_query", query="PREFIX x: <http://x/> DELETE WHERE { ?s ?p ?o }")
    assert refused(mcp, "sparql_query", query="SELECT * WHERE { ?s ?p ?o } ; DROP ALL")
    assert json.loads(ok(mcp, "sparql_query", query="ASK { gaid:Mallory ?p ?o }")) == {"boolean": False}


def test_a_large_answer_is_cut_with_a_note(mcp: Session) -> None:
    everything = "SELECT * WHERE { ?s ?p ?o }"
    data = json.loads(ok(mcp, "sparql_query", query=everything, limit=5))
    assert len(data["rows"]) == 5 and data["truncated"] is True and "first 5 results" in data["note"]
    text = ok(mcp, "sparql_query", query=everything, limit=5, format="csv")
    assert text.splitlines()[-1].startswith("# truncated") and len(text.splitlines()) == 7
    text = ok(mcp, "sparql_query", query=everything, limit=MAX_ROWS)
    wide = json.loads(text)
    assert wide["truncated"] is True and len(wide["rows"]) < MAX_ROWS and len(text) <= MAX_TEXT
    graph = ok(mcp, "sparql_query", query="CONSTRUCT WHERE { ?s ?p ?o }", limit=3)
    assert graph.rstrip().splitlines()[-1].startswith("# truncated")
    assert "limit" in refused(mcp, "sparql_query", query=everything, limit=MAX_ROWS + 1)
    assert "format" in refused(mcp, "sparql_query", query=everything, format="xml")


def test_bad_queries_are_tool_errors(mcp: Session) -> None:
    assert refused(mcp, "sparql_query", query="SELECT WHERE {")
    nested = "SELECT * WHERE " + "{" * 500 + "}" * 500
    assert "nests" in refused(mcp, "sparql_query", query=nested)
    assert "not an allowed endpoint" in refused(
        mcp, "sparql_query", query="SELECT * { SERVICE <http://evil.example/> { ?s ?p ?o } }"
    )


def test_a_query_past_its_budget_is_stopped(mcp: Session) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    assert "budget" in refused(mcp, "sparql_query", query=runaway)
    assert time.monotonic() - started < BUDGET + 10
    assert json.loads(ok(mcp, "sparql_query", query="ASK { ?s ?p ?o }")) == {"boolean": True}


def test_describe_a_resource(mcp: Session) -> None:
    turtle = ok(mcp, "describe", iri="gaid:ChatGPT")
    triples = list(parse(turtle.encode(), format=RdfFormat.TURTLE))
    assert any(t.object.value == "ChatGPT" for t in triples)
    assert ok(mcp, "describe", iri="https://w3id.org/genai-kg/id/ChatGPT") == turtle
    assert "nothing is known" in refused(mcp, "describe", iri="gaid:NoSuchThing")
    assert "not an IRI" in refused(mcp, "describe", iri="gaid:has space")
    assert "characters" in refused(mcp, "describe", iri="x" * 5000)


def test_search_by_label(mcp: Session) -> None:
    found = json.loads(ok(mcp, "search", text="GPT", limit=5))["results"]
    assert len(found) == 5 and found[0] == {"id": "gaid:GPT", "label": "GPT"}
    assert json.loads(ok(mcp, "search", text="chatgpt"))["results"][0]["id"] == "gaid:ChatGPT"
    assert refused(mcp, "search", text="")
    assert refused(mcp, "search", text="x" * 1000)


def test_explain_is_a_with_its_steps(mcp: Session) -> None:
    data = json.loads(ok(mcp, "explain", iri="gaid:ChatGPT", class_iri="gai:GenerativeAI"))
    assert data["result"] is True
    steps = data["explanation"]["steps"]
    assert steps[-1]["object"] == GAI + "GenerativeAI" and any(s["rule"] != "asserted" for s in steps)
    no = json.loads(ok(mcp, "explain", iri="gaid:ChatGPT", class_iri="gai:Organization"))
    assert no == {"iri": "gaid:ChatGPT", "class": "gai:Organization", "result": False, "explanation": None}
    assert "no class" in refused(mcp, "explain", iri="gaid:ChatGPT", class_iri="gai:NoSuchClass")


def test_named_queries_with_typed_parameters(mcp: Session) -> None:
    listed = {q["name"]: q for q in json.loads(ok(mcp, "list_named_queries"))["queries"]}
    by_org = listed["models-by-organization"]
    assert by_org["params"][0]["name"] == "organization" and by_org["params"][0]["type"] == "iri"
    data = json.loads(
        ok(
            mcp,
            "run_named_query",
            name="models-by-organization",
            parameters={"organization": "gaid:OpenAI"},
            limit=1000,
        )
    )
    assert all(row[0] == "gaid:OpenAI" for row in data["rows"]) and any("gaid:ChatGPT" in row for row in data["rows"])
    bad = refused(mcp, "run_named_query", name="models-by-organization", parameters={"organization": "not an iri"})
    assert "organization" in bad
    assert "no such parameter" in refused(mcp, "run_named_query", name="models-by-organization", parameters={"x": "1"})
    assert "no named query" in refused(mcp, "run_named_query", name="no-such-query")


def test_hosts_and_origins_are_checked(server: ServerProcess) -> None:
    """DNS rebinding: a Host or Origin other than this machine's (or the configured public URL's) is refused."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    response = requests.post(server.url + "/mcp", json=body, headers={**headers, "Host": "evil.example"}, timeout=10)
    assert response.status_code == 421
    response = requests.post(
        server.url + "/mcp", json=body, headers={**headers, "Origin": "http://evil.example"}, timeout=10
    )
    assert response.status_code == 403
    assert requests.get(server.url + "/mcp/elsewhere", timeout=10).status_code == 404


@pytest.mark.remote_only
def test_over_the_remote_engine(serve: Callable[..., ServerProcess]) -> None:
    mcp = session_on(serve("--memory").url)
    data = json.loads(ok(mcp, "sparql_query", query="SELECT * WHERE { ?s ?p ?o }", limit=2))
    assert len(data["rows"]) == 2 and data["truncated"] is True
    assert "read-only" in refused(mcp, "sparql_query", query="CLEAR ALL")
    assert "ChatGPT" in ok(mcp, "describe", iri="gaid:ChatGPT")
    assert json.loads(ok(mcp, "explain", iri="gaid:ChatGPT", class_iri="gai:GenerativeAI"))["result"] is True
    data = json.loads(
        ok(mcp, "run_named_query", name="models-by-organization", parameters={"organization": "gaid:OpenAI"})
    )
    assert data["rows"]


# -- in process: the tools' edges, and the front's lifespan relay, without a server ---------------------------------------------------------


def test_a_server_starts_without_the_sdk_and_its_first_request_brings_it(shipped_store: Path) -> None:
    """The SDK's imports (about 0.9 s) are not part of a server's start: the front is built without them (the
    tests above use ``/mcp`` on a server started that way)."""
    code = "import sys; from server.front import create_front; create_front(); print('mcp' in sys.modules)"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_KG_")}
    environment |= {"GENAI_KG_STORE": str(shipped_store), "GENAI_KG_QUERY_WORKERS": "0"}
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "False"


def test_tools_in_process(app: Flask) -> None:
    tools = Tools(app)
    assert json.loads(tools._answer(QueryRequest("ASK {}", formats=Formats(TSV, N_TRIPLES)), 1, "json")) == {
        "boolean": True
    }
    typed = 'SELECT ?d ?l ?n ?b WHERE { BIND("2024-01-01"^^xsd:date AS ?d) BIND("x"@en AS ?l) BIND(3 AS ?n) BIND(BNODE() AS ?b) }'
    row = json.loads(tools.sparql_query(typed, 1, "json"))["rows"][0]
    assert row[:3] == ["2024-01-01^^xsd:date", "x@en", "3"] and row[3].startswith("_:")
    empty = json.loads(tools.sparql_query("SELECT ?s WHERE { ?s a gai:NoSuchClass }", 10, "json"))
    assert empty == {"columns": ["s"], "rows": []}
    with pytest.raises(BadQuery, match="read-only"):
        tools.sparql_query("WITH <http://x/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", 10, "json")
    with pytest.raises(BadParameter, match="parameters"):
        tools.run_named_query("models-by-organization", {str(i): "x" for i in range(40)}, 10, "json")
    with pytest.raises(BadParameter, match="organization"):
        tools.run_named_query("models-by-organization", {"organization": "x" * 20_000}, 10, "json")


def test_a_mounted_apps_lifespan_runs_between_startup_and_shutdown() -> None:
    events: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            events.append(message["type"])
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def without_lifespan(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("no lifespan here")

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    async def main() -> None:
        relayed = Lifespan("/x", app)
        await relayed.startup()
        assert events == ["lifespan.startup"]
        await relayed.shutdown()
        assert events == ["lifespan.startup", "lifespan.shutdown"]
        none = Lifespan("/y", without_lifespan)
        await none.startup()
        await none.shutdown()
        with pytest.raises(LifespanFailed, match="no database"):
            await Lifespan("/z", failing).startup()

    asyncio.run(main())


def test_a_browser_is_told_what_mcp_is_and_the_home_page_links_it(server: ServerProcess) -> None:
    page = requests.get(server.url + "/mcp", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert all(f"<code>{tool}</code>" in page.text for tool in TOOLS)
    assert f"http://127.0.0.1:{server.port}/mcp" in page.text
    assert 'href="/mcp"' in requests.get(server.url + "/", headers={"Accept": "text/html"}, timeout=10).text
    assert requests.get(server.url + "/mcp", headers={"Accept": "application/json"}, timeout=10).status_code != 200


def test_allowed_hosts_follow_the_configuration() -> None:
    default = transport_security(Config())
    loopback = {"127.0.0.1", "localhost", "[::1]", "127.0.0.1:*", "localhost:*", "[::1]:*"}
    assert default.enable_dns_rebinding_protection and set(default.allowed_hosts) == loopback
    public = transport_security(Config(host="0.0.0.0", base_url="https://kg.example.org/"))
    assert "kg.example.org" in public.allowed_hosts and "kg.example.org:443" in public.allowed_hosts
    assert "https://kg.example.org" in public.allowed_origins and "0.0.0.0:8000" not in public.allowed_hosts
    lan = transport_security(Config(host="192.168.1.5", port=8080))
    assert "192.168.1.5:8080" in lan.allowed_hosts and "http://192.168.1.5:8080" in lan.allowed_origins
