"""The ontology's documentation at ``/ontology``, live from the store, and its class diagram as SVG."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from pyoxigraph import NamedNode

from graph.describe import ontology_triples
from graph.diagram import class_diagram
from graph.docs import OntologyPage, ontology_page
from graph.namespaces import ONTOLOGY_IRI, PREFIXES
from graph.querying.work import Call

from ..context import get_service, link
from . import rdf

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
    service = get_service()
    if media != "text/html":
        body = rdf.rdf_body(service.value(Call(ontology_triples), cached=True), media)
        return rdf.linked(Response(body, mimetype=media), "/ontology", media, iri=ONTOLOGY_IRI)
    found: OntologyPage = service.value(Call(ontology_page, (link("").rstrip("/"),)), cached=True)
    doc = found.doc
    used: dict[str, dict[str, list[NamedNode]]] = {}
    for prop in doc.properties:
        for role, expressions in (("domain", prop.domain), ("range", prop.range)):
            for tokens in expressions:
                for token in tokens:
                    if isinstance(token, NamedNode):
                        used.setdefault(token.value, {}).setdefault(role, []).append(NamedNode(prop.iri))
    html = render_template(
        "pages/ontology.html",
        iri=ONTOLOGY_IRI,
        doc=doc,
        header=[(name, doc.header[key]) for key, name in HEADER if key in doc.header],
        labels=found.labels,
        diagram=found.diagram,
        used=used,
        members=found.members,
        uses=found.uses,
        property_diagram=found.property_diagram,
        prefixes=PREFIXES,
        alternates=[(m, rdf.EXTENSIONS[m]) for m in rdf.OFFERS if m != "text/html"],
    )
    return rdf.linked(Response(html, mimetype="text/html"), "/ontology", media, iri=ONTOLOGY_IRI)


@bp.get("/ontology/diagram.svg")
def diagram() -> Response:
    """The class hierarchy picture on its own."""
    svg = get_service().value(Call(class_diagram, (link("").rstrip("/"),)), cached=True)
    return Response(svg, mimetype="image/svg+xml")
