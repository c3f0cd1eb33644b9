"""The query editor for browsers at ``/sparql``: vendored YASGUI, our endpoint, prefixes and example queries.

``server/sparql.py`` calls :func:`page` when a request has no query and prefers HTML. Everything the page
loads is served from here (``static/vendor/yasgui``); features that call other hosts are switched off.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Response, render_template

from graph.named_queries import parse, split_header
from graph.namespaces import GAI, GAID, PREFIXES

from .context import get_config, link, public_url


@dataclass(frozen=True)
class Example:
    """A query offered in the editor's examples menu: its title as the ``#+`` header's YAML says it, and its
    text without that header (the header is for the named-query service; the query runs the same)."""

    name: str
    title: str
    query: str


def _prologue(*prefixes: str) -> str:
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in prefixes)


#: Offered when ``queries/`` holds no readable ``.rq`` file.
BUILT_IN = [
    Example(
        "llms",
        "Large language models and who made them",
        _prologue("gai", "rdfs")
        + "\nSELECT ?model ?label ?developer WHERE {\n  ?model a gai:LargeLanguageModel ; rdfs:label ?label .\n"
        "  OPTIONAL { ?model gai:developedBy ?developer }\n} ORDER BY ?label",
    ),
    Example(
        "image-generators",
        "Image generators (inferred, never asserted)",
        _prologue("gai", "rdfs")
        + "\nSELECT ?system ?label WHERE {\n  ?system a gai:ImageGenerator ; rdfs:label ?label .\n}",
    ),
    Example(
        "classes",
        "Classes and their number of members",
        _prologue("owl", "gai")
        + "\nSELECT ?class (COUNT(?x) AS ?members) WHERE {\n  ?class a owl:Class . ?x a ?class .\n"
        "  FILTER(STRSTARTS(STR(?class), STR(gai:)))\n} GROUP BY ?class ORDER BY DESC(?members)",
    ),
]


def examples(folder: Path | None = None) -> list[Example]:
    """The named queries in ``queries/*.rq``, read now (new files show up without a restart), else built-ins."""
    if folder is None:
        folder = get_config().queries_dir
    found = []
    for path in sorted(folder.glob("*.rq")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        try:
            title = parse(path.stem, text).title
        except ValueError:
            title = path.stem  # a broken header: the named-query service reports it; the editor still offers it
        found.append(Example(path.stem, title, split_header(text)[1].lstrip("\n")))
    return found or BUILT_IN


def page() -> Response:
    """The editor page: YASGUI pointed at this server's endpoint, with our prefixes and examples."""
    listed = examples()
    config = {
        "endpoint": public_url("sparql"),
        "prefixes": PREFIXES,
        "query": listed[0].query if listed else "",
        "examples": [asdict(e) for e in listed],
        # result links to our IRIs open our pages (the w3id.org names may not resolve offline)
        "pages": {GAID: link("/id/"), GAI: link("/ontology/")},
        "queries": link("/queries/"),
    }
    html = render_template("editor.html", config=config, examples=listed)
    response = Response(html, mimetype="text/html")
    response.vary.add("Accept")
    return response
