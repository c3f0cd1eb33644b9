"""Honest timeouts against a real server: a runaway query is stopped and answered 503, never a cut 200."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import psutil
import pytest
import requests

from server.cli import UNBUDGETED

from .conftest import ServerProcess

RUNAWAY_COUNT = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RUNAWAY_ROWS = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Sorting a cross product of the shipped graph with itself: a billion rows held at once (10 GB in 30 s).
RUNAWAY_MEMORY = "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f"
SIMPLE = "ASK { gaid:ChatGPT ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


def workers(server: ServerProcess) -> set[int]:
    """The ids of the server's live query worker processes: the fork server's children (a killed one not yet
    reaped is a zombie: gone)."""
    found = set()
    for child in psutil.Process(server.process.pid).children(recursive=True):
        try:
            if "graph.querying.forks" in " ".join(child.cmdline()):
                found |= {w.pid for w in child.children() if w.status() != psutil.STATUS_ZOMBIE}
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return found


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def ask(server: ServerProcess, sparql: str = SIMPLE, **kwargs: object) -> requests.Response:
    return requests.post(server.url + "/sparql", data={"query": sparql}, headers=JSON, timeout=30, **kwargs)  # type: ignore[arg-type]


def test_a_runaway_query_is_stopped_and_answered_503_while_others_answer(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--query-timeout", "1", "--query-workers", "2")
    wait_for(lambda: len(workers(server)) == 2)
    before = workers(server)
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["response"] = ask(server, RUNAWAY_COUNT)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    answered_meanwhile = 0
    while thread.is_alive():
        response = ask(server)
        assert response.status_code == 200 and response.json()["boolean"] is True
        answered_meanwhile += thread.is_alive()
    thread.join()
    assert answered_meanwhile > 0

    response = outcome["response"]
    assert isinstance(response, requests.Response)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "ran past the 1 s budget" in response.text
    assert outcome["seconds"] < 5  # budget + 1 s, with room for a loaded machine

    # the worker that ran it is gone (no core kept busy), and a fresh one took its place
    killed = before - workers(server)
    assert len(killed) == 1
    assert not any(psutil.pid_exists(pid) for pid in killed)
    wait_for(lambda: len(workers(server)) == 2)
    assert ask(server).status_code == 200

    def metrics() -> str:
        return requests.get(server.url + "/metrics", timeout=10).text

    wait_for(lambda: "genai_kg_query_workers 2.0" in metrics())  # the replacement is ready
    assert "genai_kg_query_timeouts_total 1.0" in metrics()
    assert "genai_kg_query_workers_replaced_total 1.0" in metrics()


def test_a_query_past_its_memory_is_answered_503_and_the_server_goes_on(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--query-workers", "2", "--query-memory", "256")
    wait_for(lambda: len(workers(server)) == 2)
    before = workers(server)
    response = ask(server, RUNAWAY_MEMORY)
    assert response.status_code == 503
    problem = response.json()
    assert problem["title"] == "Query Out of Memory"
    assert "more than the 256 MiB of memory a query may use" in problem["detail"]
    assert "Retry-After" not in response.headers  # the same query would fail again
    killed = before - workers(server)
    assert len(killed) == 1 and not any(psutil.pid_exists(pid) for pid in killed)
    wait_for(lambda: len(workers(server)) == 2)
    assert ask(server).status_code == 200
    metrics = requests.get(server.url + "/metrics", timeout=10).text
    assert "genai_kg_queries_out_of_memory_total 1.0" in metrics


def test_a_server_without_budgets_says_so_when_it_starts(serve: Callable[..., ServerProcess]) -> None:
    """``--query-workers 0`` is an operator's choice to trade the budgets for one hop less: it is said, not
    silent; a server with workers says nothing of the kind."""
    unbudgeted = serve("--memory", "--query-workers", "0")
    assert ask(unbudgeted).json()["boolean"] is True
    assert UNBUDGETED in unbudgeted.log()
    budgeted = serve("--memory", "--query-workers", "1")
    assert ask(budgeted).json()["boolean"] is True
    assert UNBUDGETED not in budgeted.log()


def test_a_stream_over_budget_is_cut_not_completed(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--query-timeout", "1", "--query-workers", "2")
    with requests.post(
        server.url + "/sparql", data={"query": RUNAWAY_ROWS}, headers=JSON, stream=True, timeout=30
    ) as response:
        assert response.status_code == 200  # streaming had begun when the budget ran out
        received = 0
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for chunk in response.iter_content(65536):
                received += len(chunk)
        assert received > 0
    # and a plain request (not streamed) fails as a whole instead of returning a partial document
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        ask(server, RUNAWAY_ROWS)
    assert ask(server).status_code == 200


def test_too_many_queries_at_once_are_refused_quickly(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--query-timeout", "30", "--query-workers", "1", "--max-queries", "1")
    with requests.post(
        server.url + "/sparql", data={"query": RUNAWAY_ROWS}, headers=JSON, stream=True, timeout=30
    ) as held:
        chunks = held.iter_content(1024)  # kept: dropping it would close the connection
        next(chunks)  # the one admitted query is streaming now
        refused = ask(server)
        assert next(chunks)  # and goes on streaming
    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert "retry" in refused.text and "timed out" not in refused.text
    wait_for(lambda: ask(server).status_code == 200)  # the held query's worker is replaced once it is dropped


def test_the_workers_stop_with_the_server(serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    server = serve("--store", str(tmp_path / "store"), "--query-workers", "2")
    wait_for(lambda: len(workers(server)) == 2)
    processes = [psutil.Process(pid) for pid in workers(server)]
    assert (tmp_path / "store.snapshots").is_dir()
    os.kill(server.process.pid, signal.SIGTERM)  # the server alone, not its process group
    server.process.wait(30)
    _, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive
    assert not (tmp_path / "store.snapshots").exists()


def test_a_client_that_reads_nothing_cannot_hold_the_server_up(
    serve: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """Asked to stop, the server gives the answers in flight ``--shutdown-timeout`` seconds, then stops anyway
    (granian keeps what it was sent for a client that never reads: it waited for ever)."""
    server = serve("--store", str(tmp_path / "store"), "--shutdown-timeout", "2")
    held = socket.create_connection(("127.0.0.1", server.port))
    try:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        body = urlencode({"query": RUNAWAY_ROWS}).encode()
        head = "POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        held.sendall(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        assert held.recv(12).startswith(b"HTTP/1.1 200")  # streaming; nothing more is read
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(20)  # 2 s, and the time to stop; before, it outlived the 30 s send timeout
    finally:
        held.close()
    again = serve("--store", str(tmp_path / "store"))  # the store opens as it was left
    assert ask(again).json()["boolean"] is True


def test_nothing_outlives_a_crashed_server(serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    server = serve("--memory", "--query-timeout", "30", "--query-workers", "2", in_memory=True, TMPDIR=str(tmp_path))
    wait_for(lambda: len(workers(server)) == 2)
    processes = [psutil.Process(pid) for pid in workers(server)]
    scratch = set(tmp_path.glob("genai-kg-memory-*"))  # --memory's scratch store
    assert len(scratch) == 1

    def runaway() -> None:
        with pytest.raises(requests.RequestException):
            ask(server, RUNAWAY_COUNT)

    thread = threading.Thread(target=runaway)
    thread.start()
    wait_for(lambda: any(p.cpu_percent(0.1) > 10 for p in processes))  # a worker is busy with it
    forks = processes[0].parent()  # the fork server, whose parent owns the pool
    assert forks is not None
    parent = forks.parent()
    assert parent is not None
    parent.kill()  # the process that owns the pool dies without any clean-up
    _, alive = psutil.wait_procs([forks, *processes], timeout=10)
    assert not alive
    thread.join()
    wait_for(lambda: not scratch & set(tmp_path.glob("genai-kg-memory-*")))  # granian's new worker makes its own


def test_a_read_only_memory_server_stops_runaway_queries_too(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--read-only", "--query-timeout", "1", "--query-workers", "1", in_memory=True)
    assert ask(server).json()["boolean"] is True  # the shipped graph is loaded
    assert ask(server, RUNAWAY_COUNT).status_code == 503
    refused = requests.post(
        server.url + "/sparql", data={"update": "CLEAR ALL"}, headers={"Authorization": "Bearer test-token"}, timeout=30
    )
    assert refused.status_code == 403
    assert ask(server).json()["boolean"] is True


def test_an_update_past_its_budget_is_stopped_and_leaves_nothing_behind(
    serve: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """A runaway INSERT … WHERE is planned in a worker: stopped at the budget (503), nothing written, and the
    service goes on reading and writing."""
    server = serve("--store", str(tmp_path / "store"), "--query-timeout", "1", token="t")
    headers = {"Authorization": "Bearer t", "Content-Type": "application/sparql-update"}
    before = server.quads()
    runaway = (  # an update's WHERE reads the store's own default graph, empty here: name the graphs
        "INSERT { GRAPH <urn:x:g> { ?a <urn:x:p> ?i } } "
        "WHERE { GRAPH ?x { ?a ?b ?c } GRAPH ?y { ?d ?e ?f } GRAPH ?z { ?g ?h ?i } }"
    )
    started = time.monotonic()
    response = requests.post(server.url + "/sparql", data=runaway, headers=headers, timeout=30)
    assert response.status_code == 503 and "budget" in response.text
    assert time.monotonic() - started < 5
    assert server.quads() == before
    assert ask(server, "ASK { GRAPH <urn:x:g> { ?s ?p ?o } }").json()["boolean"] is False
    small = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> 1 } }"
    assert requests.post(server.url + "/sparql", data=small, headers=headers, timeout=30).status_code == 204
    assert ask(server, "ASK { GRAPH <urn:x:g> { ?s ?p ?o } }").json()["boolean"] is True


def test_an_update_past_its_memory_is_stopped_and_leaves_nothing_behind(
    serve: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """An update's WHERE that sorts a cross product is planned in a worker: stopped at the memory budget."""
    server = serve("--store", str(tmp_path / "store"), "--query-memory", "256", token="t")
    headers = {"Authorization": "Bearer t", "Content-Type": "application/sparql-update"}
    before = server.quads()
    runaway = (
        "INSERT { GRAPH <urn:x:g> { ?a <urn:x:p> ?f } } "
        "WHERE { SELECT ?a ?f { GRAPH ?x { ?a ?b ?c } GRAPH ?y { ?d ?e ?f } } ORDER BY ?c ?f }"
    )
    response = requests.post(server.url + "/sparql", data=runaway, headers=headers, timeout=60)
    assert response.status_code == 503 and "256 MiB of memory" in response.text
    assert server.quads() == before
    small = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> 1 } }"
    assert requests.post(server.url + "/sparql", data=small, headers=headers, timeout=30).status_code == 204
    assert server.quads() > before


