"""The one SPARQL lexer, table-tested: tokens, the questions callers ask of them, and the endpoints called."""

from __future__ import annotations

import pytest

from graph.sparql_lexer import called_endpoints, max_depth, query_form, tokens, top_level_keyword, where_group

PREFIXES = {"gai": "https://w3id.org/genai-kg/ontology#"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "SELECT ?s WHERE { ?s a <x> }",
            [
                ("word", "SELECT"),
                ("var", "?s"),
                ("word", "WHERE"),
                ("open", "{"),
                ("var", "?s"),
                ("word", "a"),
                ("iri", "<x>"),
                ("close", "}"),
            ],
        ),
        ("?a<?b", [("var", "?a"), ("op", "<"), ("var", "?b")]),
        ('"say \\"hi\\"" \'x\'', [("string", '"say \\"hi\\""'), ("string", "'x'")]),
        ('"""multi\nline "quoted" """', [("string", '"""multi\nline "quoted" """')]),
        ("'''it's'''", [("string", "'''it's'''")]),
        ("ex:a\\#b # comment", [("pname", "ex:a\\#b")]),
        ("ex:local.name ex:x.", [("pname", "ex:local.name"), ("pname", "ex:x"), ("punct", ".")]),
        (": :x gai:", [("pname", ":"), ("pname", ":x"), ("pname", "gai:")]),
        (
            "_:b1 $v 12 1.5 1e3 .5",
            [
                ("bnode", "_:b1"),
                ("var", "$v"),
                ("number", "12"),
                ("number", "1.5"),
                ("number", "1e3"),
                ("number", ".5"),
            ],
        ),
        (
            '"chat"@en-GB "1"^^xsd:int',
            [("string", '"chat"'), ("langtag", "@en-GB"), ("string", '"1"'), ("op", "^^"), ("pname", "xsd:int")],
        ),
        ("<http://ex/\\u0041>", [("iri", "<http://ex/\\u0041>")]),
        ("<not an iri>", [("op", "<"), ("word", "not"), ("word", "an"), ("word", "iri"), ("op", ">")]),
        ("# only a comment", []),
    ],
)
def test_tokens(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(t.kind, t.text) for t in tokens(text)] == expected


def test_braces_give_depth() -> None:
    depths = [(t.text, t.depth) for t in tokens("A { B { C } D } E") if t.kind == "word"]
    assert depths == [("A", 0), ("B", 1), ("C", 2), ("D", 1), ("E", 0)]


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("SELECT * FROM <g> { ?s ?p ?o }", ("FROM",), True),
        ("SELECT * { ?s ?p 'FROM' }", ("FROM",), False),
        ("SELECT * { ?s ?p ?o } # FROM <g>", ("FROM",), False),
        ("SELECT * { { SELECT * FROM <g> { } } }", ("FROM",), False),
        ("WITH <g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ("USING", "WITH"), True),
        ("INSERT DATA { <s> <p> 'with using' }", ("USING", "WITH"), False),
    ],
)
def test_top_level_keyword(text: str, words: tuple[str, ...], expected: bool) -> None:
    assert top_level_keyword(text, *words) is expected


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("PREFIX select: <http://ex/> ASK { select:a ?p ?o }", "ASK"),
        ("# SELECT\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("describe <x>", "DESCRIBE"),
        ("INSERT DATA { <s> <p> <o> }", None),
    ],
)
def test_query_form(text: str, form: str | None) -> None:
    assert query_form(text) == form


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("SELECT * WHERE { ?s ?p ?o } LIMIT 1", "{ ?s ?p ?o } LIMIT 1"),
        ("SELECT * { ?s ?p ?o }", "{ ?s ?p ?o }"),
        ("SELECT * FROM <g> WHERE { ?s ?p '{' }", "{ ?s ?p '{' }"),
        ("CONSTRUCT { ?s a ?c } WHERE { ?s ?p ?c }", "{ ?s ?p ?c }"),
        ("CONSTRUCT { ?s a ?c } { ?s ?p ?c }", "{ ?s ?p ?c }"),
        ("ASK { ?s ?p ?o }", "{ ?s ?p ?o }"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", None),
        ("INSERT DATA { <s> <p> <o> }", None),
    ],
)
def test_where_group(text: str, group: str | None) -> None:
    start = where_group(text)
    assert (None if start is None else text[start:]) == group


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("SELECT * { ?s ?p ?o }", 1),
        ("SELECT * { OPTIONAL { ?s ?p [ ?q ( 1 2 ) ] } }", 4),
        ("SELECT * { ?s ?p '{{{{' } # ((((", 1),
        ("{" * 500 + "}" * 500, 500),
        ("(" * 300, 300),
    ],
)
def test_max_depth(text: str, depth: int) -> None:
    assert max_depth(text) == depth


@pytest.mark.parametrize(
    ("text", "endpoints"),
    [
        ("SELECT * { ?s ?p ?o }", []),
        ("SELECT * { ?s rdfs:label 'SERVICE <http://evil/> {}' } # SERVICE <http://evil/>", []),
        ("SELECT * { SERVICE <http://ex/sparql> { ?s ?p ?o } }", ["http://ex/sparql"]),
        ("SELECT * { service silent <http://ex/sparql> { ?s ?p ?o } }", ["http://ex/sparql"]),
        ("SELECT * { SERVICE <http://\\u0031\\u0032\\u0037.0.0.1/> { } }", ["http://127.0.0.1/"]),
        ("PREFIX e: <http://ex/> SELECT * { SERVICE e:q { } }", ["http://ex/q"]),
        ("SELECT * { SERVICE gai:x { } }", ["https://w3id.org/genai-kg/ontology#x"]),
        ("PREFIX gai: <http://other/> SELECT * { SERVICE gai:x { } }", ["http://other/x"]),
        ("PREFIX e: <http://ex/> SELECT * { SERVICE e:a\\#b { } }", ["http://ex/a#b"]),
        ("SELECT * { SERVICE ?endpoint { } }", [None]),
        ("SELECT * { SERVICE undeclared:x { } }", [None]),
        ("BASE <http://ex/> SELECT * { SERVICE <relative> { } }", ["relative:relative"]),
        ("PREFIX e: <rel/> SELECT * { SERVICE e:x { } }", ["relative:rel/x"]),
        ("SELECT * { SERVICE", [None]),
        ("LOAD <http://ex/data.ttl> INTO GRAPH <g>", ["http://ex/data.ttl"]),
        ("LOAD SILENT <http://ex/a.ttl> ; LOAD <http://ex/b.ttl>", ["http://ex/a.ttl", "http://ex/b.ttl"]),
        ("INSERT { ?s ?p ?o } WHERE { SERVICE <http://ex/s> { ?s ?p ?o } }", ["http://ex/s"]),
    ],
)
def test_called_endpoints(text: str, endpoints: list[str | None]) -> None:
    assert called_endpoints(text, PREFIXES) == endpoints
