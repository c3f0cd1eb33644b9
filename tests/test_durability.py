"""Durability against real server processes: what was acknowledged with 2xx survives ``kill -9``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests

from .conftest import TOKEN, ServerProcess

WRITE = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Accept": "application/sparql-results+json"}


def ask(server: ServerProcess, sparql: str) -> bool:
    response = requests.post(server.url + "/sparql", data={"query": sparql}, headers=JSON, timeout=30)
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


def update(server: ServerProcess, sparql: str, *, form: bool = True) -> None:
    if form:
        response = requests.post(server.url + "/sparql", data={"update": sparql}, headers=WRITE, timeout=30)
    else:
        headers = {**WRITE, "Content-Type": "application/sparql-update"}
        response = requests.post(server.url + "/sparql", data=sparql.encode(), headers=headers, timeout=30)
    assert 200 <= response.status_code < 300, response.text


def test_acknowledged_updates_survive_kill_9(serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    server = serve("--store", store)
    update(server, "INSERT DATA { gaid:Durable a gai:LargeLanguageModel ; rdfs:label 'durable' }")
    for n in range(20):  # a burst, the last one acknowledged just before the crash
        update(server, f"INSERT DATA {{ <urn:durable:{n}> <urn:durable:n> {n} }}", form=n % 2 == 0)
    update(server, "DELETE WHERE { GRAPH ?g { gaid:ChatGPT rdfs:label ?label } }")
    server.kill()

    again = serve("--store", store)
    assert ask(again, "ASK { gaid:Durable a gai:LargeLanguageModel }")
    assert ask(again, "ASK { gaid:Durable a gai:GenerativeAI }")  # and the inferences are back
    assert ask(again, "ASK { <urn:durable:19> <urn:durable:n> 19 }")
    assert not ask(again, "ASK { gaid:ChatGPT rdfs:label ?label }")


def test_reads_see_every_acknowledged_write(serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    server = serve("--store", str(tmp_path / "store"), "--query-workers", "2")
    for n in range(10):
        update(server, f"INSERT DATA {{ <urn:seen:{n}> <urn:seen:n> {n} }}")
        assert ask(server, f"ASK {{ <urn:seen:{n}> <urn:seen:n> {n} }}")
    update(server, "DELETE WHERE { <urn:seen:3> ?p ?o }")
    assert not ask(server, "ASK { <urn:seen:3> ?p ?o }")
    # unused generations are deleted as queries move on: one per worker at most, plus the newest
    assert len(list((tmp_path / "store.snapshots").iterdir())) <= 3


def test_a_crash_leaves_nothing_that_stops_a_restart(serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    server = serve("--store", store)
    update(server, "INSERT DATA { <urn:restart> <urn:restart> 1 }")
    assert ask(server, "ASK { <urn:restart> ?p ?o }")  # a snapshot generation exists now
    server.kill()
    assert (tmp_path / "store.snapshots").exists()  # left by the crash
    again = serve("--store", store)
    assert ask(again, "ASK { <urn:restart> ?p ?o }")
    assert [p.name for p in (tmp_path / "store.snapshots").iterdir()] == ["1"]  # the stale ones were removed
