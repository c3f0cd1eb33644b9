"""Hostile input, generated, against a real server: every answer a 4xx with a message, and the server alive.

Each test draws inputs with hypothesis (a bounded, repeatable number: see ``tests/fuzzing.py``) and sends
them to one ``genai-kg serve --memory`` process; after each request the crash canary checks that the
process and its worker are the same and ``/health`` answers. What is drawn:

- deep nesting in every syntax a body, query or update can have, around the limit and far past it, with
  brackets inside strings, IRIs and comments that must not count;
- odd IRIs (spaces, controls, percent signs, braces, quotes, non-ASCII) in paths and parameters;
- broken RDF in every syntax: cut short, bytes flipped, invalid UTF-8, or labelled with another type;
- hostile SPARQL: ``SERVICE`` and ``LOAD`` in every form the lexer knows (prefixed names with escapes,
  ``\\u`` escapes in IRIs, BASE-relative IRIs, variables, comments, any case), checked differentially
  against an HTTP server that counts the calls it gets: none may arrive while it is not allowed, and the
  same queries do arrive once it is (so the test cannot pass by never calling at all).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from pyoxigraph import RdfFormat, serialize

from server import Config

from .conftest import LocalEndpoint, ServerProcess, local_endpoint
from .fuzzing import AUTH, FUZZ, Canary, Tally, server_error, start_server

LIMIT = Config().max_nesting_depth


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    started = start_server()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def canary(server: ServerProcess, tally: Tally) -> Canary:
    return Canary(server, tally)


@pytest.fixture(scope="module", autouse=True)
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """Counts every hostile request of the module, by test, and prints the counts at its end."""
    counts, began = Tally("hostile inputs (kinds: tests)"), time.monotonic()
    yield counts
    counts.report(request, time.monotonic() - began)


def send(
    server: ServerProcess, canary: Canary, method: str, path: str, what: str = "", **kwargs: Any
) -> requests.Response:
    """One hostile request (``what`` it is, for messages), bounded in time, counted, followed by the canary."""
    return canary.call(method, server.url + path, f"{method} {path[:200]} {what}".strip(), **kwargs)


def assert_client_error(response: requests.Response, *statuses: int, what: object = "") -> None:
    """A 4xx (one of ``statuses`` when given) with a message that says something."""
    shown = (what, response.status_code, response.text[:300])
    assert 400 <= response.status_code < 500, shown
    if statuses:
        assert response.status_code in statuses, shown
    assert len(response.text.strip()) > 10, shown


# -- deep nesting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nesting:
    """A way to nest ``n`` times in one syntax: the text, its media type, and how many levels it makes."""

    name: str
    media: str
    build: Callable[[int, str], str]
    levels: Callable[[int], int]
    sparql: str | None = None  # "query" or "update" for SPARQL, None for an RDF body


NOISY_JSON = '"urn:noise": "]]]}}}[[[{{{", '
NOISY_TURTLE = '<urn:x> <urn:y> "((([[[{{{" , """)))]]]\n}}}""" , <urn:z> . # ((([[[{{{\n'
NOISY_SPARQL = "# {{{(((\n"

NESTINGS = [
    Nesting(
        "JSON-LD objects",
        "application/ld+json",
        lambda n, noise: '{"@id": "urn:n", ' + noise + '"urn:p": ' + '{"urn:p": ' * n + "1" + "}" * n + "}",
        lambda n: n + 1,
    ),
    Nesting(
        "JSON-LD lists",
        "application/ld+json",
        lambda n, noise: '{"@id": "urn:n", ' + noise + '"urn:p": ' + '{"@list": [' * n + "1" + "]}" * n + "}",
        lambda n: 2 * n + 1,
    ),
    Nesting(
        "RDF/XML",
        "application/rdf+xml",
        lambda n, noise: (
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:e="urn:e#"><rdf:Description rdf:about="urn:a">' + "<e:p><rdf:Description>" * n + "<e:p>1</e:p>"
            "</rdf:Description></e:p>" * n + "</rdf:Description></rdf:RDF>"
        ),
        lambda n: 2 * n + 3,
    ),
    Nesting(
        "Turtle blank nodes",
        "text/turtle",
        lambda n, noise: noise + "<urn:a> <urn:p> " + "[ <urn:p> " * n + "1" + " ]" * n + " .",
        lambda n: n,
    ),
    Nesting(
        "Turtle lists",
        "text/turtle",
        lambda n, noise: noise + "<urn:a> <urn:p> " + "( " * n + "1" + " )" * n + " .",
        lambda n: n,
    ),
    Nesting(
        "TriG",
        "application/trig",
        lambda n, noise: noise + "GRAPH <urn:g> { <urn:a> <urn:p> " + "[ <urn:p> " * n + "1" + " ]" * n + " . }",
        lambda n: n + 1,
    ),
    Nesting(
        "N-Triples triple terms",
        "application/n-triples",
        lambda n, noise: "<urn:a> <urn:p> " + "<<( <urn:a> <urn:p> " * n + "<urn:o>" + " )>>" * n + " .\n",
        lambda n: n,
    ),
    Nesting(
        "N-Quads triple terms",
        "application/n-quads",
        lambda n, noise: "<urn:a> <urn:p> " + "<<( <urn:a> <urn:p> " * n + "<urn:o>" + " )>>" * n + " <urn:g> .\n",
        lambda n: n,
    ),
    Nesting(
        "query groups",
        "application/sparql-query",
        lambda n, noise: noise + "SELECT * WHERE " + "{ " * n + "?s ?p ?o" + " }" * n,
        lambda n: n,
        "query",
    ),
    Nesting(
        "query expressions",
        "application/sparql-query",
        lambda n, noise: noise + "SELECT * WHERE { BIND(" + "(" * n + "1" + ")" * n + ' AS ?x) FILTER(?x != "(((") }',
        lambda n: n + 2,
        "query",
    ),
    Nesting(
        "query OPTIONAL",
        "application/sparql-query",
        lambda n, noise: noise + "SELECT * WHERE { " + "OPTIONAL { " * n + "?s ?p ?o" + " }" * n + " }",
        lambda n: n + 1,
        "query",
    ),
    Nesting(
        "update groups",
        "application/sparql-update",
        lambda n, noise: noise + "INSERT { <urn:a> <urn:b> <urn:c> } WHERE " + "{ " * n + "?s ?p ?o" + " }" * n,
        lambda n: n + 1,
        "update",
    ),
    Nesting(
        "update lists",
        "application/sparql-update",
        lambda n, noise: noise + "INSERT DATA { <urn:a> <urn:b> " + "( " * n + "1" + " )" * n + " }",
        lambda n: n + 1,
        "update",
    ),
    Nesting(
        "update blank nodes",
        "application/sparql-update",
        lambda n, noise: noise + "INSERT DATA { <urn:a> <urn:b> " + "[ <urn:p> " * n + "1" + " ]" * n + " }",
        lambda n: n + 1,
        "update",
    ),
]
NOISE = {"application/ld+json": NOISY_JSON, "application/rdf+xml": ""}


@FUZZ
@given(
    nesting=st.sampled_from(NESTINGS),
    depth=st.one_of(st.integers(LIMIT // 2 - 3, LIMIT + 3), st.sampled_from([600, 1_000, 5_000, 20_000])),
    noisy=st.booleans(),
    target=st.sampled_from(["store", "classify"]),
)
def test_deep_nesting_is_refused_before_it_reaches_a_parser(
    server: ServerProcess, canary: Canary, nesting: Nesting, depth: int, noisy: bool, target: str
) -> None:
    noise = NOISE.get(nesting.media, NOISY_SPARQL if nesting.sparql else NOISY_TURTLE) if noisy else ""
    body = nesting.build(depth, noise).encode()
    what = f"{nesting.name} {depth} times ({nesting.levels(depth)} levels{', noisy' if noisy else ''})"
    headers = {"Content-Type": nesting.media, "Accept": "application/json"}
    if nesting.sparql == "query":
        response = send(server, canary, "POST", "/sparql", what, data=body, headers=headers)
    elif nesting.sparql == "update":
        response = send(server, canary, "POST", "/sparql", what, data=body, headers={**headers, **AUTH})
    elif target == "store":
        response = send(server, canary, "PUT", "/store?graph=urn:fuzz", what, data=body, headers={**headers, **AUTH})
    else:
        response = send(server, canary, "POST", "/infer/classify", what, data=body, headers=headers)
    refused = response.status_code == 400 and "levels deep" in response.text
    if nesting.levels(depth) > LIMIT:
        assert_client_error(response, 400, what=what)
        assert refused, (what, response.text[:300])
    else:
        assert not server_error(response), (what, response.text[:300])
        assert not refused, (what, response.text[:300])


# -- odd IRIs -----------------------------------------------------------------------------------------

ODD = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(" \t\n\r\x00\x01\x7f%{}<>\"'|^`\\#?/&=+:;@[]()*!$,~.-_")),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    min_size=0,
    max_size=40,
)
#: Where a client's text becomes an IRI: path segments and parameters.
PLACES = [
    "/id/{}",
    "/ontology/{}",
    "/id/{}.ttl",
    "/store/{}",
    "/store?graph={}",
    "/infer/types?iri={}",
    "/infer/is-a?iri=gaid:ChatGPT&class={}",
    "/infer/explain?subject={}&predicate=rdf:type&object=gai:Product",
    "/infer/superclasses?class={}",
    "/matrix/models?modality={}&architecture=gai:TransformerArchitecture",
    "/queries/model-profile?model={}",
    "/queries/models-by-organization?organization={}",
    "/sparql?query=ASK%7B%7D&default-graph-uri={}",
    "/sparql?query=ASK%7B%7D&named-graph-uri={}",
    "/search?q={}",
    "/id/ChatGPT?page={}",
]


@FUZZ
@given(text=ODD, place=st.sampled_from(PLACES), html=st.booleans())
def test_odd_iris_in_paths_and_parameters_are_never_a_server_error(
    server: ServerProcess, canary: Canary, text: str, place: str, html: bool
) -> None:
    path = place.format(quote(text, safe=""))
    accept = "text/html" if html else "application/json"
    response = send(server, canary, "GET", path, headers={"Accept": accept})
    assert not server_error(response), (path, response.text[:300])
    if response.status_code >= 400:
        assert_client_error(response)


@FUZZ
@given(text=ODD)
def test_odd_graph_iris_in_writes_are_a_client_error(server: ServerProcess, canary: Canary, text: str) -> None:
    body, headers = b"<urn:a> <urn:b> <urn:c> .", {"Content-Type": "application/n-triples", **AUTH}
    for method in ("PUT", "POST", "DELETE"):
        response = send(server, canary, method, f"/store?graph={quote(text, safe='')}", data=body, headers=headers)
        assert response.status_code < 500, (method, text, response.text[:300])
    form = {"update": "INSERT { <urn:a> <urn:b> <urn:c> } WHERE { ?s ?p ?o } ", "using-graph-uri": text}
    response = send(server, canary, "POST", "/sparql", data=form, headers=AUTH)
    assert response.status_code < 500, (text, response.text[:300])


# -- broken RDF ---------------------------------------------------------------------------------------

SAMPLE = (
    "@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    'ex:a rdfs:label "Ä model"@en ; ex:size 42 ; ex:parts ( ex:b ex:c ) ; ex:made [ rdfs:label "x\\ny" ] .\n'
    'ex:b ex:note """long\ntext""" ; ex:when "2024-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
)
FORMATS = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/trig": RdfFormat.TRIG,
    "application/n-quads": RdfFormat.N_QUADS,
}


def documents() -> dict[str, bytes]:
    """The sample in every syntax the service reads (pyoxigraph writes each)."""
    from pyoxigraph import parse

    triples = [quad.triple for quad in parse(SAMPLE.encode(), format=RdfFormat.TURTLE)]
    out = {}
    for media, rdf_format in FORMATS.items():
        written = serialize(triples, format=rdf_format)
        assert written is not None
        out[media] = written
    return out


DOCUMENTS = documents()


@st.composite
def broken(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """A document of the sample in some syntax, damaged one way, and the media type to send it as."""
    media = draw(st.sampled_from(sorted(DOCUMENTS)))
    data = DOCUMENTS[media]
    how = draw(st.sampled_from(["cut", "flip", "invalid UTF-8", "other type", "empty"]))
    if how == "cut":
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif how == "flip":
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    elif how == "invalid UTF-8":
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"])) + data[at:]
        )
    elif how == "other type":
        media = draw(st.sampled_from(sorted(set(FORMATS) - {media})))
    else:
        data = b""
    return how, data, media


@FUZZ
@given(damaged=broken(), target=st.sampled_from(["PUT /store", "POST /store", "POST /infer/classify"]))
def test_broken_rdf_is_a_client_error(
    server: ServerProcess, canary: Canary, damaged: tuple[str, bytes, str], target: str
) -> None:
    how, data, media = damaged
    method, path = target.split()
    headers = {"Content-Type": media, "Accept": "application/json", **(AUTH if path == "/store" else {})}
    response = send(
        server, canary, method, path + ("?graph=urn:fuzz" if path == "/store" else ""), data=data, headers=headers
    )
    assert response.status_code < 500, (how, media, response.text[:300])
    if response.status_code >= 400:
        assert_client_error(response)
    if media == "application/rdf+xml" and how == "cut" and b"</rdf:RDF>" not in data:
        assert_client_error(response, 400)  # pyoxigraph alone takes a document cut short (issue 12, item 7)


@pytest.mark.parametrize("media", ["text/plain", "application/json", "text/html", "application/octet-stream", ""])
def test_bodies_of_other_types_are_415_with_the_accepted_types(
    server: ServerProcess, canary: Canary, media: str
) -> None:
    body = DOCUMENTS["application/n-triples"]
    for method, path, headers in (("PUT", "/store?graph=urn:fuzz", AUTH), ("POST", "/infer/classify", {})):
        response = send(server, canary, method, path, data=body, headers={"Content-Type": media, **headers})
        assert_client_error(response, 415)
        assert "text/turtle" in response.text and "application/n-triples" in response.text


# -- huge literals ------------------------------------------------------------------------------------


def huge(media: str, size: int) -> bytes:
    value = "x" * size
    return {
        "application/n-triples": f'<urn:a> <urn:p> "{value}" .\n',
        "text/turtle": f'<urn:a> <urn:p> """{value}\n""" .\n',
        "application/ld+json": f'{{"@id": "urn:a", "urn:p": "{value}"}}',
        "application/rdf+xml": (
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            f'xmlns:e="urn:e#"><rdf:Description rdf:about="urn:a"><e:p>{value}</e:p></rdf:Description></rdf:RDF>'
        ),
        "application/trig": f"<urn:a> <urn:p> <urn:{value}> .\n",
    }[media].encode()


@pytest.mark.parametrize(
    "media", ["application/n-triples", "text/turtle", "application/ld+json", "application/rdf+xml", "application/trig"]
)
@pytest.mark.parametrize("size", [Config().max_literal_bytes + 1, 17 * 1024 * 1024])
def test_huge_literals_are_413(server: ServerProcess, canary: Canary, media: str, size: int) -> None:
    body = huge(media, size)
    for method, path, headers in (("PUT", "/store?graph=urn:fuzz", AUTH), ("POST", "/infer/classify", {})):
        response = send(server, canary, method, path, data=body, headers={"Content-Type": media, **headers})
        assert_client_error(response, 413)


# -- hostile SPARQL: SERVICE and LOAD, differentially ---------------------------------------------------


@pytest.fixture(scope="module")
def counter() -> Iterator[LocalEndpoint]:
    """An endpoint that counts the calls it gets and answers each with an empty SPARQL result."""
    empty = b'{"head": {"vars": []}, "results": {"bindings": [{}]}}'
    with local_endpoint(200, empty, "application/sparql-results+json") as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def allowing(counter: LocalEndpoint) -> Iterator[ServerProcess]:
    """A second server that may call the counting endpoint: the positive control."""
    started = start_server(GENAI_KG_ALLOWED_ENDPOINTS=counter.url + "/")
    yield started
    started.stop()


def escape_iri(iri: str, chosen: list[int]) -> str:
    """``iri`` with the characters at ``chosen`` written as ``\\u`` escapes (the parser decodes them)."""
    return "".join(f"\\u{ord(c):04X}" if i in chosen else c for i, c in enumerate(iri))


@st.composite
def calls(draw: st.DrawFn) -> Callable[[str], tuple[str, str]]:
    """A query or update that calls an endpoint somehow, as a function of the endpoint's URL."""
    keyword = draw(st.sampled_from(["SERVICE", "service", "SeRvIcE", "SERVICE SILENT", "service silent"]))
    gap = draw(st.sampled_from([" ", "\n", "\t", " # a comment { SERVICE <x> }\n ", "  \r\n "]))
    form = draw(st.sampled_from(["iri", "escaped", "prefixed", "prefixed-escape", "base", "variable", "values"]))
    wrap = draw(
        st.sampled_from(
            ["{}", "{{ OPTIONAL {} }}", "{{ {{ }} UNION {} }}", "{{ FILTER EXISTS {} }}", "{{ {{ SELECT * {} }} }}"]
        )
    )
    indices = draw(st.lists(st.integers(0, 20), max_size=4))
    update = draw(st.booleans())
    load = update and draw(st.booleans())
    decoy = draw(st.sampled_from(["", 'FILTER(STR(?s) != "SERVICE <http://127.0.0.1/>") ', "# SERVICE <http://x/>\n"]))

    def text(url: str) -> tuple[str, str]:
        prologue, target = "", f"<{url}/sparql>"
        if form == "escaped":
            target = "<" + escape_iri(f"{url}/sparql", indices) + ">"
        elif form == "prefixed":
            prologue, target = f"PREFIX e: <{url}/>\n", "e:sparql"
        elif form == "prefixed-escape":
            prologue, target = f"PREFIX e: <{url}/>\n", r"e:spa\-rql"
        elif form == "base":
            prologue, target = f"BASE <{url}/>\n", "<sparql>"
        if load:
            return prologue + f"LOAD{' SILENT' if 'SILENT' in keyword.upper() else ''}{gap}{target}", "update"
        if form == "variable":
            pattern = f"BIND(<{url}/sparql> AS ?e) {keyword}{gap}?e {{ ?s ?p ?o }}"
        elif form == "values":
            pattern = f"VALUES ?e {{ <{url}/sparql> }} {keyword}{gap}?e {{ ?s ?p ?o }}"
        else:
            pattern = f"{keyword}{gap}{target} {{ ?s ?p ?o }}"
        group = wrap.format("{ " + decoy + pattern + " }")
        if update:
            return prologue + f"INSERT {{ <urn:a> <urn:b> <urn:c> }} WHERE {group}", "update"
        return prologue + f"SELECT * WHERE {group}", "query"

    return text


