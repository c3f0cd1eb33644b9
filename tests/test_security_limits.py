"""The limits checked before parsing (graph/input_limits.py), without a server: tables and properties.

The fast scans are checked against slow references: the lexer's depth and literal length against the
lexer's own tokens, JSON cut into pieces against JSON whole, a file against the same bytes in memory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given
from hypothesis import strategies as st
from pyoxigraph import RdfFormat

from graph.errors import BadData, BadQuery, TooLarge
from graph.input_limits import InputLimits, check_rdf, check_rdf_file, check_sparql
from graph.loading import shipped_sources
from graph.named_queries import QUERIES_DIR
from graph.sparql_lexer import longest_literal, max_depth, scan
from server.cli import main

from .fuzzing import FUZZ

LIMITS = InputLimits(max_depth=8, max_literal_bytes=64)
XML_HEAD = '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="urn:e#">'


def reference_depth(text: str) -> int:
    """Depth as the lexer's tokens give it, one by one (what max_depth did before it skipped runs)."""
    depth = deepest = 0
    for kind, match in scan(text):
        if kind == "open" or (kind == "paren" and match.group() in "(["):
            depth += 1
            deepest = max(deepest, depth)
        elif kind in ("close", "paren"):
            depth = max(depth - 1, 0)
    return deepest


def reference_longest(text: str) -> int:
    return max((len(m.group()) for kind, m in scan(text) if kind in ("string", "iri")), default=0)


#: Text made of the pieces that decide: brackets, quotes, IRIs, comments, escapes, line breaks (a backslash only
#: where one may stand: in strings, IRIs and prefixed names; see sparql_lexer._SKIP).
PIECES = st.sampled_from(
    [
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "<<(",
        ")>>",
        '"',
        "'",
        '"""',
        "'''",
        "<",
        ">",
        "<http://ex/a(b>",
        "# c ((\n",
        "#",
        "ex:a\\#b",
        "ex:a\\(b",
        "'\\''",
        '"\\"("',
        "\\",
        "\\(",
        "ex:",
        "?x",
        " ",
        "\n",
        "\r\n",
        "a",
        "'((('",
        '"}}"',
        '"""\n{\n"""',
        "<a{b>",
        "<\\u0041>",
        "@en",
    ]
)
TEXT = st.lists(PIECES, max_size=60).map("".join)


def stray_backslash(text: str) -> bool:
    """A backslash outside strings, IRIs and prefixed names: wrong where it stands, and the one place where
    the fast scans may differ from the tokens (see sparql_lexer._SKIP)."""
    return any(kind == "other" and match.group() == "\\" for kind, match in scan(text))


@FUZZ
@given(text=TEXT)
def test_max_depth_agrees_with_the_lexers_tokens(text: str) -> None:
    assume(not stray_backslash(text))
    assert max_depth(text) == reference_depth(text)


@FUZZ
@given(text=TEXT)
def test_longest_literal_agrees_with_the_lexers_tokens(text: str) -> None:
    assume(not stray_backslash(text))
    assert longest_literal(text) == reference_longest(text)


def nested(depth: int) -> object:
    value: object = ']]} {{[ \\" \u00e9'
    for level in range(depth):
        value = {"urn:p": value, "urn:q": ["[", {"x": "}"}]} if level % 2 else [value, "{"]
    return value


@FUZZ
@given(depth=st.integers(0, 12), cuts=st.lists(st.integers(1, 400), max_size=5), indent=st.booleans())
def test_json_in_pieces_is_judged_as_json_whole(depth: int, cuts: list[int], indent: bool) -> None:
    data = json.dumps({"@id": "urn:a", "urn:p": nested(depth)}, indent=1 if indent else None).encode()

    def verdict(check: object) -> str:
        try:
            check()  # type: ignore[operator]
        except (BadData, TooLarge) as error:
            return type(error).__name__
        return "ok"

    whole = verdict(lambda: check_rdf(data, RdfFormat.JSON_LD, LIMITS))
    expected = "BadData" if _json_depth(json.loads(data)) > LIMITS.max_depth else "ok"
    assert whole == expected


def _json_depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_json_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_json_depth(v) for v in value), default=0)
    return 0


