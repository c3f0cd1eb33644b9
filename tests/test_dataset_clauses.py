"""Dataset clauses in SPARQL text: FROM detection; using-graph-uri reaches an update only as IRIs."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from graph import KnowledgeGraph
from graph.dataset_clauses import query_names_dataset

from .conftest import TOKEN


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * FROM <http://ex/g> WHERE { ?s ?p ?o }", True),
        ("SELECT * from named <http://ex/g> { GRAPH ?g { ?s ?p ?o } }", True),
        ("SELECT * WHERE { ?s ?p 'FROM <x>' }", False),
        ("SELECT * WHERE { ?s ?p ?o } # FROM <x>", False),
        ("PREFIX from: <http://ex/> SELECT * WHERE { ?s from:p ?o }", False),
        ("SELECT ?from WHERE { ?from ?p ?o }", False),
    ],
)
def test_query_names_dataset(query: str, expected: bool) -> None:
    assert query_names_dataset(query) is expected


def test_from_is_respected_over_the_union(kg: KnowledgeGraph) -> None:
    kg.update("INSERT DATA { GRAPH <http://ex/g1> { <http://ex/s> <http://ex/p> 1 } }")
    kg.update("INSERT DATA { GRAPH <http://ex/g2> { <http://ex/s> <http://ex/p> 2 } }")
    rows = list(kg.query("SELECT ?o FROM <http://ex/g1> WHERE { <http://ex/s> <http://ex/p> ?o }"))  # type: ignore[call-overload]
    assert [row["o"].value for row in rows] == ["1"]


def test_injection_through_using_graph_uri_is_refused(client: FlaskClient, kg: KnowledgeGraph) -> None:
    before = len(kg)
    response = client.post(
        "/sparql",
        query_string={"using-graph-uri": "http://a> { ?s ?p ?o } } ; DROP ALL ; INSERT { <x> <y> <z> } WHERE {"},
        data="INSERT { ?s a <http://ex/T> } WHERE { ?s ?p ?o }",
        content_type="application/sparql-update",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400
    assert len(kg) == before
