"""The W3C Protocol, Graph Store Protocol and Service Description cases, run against a real server process.

Each case's ``ht:Request``s are sent in order (``/sparql/`` becomes ``/sparql``, ``/gsp`` becomes ``/store``)
with the write token, after the store is emptied and the case's ``ut:graphData`` loaded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import rdflib
import requests
from pyoxigraph import RdfFormat, parse

from tests.conftest import ServerProcess

from .compare import same_graph, to_rdflib
from .evaluation import Outcome
from .manifests import MF, UT, Test, local_path, tests

HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
TOKEN = "conformance"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
STATUS = {"OK": 200, "Created": 201, "Accepted": 202, "NoContent": 204, "BadRequest": 400, "NotFound": 404}
FORMATS = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": ("application/sparql-results+json", "application/sparql-results+xml", "text/csv"),
    "RDF": ("text/turtle", "application/rdf+xml", "application/n-triples", "application/ld+json"),
}


def _statuses(graph: rdflib.Graph, response: rdflib.term.Node) -> list[str]:
    return [str(s).removeprefix(HTS) for s in graph.objects(response, MF.expectedStatus)]  # type: ignore[arg-type]


def _status_ok(code: int, expected: list[str]) -> bool:
    for name in expected:
        if name.startswith("StatusCode") and str(code)[0] == name[len("StatusCode")]:
            return True
        if STATUS.get(name) == code:
            return True
    return not expected


def _headers(graph: rdflib.Graph, node: rdflib.term.Node) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in graph.objects(node, HT.headers):  # type: ignore[arg-type]
        for header in rdflib.collection.Collection(graph, item):  # type: ignore[arg-type]
            headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
    return headers


def _path(path: str) -> str:
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/") :]
    if path.startswith("/gsp"):
        return "/store" + path[len("/gsp") :]
    return path


def _graph_of(body: bytes, media_type: str, base: str) -> rdflib.Graph:
    rdf_format = RdfFormat.from_media_type(media_type.split(";")[0].strip())
    if rdf_format is None:
        raise ValueError(f"not an RDF type: {media_type}")
    return to_rdflib(parse(body, rdf_format, base_iri=base))


def _boolean(response: requests.Response) -> bool | None:
    if "json" in response.headers.get("Content-Type", ""):
        value = json.loads(response.content).get("boolean")
        return bool(value) if value is not None else None
    root = ElementTree.fromstring(response.content)
    found = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    return None if found is None else found.text == "true"


def _reset(server: ServerProcess, test: Test) -> None:
    """Empty the store, then load the case's graphs through the Graph Store Protocol."""
    response = requests.post(
        server.url + "/sparql", data="DROP ALL", headers={**AUTH, "Content-Type": "application/sparql-update"}
    )
    response.raise_for_status()
    for item in test.graph.objects(test.iri, UT.graphData):
        name = str(test.graph.value(item, rdflib.RDFS.label))
        file = local_path(test.graph.value(item, UT.graph))  # type: ignore[arg-type]
        headers = {**AUTH, "Content-Type": "application/n-triples"}
        requests.put(server.url + "/store", params={"graph": name}, data=file.read_bytes(), headers=headers)


def run_http_test(server: ServerProcess, test: Test) -> Outcome:
    _reset(server, test)
    graph = test.graph
    action = test.value(MF.action)
    variables: dict[str, str] = {}
    for requests_list in graph.objects(action, HT.requests):  # type: ignore[arg-type]
        for number, request in enumerate(rdflib.collection.Collection(graph, requests_list)):  # type: ignore[arg-type]
            path = str(graph.value(request, HT.absolutePath))
            body_node = graph.value(request, HT.body)
            body = str(graph.value(body_node, CNT.chars)) if body_node is not None else None
            for name, value in variables.items():
                path = path.replace(name, value)
                body = body.replace(name, value) if body is not None else None
            url = server.url + _path(path)
            method = str(graph.value(request, HT.methodName))
            headers = {**_headers(graph, request), **AUTH}
            data = body.encode("utf-8") if body is not None else None
            response = requests.request(method, url, data=data, headers=headers, timeout=60)
            problem = _check(graph, graph.value(request, HT.resp), response, url, variables)  # type: ignore[arg-type]
            if problem:
                return Outcome(test, False, f"request {number + 1} ({method} {path[:60]}): {problem}")
    return Outcome(test, True)