@pytest.mark.parametrize(
    ("media", "text", "error"),
    [
        ("text/turtle", "<urn:a> <urn:p> " + "[ <urn:p> " * 9 + "1" + " ]" * 9 + " .", BadData),
        ("text/turtle", "<urn:a> <urn:p> " + "[ <urn:p> " * 8 + "1" + " ]" * 8 + " .", None),
        ("text/turtle", '<urn:a> <urn:p> "((((((((((" . # ((((((((((\n', None),
        ("text/turtle", '<urn:a> <urn:p> """' + "x\n" * 40 + '""" .', TooLarge),
        ("text/turtle", "<urn:a> <urn:p> <urn:" + "x" * 70 + "> .", TooLarge),
        ("application/trig", "GRAPH <urn:g> { <urn:a> <urn:p> " + "( " * 8 + " ) " * 8 + "}", BadData),
        (
            "application/n-triples",
            "<urn:a> <urn:p> " + "<<( <urn:a> <urn:p> " * 9 + "<urn:o>" + " )>>" * 9 + " .",
            BadData,
        ),
        ("application/n-quads", '<urn:a> <urn:p> "' + "x" * 70 + '" <urn:g> .', TooLarge),
        ("application/ld+json", '{"@id": "urn:a", "urn:p": ' + '{"urn:p": ' * 8 + "1" + "}" * 8 + "}", BadData),
        ("application/ld+json", '{"@id": "urn:a", "urn:p": "[[[[[[[[[[[[{{{{{{{{"}', None),
        ("application/ld+json", '{"@id": "urn:a", "urn:p": "' + "x" * 70 + '"}', TooLarge),
        ("application/rdf+xml", XML_HEAD + "<e:a>" * 8 + "</e:a>" * 8 + "</rdf:RDF>", BadData),
        (
            "application/rdf+xml",
            XML_HEAD + '<rdf:Description rdf:about="urn:a"><e:p>1</e:p></rdf:Description>',
            BadData,
        ),
        ("application/rdf+xml", '<!DOCTYPE rdf:RDF [<!ENTITY e "urn:">]>' + XML_HEAD + "</rdf:RDF>", BadData),
        ("application/rdf+xml", XML_HEAD + "<e:p>" + "x" * 70 + "</e:p></rdf:RDF>", TooLarge),
        ("application/rdf+xml", XML_HEAD + '<e:p e:v="' + "x" * 70 + '"/></rdf:RDF>', TooLarge),
        ("application/rdf+xml", XML_HEAD + '<rdf:Description rdf:about="urn:a"/></rdf:RDF>', None),
        ("text/turtle", b"<urn:a> <urn:p> " + b"( " * 9 + b"\xff" + b" )" * 9, BadData),
    ],
)
def test_limits_by_syntax(media: str, text: str | bytes, error: type[Exception] | None, tmp_path: Path) -> None:
    data = text.encode() if isinstance(text, str) else text
    rdf_format = RdfFormat.from_media_type(media)
    assert rdf_format is not None
    path = tmp_path / f"body.{rdf_format.file_extension}"
    path.write_bytes(data)
    for check in (lambda: check_rdf(data, rdf_format, LIMITS), lambda: check_rdf_file(path, rdf_format, LIMITS)):
        if error is None:
            check()
        else:
            with pytest.raises(error):
                check()


def test_a_query_nesting_too_deep_is_a_bad_query() -> None:
    check_sparql("SELECT * { " + "{ " * 7 + "}" * 8, LIMITS)
    with pytest.raises(BadQuery, match="nests 9 levels deep"):
        check_sparql("SELECT * { " + "OPTIONAL { " * 8 + "}" * 9, LIMITS, what="query")


def test_what_ships_keeps_the_default_limits() -> None:
    for source in shipped_sources():
        check_rdf_file(source.path, RdfFormat.TURTLE, InputLimits())
    for path in QUERIES_DIR.glob("*.rq"):
        check_sparql(path.read_text(encoding="utf-8"), InputLimits())


def test_load_refuses_a_file_too_deep_before_loading_any(runner: CliRunner, tmp_path: Path) -> None:
    good, deep = tmp_path / "good.nt", tmp_path / "deep.jsonld"
    good.write_text("<urn:a> <urn:p> <urn:o> .\n")
    deep.write_text('{"@id": "urn:a", "urn:p": ' + '{"urn:p": ' * 5000 + "1" + "}" * 5000 + "}")
    store = tmp_path / "store"
    result = runner.invoke(main, ["load", str(good), str(deep), "--store", str(store)])
    assert result.exit_code != 0 and "levels deep" in result.output
    assert not store.exists()
    refused = runner.invoke(main, ["load", str(good), "--graph", "not an iri", "--store", str(store)])
    assert refused.exit_code != 0 and "not an absolute IRI" in refused.output