def run(server: ServerProcess, canary: Canary, sparql: str, kind: str) -> requests.Response:
    headers = {"Content-Type": f"application/sparql-{kind}", **(AUTH if kind == "update" else {})}
    return send(server, canary, "POST", "/sparql", data=sparql.encode(), headers=headers)


@FUZZ
@given(call=calls())
def test_no_query_reaches_an_endpoint_that_is_not_allowed(
    server: ServerProcess,
    canary: Canary,
    counter: LocalEndpoint,
    allowing: ServerProcess,
    call: Callable[[str], tuple[str, str]],
) -> None:
    sparql, kind = call(counter.url)
    counter.calls.clear()
    refused = run(server, canary, sparql, kind)
    assert counter.calls == [], f"{sparql!r} reached the endpoint: {counter.calls}"
    if "LOAD SILENT" in sparql.upper():  # SILENT: the refusal is an error the spec says to keep quiet
        assert refused.status_code == 204, (sparql, refused.text[:300])
    else:
        assert_client_error(refused, 400)
        assert "not an allowed endpoint" in refused.text, refused.text[:300]
    allowed = run(allowing, Canary(allowing, canary.tally), sparql, kind)
    assert allowed.status_code < 500, (sparql, allowed.text[:300])
    if allowed.status_code < 300:
        assert counter.calls, f"{sparql!r} was allowed and answered, but never called the endpoint"


@FUZZ
@given(text=st.text(max_size=200), kind=st.sampled_from(["query", "update"]))
def test_any_sparql_text_is_never_a_server_error(server: ServerProcess, canary: Canary, text: str, kind: str) -> None:
    response = run(server, canary, text, kind)
    assert not server_error(response), (text, response.text[:300])
