"""The W3C conformance runner itself, on small manifests written here (``make test`` never reads ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import manifests
from tests.conformance.evaluation import run_query_test, run_syntax_test, run_update_test

MANIFEST = """
@prefix mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .
@prefix qt: <http://www.w3.org/2001/sw/DataAccess/tests/test-query#> .
@prefix ut: <http://www.w3.org/2009/sparql/tests/test-update#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<> a mf:Manifest ; mf:entries ( <#select> <#wrong> <#graph> <#ordered> <#update> <#syntax> <#bad-syntax> ) .
<#select> a mf:QueryEvaluationTest ; mf:name "select" ;
    mf:action [ qt:query <select.rq> ; qt:data <data.ttl> ] ; mf:result <select.srx> .
<#wrong> a mf:QueryEvaluationTest ; mf:name "wrong" ;
    mf:action [ qt:query <select.rq> ; qt:data <data.ttl> ] ; mf:result <wrong.srx> .
<#graph> a mf:QueryEvaluationTest ; mf:name "graph" ;
    mf:action [ qt:query <graph.rq> ; qt:data <data.ttl> ; qt:graphData <named.ttl> ] ; mf:result <graph.srx> .
<#ordered> a mf:QueryEvaluationTest ; mf:name "ordered" ;
    mf:action [ qt:query <ordered.rq> ; qt:data <data.ttl> ] ; mf:result <ordered.srx> .
<#update> a mf:UpdateEvaluationTest ; mf:name "update" ;
    mf:action [ ut:request <insert.ru> ; ut:data <data.ttl> ] ;
    mf:result [ ut:data <data.ttl> ; ut:graphData [ ut:graph <named.ttl> ; rdfs:label "http://example/g" ] ] .
<#syntax> a mf:PositiveSyntaxTest11 ; mf:name "ok" ; mf:action <select.rq> .
<#bad-syntax> a mf:NegativeSyntaxTest11 ; mf:name "bad" ; mf:action <bad.rq> .
"""


def srx(*rows: str) -> str:
    results = "".join(f"<result><binding name='o'>{row}</binding></result>" for row in rows)
    return (
        "<?xml version='1.0'?><sparql xmlns='http://www.w3.org/2005/sparql-results#'>"
        f"<head><variable name='o'/></head><results>{results}</results></sparql>"
    )


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    files = {
        "manifest.ttl": MANIFEST,
        "data.ttl": "<http://example/s> <http://example/p> 2, 1 .\n_:b <http://example/p> 3 .",
        "named.ttl": "<http://example/t> <http://example/p> _:x .",
        "select.rq": "SELECT ?o WHERE { ?s <http://example/p> ?o }",
        "graph.rq": "SELECT ?o WHERE { GRAPH ?g { ?s <http://example/p> ?o } }",
        "ordered.rq": "SELECT ?o WHERE { ?s <http://example/p> ?o } ORDER BY DESC(?o)",
        "insert.ru": "INSERT DATA { GRAPH <http://example/g> { <http://example/t> <http://example/p> _:y } }",
        "bad.rq": "SELECT ?o WHERE { ?s ?p }",
        "select.srx": srx(
            *(f"<literal datatype='http://www.w3.org/2001/XMLSchema#integer'>{i}</literal>" for i in (1, 3, 2))
        ),
        "wrong.srx": srx("<literal>1</literal>"),
        "graph.srx": srx("<bnode>z</bnode>"),
        "ordered.srx": srx(
            *(f"<literal datatype='http://www.w3.org/2001/XMLSchema#integer'>{i}</literal>" for i in (3, 2, 1))
        ),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path / "manifest.ttl"


def test_runner_passes_and_fails_the_right_tests(manifest: Path) -> None:
    found = {t.name: t for t in manifests.tests(manifest)}
    assert run_query_test(found["select"]).passed
    assert not run_query_test(found["wrong"]).passed
    assert run_query_test(found["graph"]).passed  # only the named graph, blank nodes matched by a bijection
    assert run_query_test(found["ordered"]).passed
    assert run_update_test(found["update"]).passed
    assert run_syntax_test(found["ok"]).passed  # type: ignore[union-attr]
    assert run_syntax_test(found["bad"]).passed  # type: ignore[union-attr]
