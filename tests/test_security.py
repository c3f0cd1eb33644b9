"""Output safety and the security headers: what a browser gets from every page, with hostile data stored.

The hostile data is what anyone with the token could write: labels that try to close the JSON-LD
``<script>`` or open an HTML comment, ``javascript:``, ``data:`` and ``vbscript:`` IRIs where links are
made. Every page is parsed: each link goes to this site or to an ``http``, ``https`` or ``mailto`` IRI,
no script is inline, and the JSON in the page's data block is the data, whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from graph.namespaces import GAID
from server import Config, create_app
from server.security import HEADERS

from .conftest import TOKEN, shipped_in_memory

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HTML = {"Accept": "text/html"}

LABEL = '</script><script>window.__xss=1</script><!--<script> "quoted" & <b>bold</b>'
HOSTILE_IRIS = [
    "javascript:window.__xss=1",
    "JaVaScRiPt:window.__xss=1",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==",
    "file:///etc/passwd",
]
EVIL = GAID + "Evil"
#: A hostile resource, a hostile class in the ontology graph, and a claim about the resource.
HOSTILE = f"""
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix gai: <https://w3id.org/genai-kg/ontology#> .
<{EVIL}> a gai:LargeLanguageModel, <javascript:window.__xss=1> ;
    rdfs:label {json.dumps(LABEL)}@en ;
    rdfs:comment {json.dumps(LABEL)} ;
    gai:developedBy <javascript:window.__xss=1> ;
    skos:exactMatch <JaVaScRiPt:window.__xss=1> ;
    {" ; ".join(f"rdfs:seeAlso <{iri}>" for iri in HOSTILE_IRIS)} .
<javascript:window.__xss=1> a owl:Class ; rdfs:label {json.dumps(LABEL)} ; rdfs:subClassOf gai:GenerativeAI .
gai:EvilModel a owl:Class ; rdfs:label {json.dumps(LABEL)} ; rdfs:subClassOf gai:GenerativeAI ;
    rdfs:seeAlso <javascript:window.__xss=1> .
"""

#: Pages that show the hostile data, and pages of every other kind (each parsed for links and scripts).
PAGES = [
    "/id/Evil",
    "/search?q=script",
    "/queries/model-profile.html?model=gaid:Evil",
    "/queries/search-by-label.html?text=script",
    "/infer/types.html?iri=gaid:Evil",
    "/infer/superclasses.html?class=gai:LargeLanguageModel",
    "/infer/is-a.html?iri=gaid:Evil&class=gai:GenerativeAI",
    "/ontology",
    "/ontology/LargeLanguageModel",
    "/ontology/EvilModel",
    "/",
    "/matrix",
    "/queries",
    "/infer/",
    "/infer/classify",
    "/.well-known/void",
    "/id/Nothing",
]


@pytest.fixture(scope="module")
def site() -> Iterator[FlaskClient]:
    """One app with the hostile data, for the read-only tests of this module."""

    app = create_app(Config(store=None, token=TOKEN, query_workers=0), kg=shipped_in_memory())
    app.testing = True
    client = app.test_client()
    for graph in ("https://w3id.org/genai-kg/graph/data", "https://w3id.org/genai-kg/graph/ontology"):
        stored = client.post(
            "/store", query_string={"graph": graph}, data=HOSTILE, content_type="text/turtle", headers=AUTH
        )
        assert stored.status_code in (201, 204), stored.data
    yield client


class Page(HTMLParser):
    """The links, scripts and attributes of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.handlers: list[str] = []
        self.styles: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            if attributes.get(name) is not None:
                self.links.append(str(attributes[name]))
        self.handlers += [name for name in attributes if name.startswith("on")]
        if "style" in attributes:
            self.styles.append(tag)
        if tag == "script":
            self._script, self._text = attributes, []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def safe(link: str) -> bool:
    """A link to this site (a path, a query, a fragment) or to the web (said here again, not imported)."""
    return link.startswith(("/", "?", "#")) or link.split(":", 1)[0].lower() in ("http", "https", "mailto")


@pytest.mark.parametrize("path", PAGES)
def test_pages_link_only_to_the_web_and_run_no_inline_script(site: FlaskClient, path: str) -> None:
    response = site.get(path, headers=HTML)
    assert response.status_code in (200, 404), (path, response.status_code)
    assert response.mimetype == "text/html"
    page = Page(response.get_data(as_text=True))
    assert [link for link in page.links if not safe(link)] == []
    assert page.handlers == [], "event handler attributes are inline scripts"
    assert page.styles == [], "style attributes are refused by the policy outside the vendored editors"
    for attributes, text in page.scripts:
        assert attributes.get("src") or attributes.get("type") in ("application/ld+json", "application/json")
        assert "<" not in text, "a data block must not hold < (it could close the script or open a comment)"


def test_the_resource_page_survives_a_label_that_closes_its_script(site: FlaskClient) -> None:
    html = site.get("/id/Evil", headers=HTML).get_data(as_text=True)
    page = Page(html)
    (data,) = [text for attributes, text in page.scripts if attributes.get("type") == "application/ld+json"]
    labels = [value["@value"] for node in json.loads(data)["@graph"] for value in node.get("rdfs:label", [])]
    assert LABEL in labels  # the data block holds the label whole, only escaped
    assert "<h1>&lt;/script&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;" in html  # shown as text
    assert html.rstrip().endswith("</html>") and "<footer" in html  # the rest of the page is there
    for iri in HOSTILE_IRIS:
        assert f'href="{iri}' not in html
    assert "javascript:window.__xss=1" in html  # the IRIs are shown, as text


def test_the_class_diagram_shows_hostile_labels_as_text(site: FlaskClient) -> None:
    svg = site.get("/ontology/diagram.svg").get_data(as_text=True)
    assert "&lt;/script&gt;&lt;script&gt;" in svg and "<script" not in svg
    assert all(safe(link) for link in Page(svg).links)


@pytest.mark.parametrize(
    "path",
    ["/", "/id/ChatGPT", "/id/ChatGPT.ttl", "/sparql", "/openapi.json", "/static/site.css", "/health", "/nope", "/api"],
)
def test_every_response_carries_the_security_headers(site: FlaskClient, path: str) -> None:
    with site.get(path) as response:
        headers = response.headers
    for name, value in HEADERS.items():
        assert headers[name] == value
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"  # no inline script, no eval, anywhere
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["default-src"] == "'self'" and policy["connect-src"] == "'self'"
    assert "'unsafe-inline'" not in policy["style-src"]


def test_a_base_url_on_another_origin_may_be_called_from_the_pages() -> None:

    config = Config(store=None, query_workers=0, base_url="https://kg.example.org/genai/")
    response = create_app(config, kg=shipped_in_memory()).test_client().get("/sparql", headers=HTML)
    assert "connect-src 'self' https://kg.example.org;" in response.headers["Content-Security-Policy"]