def _check(
    graph: rdflib.Graph, expected: rdflib.term.Node, response: requests.Response, url: str, variables: dict[str, str]
) -> str | None:
    statuses = _statuses(graph, expected)
    if not _status_ok(response.status_code, statuses):
        return f"status {response.status_code}, expected {statuses}: {response.text[:120]}"
    location = graph.value(expected, MF.expectedLocation)  # type: ignore[arg-type]
    if location is not None:
        if "Location" not in response.headers:
            return "no Location header"
        variables[str(location)] = response.headers["Location"]
    form = graph.value(expected, MF.expectedFormat)  # type: ignore[arg-type]
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if form is not None and media_type not in FORMATS[str(form)]:
        return f"format {media_type}, expected {form}"
    boolean = graph.value(expected, MF.expectedBoolean)  # type: ignore[arg-type]
    if boolean is not None and _boolean(response) != boolean.toPython():  # type: ignore[attr-defined]
        return f"boolean {_boolean(response)}, expected {boolean}"
    body = graph.value(expected, HT.body)  # type: ignore[arg-type]
    if body is not None and response.request.method != "HEAD":
        wanted_type = _headers(graph, expected).get("content-type", "text/turtle")
        wanted = _graph_of(str(graph.value(body, CNT.chars)).encode(), wanted_type, url)
        if not same_graph(wanted, _graph_of(response.content, media_type, url)):
            return "the graph differs"
    return None


def run_sd_test(server: ServerProcess, test: Test) -> Outcome:
    endpoint = server.url + "/sparql"
    response = requests.get(endpoint, headers={"Accept": "text/turtle, application/rdf+xml;q=0.9"}, timeout=60)
    if response.status_code != 200:
        return Outcome(test, False, f"status {response.status_code}")
    description = _graph_of(response.content, response.headers["Content-Type"], endpoint)
    services = list(description.subjects(rdflib.RDF.type, SD.Service))
    name = str(test.iri).rsplit("#", 1)[-1]
    if name == "returns-rdf":
        return Outcome(test, len(description) > 0, "empty description")
    if name == "has-endpoint-triple":
        found = any((s, SD.endpoint, rdflib.URIRef(endpoint)) in description for s in services)
        return Outcome(test, found, f"no sd:endpoint <{endpoint}>")
    if len(services) != 1:
        return Outcome(test, False, f"{len(services)} sd:Service nodes")
    service = services[0]
    languages = set(description.objects(service, SD.supportedLanguage))
    endpoints = list(description.objects(service, SD.endpoint))
    ok = (
        bool(languages)
        and languages <= {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
        and bool(endpoints)
        and all(isinstance(e, rdflib.URIRef) for e in endpoints)
        and all(isinstance(f, rdflib.URIRef) for f in description.objects(service, SD.resultFormat))
    )
    return Outcome(test, ok, "does not conform to the SD schema")


def run_protocol_suites(sparql11: Path, suites: set[str]) -> Iterator[tuple[str, list[Outcome]]]:
    """One real server for all cases; each case starts from an emptied store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_KG_")}
    env["GENAI_KG_TOKEN"] = TOKEN
    server = ServerProcess(["--memory"], env)
    try:
        if "protocol" in suites:
            cases = [t for t in tests(sparql11 / "protocol" / "manifest.ttl") if t.kind == "ProtocolTest"]
            yield "SPARQL 1.1 Protocol", [_safely(server, t) for t in cases]
        if "gsp" in suites:
            manifest = sparql11 / "graph-store-protocol" / "manifest.ttl"
            cases = [t for t in tests(manifest) if t.kind == "GraphStoreProtocolTest"]
            yield "SPARQL 1.1 Graph Store", [_safely(server, t) for t in cases]
        if "sd" in suites:
            cases = list(tests(sparql11 / "service-description" / "manifest.ttl"))
            yield "SPARQL 1.1 Service Descr.", [run_sd_test(server, t) for t in cases]
    finally:
        server.stop()


def _safely(server: ServerProcess, test: Test) -> Outcome:
    try:
        return run_http_test(server, test)
    except Exception as error:  # one broken case is that case's failure
        return Outcome(test, False, f"{type(error).__name__}: {error}")