def ask_from(server: ServerProcess, address: str, sparql: str = SIMPLE) -> tuple[int, str]:
    """Ask from another loopback address (127.0.0.0/8 is all this machine's): another client to the server."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30, source_address=(address, 0))
    try:
        body = urlencode({"query": sparql})
        connection.request("POST", "/sparql", body, {"Content-Type": "application/x-www-form-urlencoded", **JSON})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_one_client_cannot_take_every_place(serve: Callable[..., ServerProcess]) -> None:
    """A client holding its share (one query here) is refused more at once; another client is not."""
    server = serve("--memory", "--query-timeout", "30", "--query-workers", "2", "--max-client-queries", "1")
    with requests.post(
        server.url + "/sparql", data={"query": RUNAWAY_ROWS}, headers=JSON, stream=True, timeout=30
    ) as held:
        chunks = held.iter_content(1024)
        next(chunks)  # 127.0.0.1's one query is streaming now
        refused = ask(server)
        status, text = ask_from(server, "127.0.0.2")
        assert next(chunks)
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert "requests from 127.0.0.1 are being answered already" in refused.text
    assert status == 200 and '"boolean":true' in text.replace(" ", "")
    wait_for(lambda: ask(server).status_code == 200)  # the share is back once the held query is dropped
    metrics = requests.get(server.url + "/metrics", timeout=10).text
    refusals = re.search(r"^genai_kg_queries_refused_client_total (\S+)$", metrics, re.MULTILINE)
    assert refusals and float(refusals[1]) >= 1  # and more if a retry above came before the share was back
