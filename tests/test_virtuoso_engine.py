"""The private Virtuoso of tests/engines/virtuoso.py: it starts, takes updates and gives the data back.

Skipped where Debian's ``virtuoso-opensource-7-bin`` is not installed (see docs/virtuoso.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from .engines.virtuoso import VirtuosoEngine, start_virtuoso, virtuoso_binary

pytestmark = pytest.mark.skipif(
    virtuoso_binary() is None,
    reason="virtuoso-t is not installed (apt-get install virtuoso-opensource-7-bin; tests/engines/install-virtuoso.sh)",
)

GRAPH = "https://w3id.org/genai-kg/graph/data"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoEngine]:
    engine = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield engine
    engine.stop()


def ask(engine: VirtuosoEngine, sparql: str) -> bool:
    response = requests.get(engine.query_url, params={"query": sparql}, headers=JSON, timeout=30)
    response.raise_for_status()
    return bool(response.json()["boolean"])


def test_insert_query_and_graph_store_round_trip(virtuoso: VirtuosoEngine) -> None:
    virtuoso.clear()
    virtuoso.update(
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <https://w3id.org/genai-kg/id/GPT-4.5> "
        '<http://www.w3.org/2000/01/rdf-schema#label> "GPT-4.5"@en } }'
    )
    # the default graph is the union of all graphs
    assert ask(virtuoso, 'ASK { ?s ?p "GPT-4.5"@en }')
    assert not ask(virtuoso, f'ASK FROM <{GRAPH}/other> {{ ?s ?p "GPT-4.5"@en }}')
    response = requests.get(
        virtuoso.query_url,
        params={"query": f"SELECT ?s WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"},
        headers=JSON,
        timeout=30,
    )
    assert response.json()["results"]["bindings"] == [
        {"s": {"type": "uri", "value": "https://w3id.org/genai-kg/id/GPT-4.5"}}
    ]
    stored = requests.get(
        virtuoso.store_url, params={"graph": GRAPH}, headers={"Accept": "application/n-triples"}, timeout=30
    )
    assert stored.status_code == 200
    assert stored.headers["Content-Type"].startswith("application/n-triples")
    assert [q.triple for q in parse(stored.content, RdfFormat.N_TRIPLES)] == [
        Triple(
            NamedNode("https://w3id.org/genai-kg/id/GPT-4.5"),
            NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            Literal("GPT-4.5", language="en"),
        )
    ]


def test_graph_store_put_then_clear(virtuoso: VirtuosoEngine) -> None:
    graph = f"{GRAPH}/put"
    body = b"<urn:genai-kg:s> <urn:genai-kg:p> <urn:genai-kg:o> .\n"
    put = requests.put(
        virtuoso.store_url, params={"graph": graph}, data=body, headers={"Content-Type": "text/turtle"}, timeout=30
    )
    assert put.status_code in (200, 201)
    assert ask(virtuoso, f"ASK {{ GRAPH <{graph}> {{ <urn:genai-kg:s> ?p ?o }} }}")
    virtuoso.clear()
    assert not ask(virtuoso, "ASK { GRAPH ?g { <urn:genai-kg:s> ?p ?o } }")
    # Virtuoso's own graphs stay: its default graph is never empty
    assert ask(virtuoso, "ASK { ?s ?p ?o }")
