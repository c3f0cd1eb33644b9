"""A real ``genai-kg serve`` process on 127.0.0.1 answers health checks and plain SPARQL queries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests
from flask.testing import FlaskClient

from tests.conftest import ServerProcess


def test_memory_server_answers_ask(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", in_memory=True)
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


def test_settings_left_off_the_command_line_come_from_the_environment(
    serve: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    store = tmp_path / "from-env"
    serve("--store", str(store)).stop()  # create it
    server = serve(GENAI_KG_STORE=str(store), GENAI_KG_READ_ONLY="1", GENAI_KG_QUERY_TIMEOUT="7")
    assert requests.get(server.url + "/health", timeout=10).json()["read_only"] is True
    assert requests.get(server.url + "/health", timeout=10).json()["store"] == str(store)
    refused = requests.post(server.url + "/sparql", data={"update": "CLEAR ALL"}, timeout=10)
    assert refused.status_code in (401, 403)
    server.stop()
    flagged = serve("--store", str(store), GENAI_KG_READ_ONLY="0")  # a flag on the command line wins
    assert requests.get(flagged.url + "/health", timeout=10).json()["read_only"] is False


def test_a_store_another_process_holds_is_a_clean_error(serve: Callable[..., ServerProcess], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from server.cli import main

    store = tmp_path / "held"
    serve("--store", str(store))
    result = CliRunner().invoke(main, ["stats", "--store", str(store)])
    assert result.exit_code == 1 and "in use by another process" in result.output
    assert "Traceback" not in result.output


def test_metrics_count_every_request_of_a_series(client: FlaskClient) -> None:
    """Each labelled series is looked up once and then reused: the second request still counts."""
    for _ in range(3):
        assert client.get("/sparql?query=ASK%20%7B%7D").status_code == 200
    assert client.get("/sparql?query=ASK").status_code == 400
    body = client.get("/metrics").text
    assert 'genai_kg_requests_total{endpoint="/sparql",status="200"} 3.0' in body
    assert 'genai_kg_requests_total{endpoint="/sparql",status="400"} 1.0' in body
    assert 'genai_kg_request_seconds_count{endpoint="/sparql"} 4.0' in body
