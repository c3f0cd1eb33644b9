"""A real ``genai-kg serve`` process on 127.0.0.1 answers health checks and plain SPARQL queries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests

from tests.conftest import ServerProcess


def test_memory_server_answers_ask(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    response = requests.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"head": {}, "boolean": True}


def test_on_disk_store_is_created_and_reused(serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    store = tmp_path / "store"
    server = serve("--store", str(store))
    quads = server.quads()
    assert quads > 1000
    server.stop()
    again = serve("--store", str(store))
    assert again.quads() == quads


def test_metrics_are_prometheus_text(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory")
    requests.get(server.url + "/health", timeout=5)
    response = requests.get(server.url + "/metrics", timeout=5)
    assert response.headers["Content-Type"].count("charset") == 1
    body = response.text
    assert "genai_kg_requests_total" in body
    assert "genai_kg_store_quads" in body
