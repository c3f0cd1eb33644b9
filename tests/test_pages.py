"""Linked-data pages: content negotiation table-tested over every ontology term and a sample of instances.

The negotiation tables only read, so they share one app per module (a fresh store per test would cost a
second each for some hundred cases); tests that look at one page's contents use the per-test fixtures.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import QuerySolutions
from rdflib import RDF, URIRef
from rdflib.namespace import OWL

from graph import KnowledgeGraph, describe
from graph.diagram import class_diagram
from graph.namespaces import GAI, GAID, GENID, ONTOLOGY_IRI, page_path
from server import Config, create_app

from .conftest import shipped_in_memory

pytestmark = pytest.mark.both_backends

ROOT = Path(__file__).resolve().parent.parent

#: Media type -> (suffix, rdflib parser).
RDF_FORMATS = {
    "text/turtle": ("ttl", "turtle"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/rdf+xml": ("rdf", "xml"),
    "application/n-triples": ("nt", "nt"),
}
INSTANCES = ["ChatGPT", "GPT-4.5", "OpenAI", "Gemini_1.5_Pro", "Midjourney_v6", "DALL-E_3", "Suno"]


def ontology_terms() -> list[str]:
    """Every ``gai:`` term the shipped ontology declares (read from the file, so new terms are tested too)."""
    graph = rdflib.Graph().parse(ROOT / "ontology" / "genai.ttl")
    return sorted({str(s)[len(GAI) :] for s in graph.subjects(RDF.type, None) if str(s).startswith(GAI)})


@pytest.fixture(scope="module")
def site() -> Iterator[FlaskClient]:
    app = create_app(Config(store=None, token="t", query_workers=0), kg=shipped_in_memory())
    app.testing = True
    yield app.test_client()


def parse(body: bytes | str, parser: str) -> rdflib.Graph:
    with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        return rdflib.Graph().parse(data=body, format=parser)


def check_variants(site: FlaskClient, path: str, iri: str) -> None:
    """Every RDF format, by ``Accept`` and by suffix, parses and describes ``iri``; the headers say so."""
    for media, (suffix, parser) in RDF_FORMATS.items():
        by_accept = site.get(path, headers={"Accept": media})
        assert by_accept.status_code == 200, (path, media, by_accept.data[:200])
        assert by_accept.mimetype == media
        assert "Accept" in by_accept.headers["Vary"]
        assert by_accept.headers["Content-Location"] == f"{path}.{suffix}"
        link = by_accept.headers["Link"]
        assert f'<{path}.html>; rel="alternate"; type="text/html"' in link
        assert f'type="{media}"' not in link  # alternates are the other variants
        graph = parse(by_accept.data, parser)
        assert (URIRef(iri), None, None) in graph, (path, media)
        by_suffix = site.get(f"{path}.{suffix}", headers={"Accept": "text/html"})
        assert by_suffix.status_code == 200 and by_suffix.mimetype == media
        assert len(parse(by_suffix.data, parser)) == len(graph)


@pytest.mark.parametrize("term", ontology_terms())
def test_every_ontology_term_in_every_format(site: FlaskClient, term: str) -> None:
    check_variants(site, f"/ontology/{term}", GAI + term)
    page = site.get(f"/ontology/{term}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["Content-Location"] == f"/ontology/{term}.html"
    assert GAI + term in page.get_data(as_text=True)


@pytest.mark.parametrize("name", INSTANCES)
def test_instances_in_every_format(site: FlaskClient, name: str) -> None:
    check_variants(site, f"/id/{name}", GAID + name)


def test_every_instance_is_parseable_turtle(site: FlaskClient) -> None:
    """Names with dots, brackets or accents (``Adobe_Inc.`` links) still give Turtle that rdflib reads."""
    kg = site.application.extensions["genai_kg"]
    names = {q.subject.value[len(GAID) :] for q in kg.quads(None, None, None) if q.subject.value.startswith(GAID)}
    assert len(names) > 100
    for name in sorted(names):
        response = site.get(page_path(GAID + name) or "", headers={"Accept": "text/turtle"})
        assert response.status_code == 200, name
        assert (URIRef(GAID + name), None, None) in parse(response.data, "turtle"), name


def test_ontology_document_in_every_format(site: FlaskClient) -> None:
    check_variants(site, "/ontology", ONTOLOGY_IRI)
    graph = parse(site.get("/ontology.ttl").data, "turtle")
    assert (URIRef(ONTOLOGY_IRI), RDF.type, OWL.Ontology) in graph
    assert (URIRef(GAI + "LargeLanguageModel"), RDF.type, OWL.Class) in graph


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/ld+json;q=0.9, text/turtle;q=0.5", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/*", "text/turtle"),
    ],
)
def test_accept_picks_the_variant(site: FlaskClient, accept: str | None, expected: str) -> None:
    response = site.get("/id/ChatGPT", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == expected


def test_suffix_beats_accept(site: FlaskClient) -> None:
    response = site.get("/id/ChatGPT.nt", headers={"Accept": "text/html"})
    assert response.mimetype == "application/n-triples"
    assert response.headers["Content-Location"] == "/id/ChatGPT.nt"


def test_nothing_acceptable_is_406(site: FlaskClient) -> None:
    assert site.get("/id/ChatGPT", headers={"Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize("path", ["/id/NoSuchThing", "/id/NoSuchThing.ttl", "/ontology/NoSuchTerm", "/id/ChatGPT.pdf"])
def test_unknown_names_are_404(site: FlaskClient, path: str) -> None:
    assert site.get(path, headers={"Accept": "text/turtle"}).status_code == 404


def test_unknown_names_get_a_page_in_browsers(site: FlaskClient) -> None:
    response = site.get("/id/NoSuchThing", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "https://w3id.org/genai-kg/id/NoSuchThing" in response.get_data(as_text=True)


def test_names_with_dots_are_not_suffixes(site: FlaskClient) -> None:
    response = site.get("/id/Gemini_1.5_Pro", headers={"Accept": "text/turtle"})
    assert response.headers["Content-Location"] == "/id/Gemini_1.5_Pro.ttl"
    assert (URIRef(GAID + "Gemini_1.5_Pro"), None, None) in parse(response.data, "turtle")


def test_description_has_incoming_links_and_restrictions(site: FlaskClient) -> None:
    graph = parse(site.get("/ontology/ImageGenerator.ttl").data, "turtle")
    image = URIRef(GAI + "ImageGenerator")
    assert (URIRef(GAID + "DALL-E_3"), RDF.type, image) in graph  # incoming, inferred
    (equivalent,) = graph.objects(image, OWL.equivalentClass)
    assert isinstance(equivalent, rdflib.BNode) and len(list(graph.triples((equivalent, None, None)))) > 0
    openai = parse(site.get("/id/OpenAI.nt").data, "nt")
    assert (URIRef(GAID + "ChatGPT"), URIRef(GAI + "developedBy"), URIRef(GAID + "OpenAI")) in openai


def test_jsonld_uses_the_published_context(site: FlaskClient) -> None:
    context = site.get("/context.jsonld")
    assert context.status_code == 200 and context.mimetype == "application/ld+json"
    published = context.get_json()["@context"]
    assert published["gai"] == GAI and published["gaid"] == GAID
    document = json.loads(site.get("/id/ChatGPT.jsonld").data)
    assert document["@context"] == published


FOLLOWED = ("/id/", "/ontology", "/matrix", "/.well-known/void")


@pytest.mark.timeout(600)  # some 4,000 pages and their links, each rendered for real
def test_every_internal_link_resolves(site: FlaskClient) -> None:
    """Crawl the site from ``/``: every page of ours is reachable and no link on it is dead."""
    seen, todo, checked = {"/"}, ["/"], {}
    while todo:
        path = todo.pop()
        response = site.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, path
        for link in re.findall(r'href="(/[^"#]*)', response.get_data(as_text=True)):
            link = link.replace("&amp;", "&")
            if link.startswith(FOLLOWED) and "?" not in link and link not in seen:  # queries: checked, not crawled
                seen.add(link)
                todo.append(link)
            elif link not in seen and link not in checked:
                with site.get(link, headers={"Accept": "text/html"}) as other:
                    checked[link] = other.status_code
    assert len(seen) > 300
    assert {link: status for link, status in checked.items() if status >= 400} == {}


def test_resource_page(client: FlaskClient) -> None:
    html = client.get("/id/ChatGPT", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "https://w3id.org/genai-kg/id/ChatGPT" in html  # the canonical IRI
    assert "<h1>ChatGPT</h1>" in html
    # inferred types are marked and explained
    assert re.search(r'class="inferred".*?/infer/is-a\?iri=https', html, re.S)
    # internal links go to our pages, external matches out
    assert 'href="/id/OpenAI"' in html and 'href="/ontology/Product"' in html
    assert 'href="http://www.wikidata.org/entity/Q115564437"' in html
    assert 'href="http://dbpedia.org/resource/ChatGPT"' in html
    # the source of facts: dcterms:source and the named graph
    assert 'href="/id/DifferenceBetweenLLMAndGenerativeAI"' in html and "badge graph" in html
    # the page's own data as JSON-LD
    (embedded,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    graph = parse(embedded, "json-ld")
    assert (URIRef(GAID + "ChatGPT"), URIRef(GAI + "developedBy"), URIRef(GAID + "OpenAI")) in graph
    for alternate in ("/id/ChatGPT.ttl", "/id/ChatGPT.jsonld", "/id/ChatGPT.rdf", "/id/ChatGPT.nt"):
        assert f'href="{alternate}"' in html


def test_referrers_are_in_the_order_sparql_gives_them(kg: KnowledgeGraph) -> None:
    """Sorted in Python (Oxigraph's ORDER BY decodes both terms at every comparison), as ORDER BY ?q ?x would."""
    ours = [(r.predicate.value, r.subject.value) for r in describe.referrers(kg, GAI + "TextModality")]
    result = kg.query(
        f'SELECT DISTINCT ?x ?q WHERE {{ ?x ?q gai:TextModality FILTER(isIRI(?x) && !STRSTARTS(STR(?x), "{GENID}")) }} '
        "ORDER BY ?q ?x"
    )
    assert isinstance(result, QuerySolutions)
    assert ours == [(row["q"].value, row["x"].value) for row in result] and len(ours) > 50


def test_incoming_links_are_counted_and_paged(client: FlaskClient) -> None:
    first = client.get("/ontology/TextModality.html").get_data(as_text=True)
    total = int(re.search(r"Referenced by <span class=\"muted\">\((\d+)\)", first).group(1))  # type: ignore[union-attr]
    assert total > 50 and 'rel="next" href="?page=2#incoming"' in first
    second = client.get("/ontology/TextModality.html?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and "page 2 of" in second
    assert client.get("/ontology/TextModality.html?page=0").status_code == 400
    assert client.get("/ontology/TextModality.html?page=x").status_code == 400


def test_public_base_url_rewrites_links(kg: KnowledgeGraph) -> None:
    app: Flask = create_app(Config(store=None, base_url="https://kg.example.org/", query_workers=0), kg=kg)
    html = app.test_client().get("/id/ChatGPT.html").get_data(as_text=True)
    assert 'href="https://kg.example.org/id/OpenAI"' in html
    assert 'href="/id/OpenAI"' not in html


def test_ontology_page(client: FlaskClient) -> None:
    response = client.get("/ontology", headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    assert response.headers["Content-Location"] == "/ontology.html"
    assert "<svg" in html and "Class hierarchy" in html
    assert "<title>Ontology · genai-kg</title>" in html and html.count('id="namespaces"') == 1
    assert re.search(r'href="/ontology/LargeLanguageModel#incoming">\d+ members</a>', html)
    for header in ("Version IRI", "0.2.0", "License", "Preferred prefix"):
        assert header in html
    for term in ontology_terms():
        assert f'id="{term}"' in html or f'href="/ontology/{term}"' in html, term
    svg = client.get("/ontology/diagram.svg")
    assert svg.mimetype == "image/svg+xml"
    assert 'href="/ontology/LargeLanguageModel"' in svg.get_data(as_text=True)


def test_class_diagram_draws_every_class_once(kg: KnowledgeGraph) -> None:
    svg = class_diagram(kg)
    root = ElementTree.fromstring(svg)  # well-formed SVG
    ns = {"svg": "http://www.w3.org/2000/svg"}
    links = [a.get("href") for a in root.iterfind(".//svg:a", ns)]
    declared = rdflib.Graph().parse(ROOT / "ontology" / "genai.ttl")
    classes = {str(c)[len(GAI) :] for c in declared.subjects(RDF.type, OWL.Class) if str(c).startswith(GAI)}
    assert sorted(links) == sorted(f"/ontology/{c}" for c in classes)
    defined = {a.get("href") for a in root.iterfind(".//svg:a", ns) if "defined" in (a.get("class") or "")}
    assert "/ontology/ImageGenerator" in defined and "/ontology/LargeLanguageModel" not in defined
    # LLM sits under generative model, under generative AI: indented further each time
    x = {a.get("href"): float(a.find("svg:rect", ns).get("x")) for a in root.iterfind(".//svg:a", ns)}  # type: ignore[union-attr]
    assert x["/ontology/GenerativeAI"] < x["/ontology/GenerativeModel"] < x["/ontology/LargeLanguageModel"]


def test_home_page(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for entry in ('href="/ontology"', 'href="/matrix"', 'href="/sparql"', 'href="/queries"', "/.well-known/void"):
        assert entry in html
    assert 'href="/ontology/ImageGenerator"' in html


def test_matrix_cells_link_to_their_models(client: FlaskClient) -> None:
    html = client.get("/matrix").get_data(as_text=True)
    cell = re.search(
        r'href="(/matrix/models\?modality=gai:ImageModality&amp;architecture=gai:DiffusionArchitecture[^"]*)"', html
    )
    assert cell is not None
    models = client.get(cell.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'href="/id/DALL-E_3"' in models and 'href="/id/Midjourney_v6"' in models
    assert client.get("/matrix?by=input").status_code == 200
    assert client.get("/matrix?by=sideways").status_code == 400
    assert client.get("/matrix/models?modality=gai:Nope&architecture=gai:DiffusionArchitecture").status_code == 400


@pytest.mark.parametrize(
    ("text", "expected"),
    [("gpt-4.5", "/id/GPT-4.5"), ("OPENAI", "/id/OpenAI"), ("Multimodal LLM", "/ontology/MultimodalLLM")],
)
def test_search_by_label(site: FlaskClient, text: str, expected: str) -> None:
    html = site.get("/search", query_string={"q": text}).get_data(as_text=True)
    assert f'href="{expected}"' in html


def test_search_follows_writes(client: FlaskClient, kg: KnowledgeGraph) -> None:
    """Search reads every name once per generation: a write shows in the next search."""
    assert 'href="/id/Zyxwvut"' not in client.get("/search?q=zyxwvut").get_data(as_text=True)
    kg.update('INSERT DATA { GRAPH <https://w3id.org/genai-kg/graph/data> { gaid:Zyxwvut rdfs:label "Zyxwvut 2" } }')
    assert 'href="/id/Zyxwvut"' in client.get("/search?q=zyxwvut").get_data(as_text=True)


def test_search_text_is_bound_not_spliced(site: FlaskClient) -> None:
    for text in ['") } DROP ALL #', "\\", "' UNION { ?x ?p ?o } '"]:
        response = site.get("/search", query_string={"q": text})
        assert response.status_code == 200 and "0 resources" in response.get_data(as_text=True)
    assert site.get("/search", query_string={"q": "x" * 201}).status_code == 400


def test_editor_page(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Accept" in response.headers["Vary"]
    config = json.loads(
        re.search(r'<script type="application/json" id="editor-config">(.*?)</script>', html, re.S).group(1)
    )  # type: ignore[union-attr]
    assert config["endpoint"].endswith("/sparql") and config["prefixes"]["gai"] == GAI
    shipped = {p.stem for p in (ROOT / "queries").glob("*.rq")}
    assert {e["name"] for e in config["examples"]} == shipped or not shipped
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        with client.get(asset) as static:
            assert static.status_code == 200, asset
    assert "http://" not in "".join(re.findall(r'src="([^"]+)"', html))


def test_editor_falls_back_to_built_in_examples(tmp_path: Path) -> None:
    from server.editor import BUILT_IN, examples

    assert examples(tmp_path) == BUILT_IN
    (tmp_path / "one.rq").write_text("#+ title: One\nSELECT * WHERE { ?s ?p ?o } LIMIT 1\n")
    assert [(e.name, e.title) for e in examples(tmp_path)] == [("one", "One")]
