"""The inferred graph is read-only to clients, on every write path, through a real server and after a restart.

It follows from the asserted graphs: a write into it would be acknowledged and then undone by the next
materialisation or restart (issue 12, item 8). So the Graph Store and SPARQL Update refuse it with 403,
however the update names the graph (an IRI, a prefixed name, a BASE-relative IRI, ``\\u`` escapes, WITH,
COPY/MOVE/ADD), and the inferred graph is the same before, after, and after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from graph.namespaces import GRAPH_DATA, GRAPH_INFERRED

from .conftest import TOKEN, ServerProcess
from .fuzzing import start_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
INFERRED = GRAPH_INFERRED.value
DATA = GRAPH_DATA.value
MESSAGE = "the inferred graph follows from the asserted graphs"
TRIPLE = "<urn:x:intruder> <urn:x:p> <urn:x:o>"


GRAPH_STORE = [
    pytest.param("PUT", f"{TRIPLE} .", id="GSP PUT"),
    pytest.param("POST", f"{TRIPLE} .", id="GSP POST"),
    pytest.param("DELETE", "", id="GSP DELETE"),
]
UPDATES = [
    pytest.param(text, id=name)
    for name, text in {
        "INSERT DATA": f"INSERT DATA {{ GRAPH <{INFERRED}> {{ {TRIPLE} }} }}",
        "DELETE WHERE": f"DELETE WHERE {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }} }}",
        "INSERT WHERE": f"INSERT {{ GRAPH <{INFERRED}> {{ ?s <urn:x:p> <urn:x:o> }} }} WHERE {{ ?s ?p ?o }}",
        "WITH": f"WITH <{INFERRED}> INSERT {{ {TRIPLE} }} WHERE {{}}",
        "CLEAR": f"CLEAR GRAPH <{INFERRED}>",
        "DROP": f"DROP GRAPH <{INFERRED}>",
        "COPY": f"COPY <{DATA}> TO <{INFERRED}>",
        "ADD": f"ADD <{DATA}> TO <{INFERRED}>",
        "MOVE": f"MOVE <{DATA}> TO <{INFERRED}>",
        "prefixed name": f"PREFIX g: <{INFERRED.rsplit('/', 1)[0]}/> INSERT DATA {{ GRAPH g:inferred {{ {TRIPLE} }} }}",
        "BASE-relative": f"BASE <{INFERRED.rsplit('/', 1)[0]}/> INSERT DATA {{ GRAPH <inferred> {{ {TRIPLE} }} }}",
        "escaped": f"INSERT DATA {{ GRAPH <{INFERRED[:-8]}\\u0069nferred> {{ {TRIPLE} }} }}",
        "second operation": f"INSERT DATA {{ {TRIPLE} }} ; INSERT DATA {{ GRAPH <{INFERRED}> {{ {TRIPLE} }} }}",
    }.items()
]


def write(server: ServerProcess, how: str, what: str) -> requests.Response:
    """One write into the inferred graph: a Graph Store method with a body, or an update (``how`` "UPDATE")."""
    if how == "UPDATE":
        headers = {"Content-Type": "application/sparql-update", **AUTH}
        return requests.post(server.url + "/sparql", data=what.encode(), headers=headers, timeout=60)
    headers = {"Content-Type": "application/n-triples", **AUTH}
    return requests.request(
        how, server.url + "/store", params={"graph": INFERRED}, data=what, headers=headers, timeout=60
    )


def refused(response: requests.Response) -> bool:
    return response.status_code == 403 and MESSAGE in response.text


def graph(server: ServerProcess, iri: str) -> set[str]:
    """The triples of a graph as N-Triples lines, blank nodes left out (their labels are the process's own)."""
    response = requests.get(
        server.url + "/store", params={"graph": iri}, headers={"Accept": "application/n-triples"}, timeout=60
    )
    assert response.status_code == 200, response.text
    return {line for line in response.text.splitlines() if line and "_:" not in line}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    started = start_server()
    yield started
    started.stop()


@pytest.mark.parametrize(("how", "body"), GRAPH_STORE)
def test_graph_store_writes_into_the_inferred_graph_are_403(server: ServerProcess, how: str, body: str) -> None:
    response = write(server, how, body)
    assert refused(response), (response.status_code, response.text)


@pytest.mark.parametrize("update", UPDATES)
def test_updates_into_the_inferred_graph_are_403(server: ServerProcess, update: str) -> None:
    response = write(server, "UPDATE", update)
    assert refused(response), (response.status_code, response.text)


@pytest.mark.both_backends
def test_the_inferred_graph_is_unchanged_by_refused_writes_and_a_restart(
    serve: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    store = str(tmp_path / "store")
    first = serve("--store", store)
    inferred, data = graph(first, INFERRED), graph(first, DATA)
    assert inferred and data
    attempts = [(p.values[0], p.values[1]) for p in GRAPH_STORE] + [("UPDATE", p.values[0]) for p in UPDATES]
    answers = {what: write(first, how, what) for how, what in attempts}
    assert {what: a.status_code for what, a in answers.items() if not refused(a)} == {}
    assert graph(first, INFERRED) == inferred and graph(first, DATA) == data
    first.stop()
    again = serve("--store", store)
    assert graph(again, INFERRED) == inferred and graph(again, DATA) == data
