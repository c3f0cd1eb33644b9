"""Dataset clauses in SPARQL text: FROM detection, and using-graph-uri written in as USING — safely."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from pyoxigraph import Store

from graph import BadQuery, KnowledgeGraph
from graph.dataset_clauses import names_dataset, query_names_dataset, with_using

from .conftest import TOKEN

G = "http://example.org/g"


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (
            "INSERT { ?s a <http://t> } WHERE { ?s ?p ?o }",
            f"INSERT {{ ?s a <http://t> }} USING <{G}> WHERE {{ ?s ?p ?o }}",
        ),
        (
            "insert { ?s a <http://t> } where { ?s ?p ?o }",
            f"insert {{ ?s a <http://t> }} USING <{G}> where {{ ?s ?p ?o }}",
        ),
        (
            "DELETE WHERE { ?s <http://p> ?o }",
            f"DELETE {{ ?s <http://p> ?o }} USING <{G}> WHERE {{ ?s <http://p> ?o }}",
        ),
        ("INSERT DATA { <http://a> <http://b> <http://c> }", "INSERT DATA { <http://a> <http://b> <http://c> }"),
        ("CLEAR ALL", "CLEAR ALL"),
        (
            "INSERT { ?s <http://p> 'WHERE }' } WHERE { ?s ?p ?o }",
            f"INSERT {{ ?s <http://p> 'WHERE }}' }} USING <{G}> WHERE {{ ?s ?p ?o }}",
        ),
        (
            "INSERT { ?s <http://p> ?o } # WHERE {\nWHERE { ?s ?p ?o }",
            f"INSERT {{ ?s <http://p> ?o }} # WHERE {{\nUSING <{G}> WHERE {{ ?s ?p ?o }}",
        ),
        (
            "INSERT { ?s <http://p> ?o } WHERE { { SELECT ?s WHERE { ?s ?p ?o } } ?s ?p ?o }",
            f"INSERT {{ ?s <http://p> ?o }} USING <{G}> WHERE {{ {{ SELECT ?s WHERE {{ ?s ?p ?o }} }} ?s ?p ?o }}",
        ),
        (
            "PREFIX ex: <http://ex/> INSERT { ?s ex:where ?o } WHERE { ?s ex:where ?o } ; INSERT DATA { <http://a> <http://b> <http://c> }",
            f"PREFIX ex: <http://ex/> INSERT {{ ?s ex:where ?o }} USING <{G}> WHERE {{ ?s ex:where ?o }} ; "
            "INSERT DATA { <http://a> <http://b> <http://c> }",
        ),
        (
            'INSERT { ?s <http://p> """a\nWHERE { "b" """ } WHERE { ?s ?p ?o }',
            f'INSERT {{ ?s <http://p> """a\nWHERE {{ "b" """ }} USING <{G}> WHERE {{ ?s ?p ?o }}',
        ),
    ],
)
def test_with_using(update: str, expected: str) -> None:
    assert with_using(update, [G]) == expected
    Store().update(with_using(update, [G]))  # what comes out parses


def test_using_named() -> None:
    rewritten = with_using("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", [G], ["http://example.org/n"])
    assert f"USING <{G}> USING NAMED <http://example.org/n> WHERE" in rewritten


@pytest.mark.parametrize(
    "update",
    [
        "WITH <http://ex/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } USING <http://ex/g> WHERE { ?s ?p ?o }",
        "delete { ?s ?p ?o } using named <http://ex/g> where { ?s ?p ?o }",
    ],
)
def test_own_dataset_and_parameters_conflict(update: str) -> None:
    assert names_dataset(update)
    with pytest.raises(BadQuery, match="USING or WITH"):
        with_using(update, [G])
    assert with_using(update) == update


@pytest.mark.parametrize("iri", ["http://a> } ; DROP ALL ; #", "not an iri", "http://a b"])
def test_only_valid_iris_are_written_in(iri: str) -> None:
    with pytest.raises(BadQuery):
        with_using("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }", [iri])


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
