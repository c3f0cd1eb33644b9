"""Content negotiation, table-tested: q-values, wildcards, specificity, suffixes, and /sparql's formats."""

from __future__ import annotations

import pytest
from pyoxigraph import QueryResultsFormat, RdfFormat

from server.negotiation import choose, prefers_html
from server.sparql import formats_for

GRAPHS = ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]


@pytest.mark.parametrize(
    ("accept", "suffix", "expected"),
    [
        (None, None, "text/turtle"),
        ("", None, "text/turtle"),
        ("*/*", None, "text/turtle"),
        ("application/*", None, "application/n-triples"),
        ("application/ld+json", None, "application/ld+json"),
        ("application/ld+json;q=0.4, application/rdf+xml;q=0.8", None, "application/rdf+xml"),
        ("text/*;q=0.1, application/rdf+xml;q=0.2", None, "application/rdf+xml"),
        ("application/rdf+xml, */*;q=0.1", None, "application/rdf+xml"),
        ("image/png", None, None),
        ("text/turtle;q=0", None, None),
        ("text/turtle; charset=utf-8", None, "text/turtle"),
        ("application/rdf+xml;charset=UTF-8;q=0.9, text/turtle;q=0.5", None, "application/rdf+xml"),
        ("application/rdf+xml", "ttl", "text/turtle"),
        (None, "jsonld", "application/ld+json"),
        (None, "png", None),
        (None, "csv", None),
    ],
)
def test_choose(accept: str | None, suffix: str | None, expected: str | None) -> None:
    assert choose(accept, GRAPHS, suffix=suffix) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("text/html", True),
        ("text/turtle, text/html;q=0.5", False),
        ("application/sparql-results+json", False),
        ("*/*", False),
        (None, False),
    ],
)
def test_prefers_html(accept: str | None, expected: bool) -> None:
    assert prefers_html(accept) is expected


@pytest.mark.parametrize(
    ("accept", "results", "graph"),
    [
        (None, QueryResultsFormat.JSON, RdfFormat.TURTLE),
        ("*/*", QueryResultsFormat.JSON, RdfFormat.TURTLE),
        ("application/sparql-results+xml", QueryResultsFormat.XML, None),
        ("application/xml", QueryResultsFormat.XML, None),
        ("application/json", QueryResultsFormat.JSON, None),
        ("text/csv", QueryResultsFormat.CSV, None),
        ("text/tab-separated-values", QueryResultsFormat.TSV, None),
        ("application/rdf+xml", None, RdfFormat.RDF_XML),
        # what rdflib's SPARQLStore sends: results as XML, graphs as RDF/XML
        ("application/sparql-results+xml, application/rdf+xml", QueryResultsFormat.XML, RdfFormat.RDF_XML),
        ("application/sparql-results+json,application/ld+json;q=0.9", QueryResultsFormat.JSON, RdfFormat.JSON_LD),
        ("text/turtle, */*;q=0.1", QueryResultsFormat.JSON, RdfFormat.TURTLE),
        ("application/n-quads", None, RdfFormat.N_QUADS),
        ("image/png", None, None),
    ],
)
def test_sparql_formats(accept: str | None, results: QueryResultsFormat | None, graph: RdfFormat | None) -> None:
    chosen = formats_for(accept)
    assert chosen.results == results
    assert chosen.graph == graph
