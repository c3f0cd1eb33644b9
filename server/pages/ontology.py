"""The ontology's documentation at ``/ontology``, live from the store, and its class diagram as SVG."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from pyoxigraph import NamedNode

from graph.describe import labels, ontology_triples
from graph.diagram import class_diagram
from graph.docs import ontology_doc
from graph.namespaces import ONTOLOGY_IRI, PREFIXES
from graph.void import cached_statistics

from ..context import get_graph
from . import rdf
from .links import href

bp = Blueprint("ontology", __name__)

#: Header fields shown first, in this order, with their names.
HEADER = [
    (PREFIXES["dcterms"] + "title", "Title"),
    (PREFIXES["dcterms"] + "description", "Description"),
    (PREFIXES["owl"] + "versionIRI", "Version IRI"),
    (PREFIXES["owl"] + "versionInfo", "Version"),
    (PREFIXES["dcterms"] + "license", "License"),
    (PREFIXES["dcterms"] + "created", "Created"),
    (PREFIXES["dcterms"] + "modified", "Modified"),
    (PREFIXES["vann"] + "preferredNamespacePrefix", "Preferred prefix"),
    (PREFIXES["vann"] + "preferredNamespaceUri", "Namespace"),
]


@bp.get("/ontology")
@bp.get("/ontology.<suffix>")
def ontology(suffix: str | None = None) -> Response:
    """The ontology: its documentation in HTML, the ontology graph in RDF formats."""
    media = rdf.variant(suffix)
    kg = get_graph()
    if media != "text/html":
        body = rdf.rdf_body(ontology_triples(kg), media)
        return rdf.linked(Response(body, mimetype=media), "/ontology", media, iri=ONTOLOGY_IRI)
    doc = ontology_doc(kg)
    used: dict[str, dict[str, list[NamedNode]]] = {}
    for prop in doc.properties:
        for role, expressions in (("domain", prop.domain), ("range", prop.range)):
            for tokens in expressions:
                for token in tokens:
                    if isinstance(token, NamedNode):
                        used.setdefault(token.value, {}).setdefault(role, []).append(NamedNode(prop.iri))
    nodes: list[object] = []
    for term in [*doc.classes, *doc.properties, *doc.individuals]:
        nodes += [NamedNode(term.iri), *term.parents, *term.inverse, *term.types]
        for tokens in [*term.equivalents, *term.domain, *term.range, *term.chains]:
            nodes += tokens
    for values in doc.header.values():
        nodes += values
    html = render_template(
        "pages/ontology.html",
        iri=ONTOLOGY_IRI,
        doc=doc,
        header=[(name, doc.header[key]) for key, name in HEADER if key in doc.header],
        labels=labels(kg, nodes),
        diagram=class_diagram(kg, href),
        used=used,
        members=cached_statistics(kg).classes,
        prefixes=PREFIXES,
        alternates=[(m, rdf.EXTENSIONS[m]) for m in rdf.OFFERS if m != "text/html"],
    )
    return rdf.linked(Response(html, mimetype="text/html"), "/ontology", media, iri=ONTOLOGY_IRI)


@bp.get("/ontology/diagram.svg")
def diagram() -> Response:
    """The class hierarchy picture on its own."""
    return Response(class_diagram(get_graph(), href), mimetype="image/svg+xml")
