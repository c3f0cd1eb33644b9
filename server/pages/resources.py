"""Linked-data pages of single resources: ``/id/<Name>`` (instances) and ``/ontology/<Term>`` (schema terms)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from pyoxigraph import NamedNode

from graph.describe import describe, description_triples, exists, incoming, labels
from graph.errors import BadParameter
from graph.namespaces import GAI, GAID

from ..context import get_graph
from ..negotiation import prefers_html
from . import rdf
from .links import page_path

bp = Blueprint("resources", __name__)

PAGE_SIZE = 50
#: Beyond any page there is (a larger offset is no number the query parser reads).
MAX_PAGE = 1_000_000


def explain_url(iri: str, class_iri: str) -> str:
    """Where the explanation of an inferred type lives (the inference API's is-a page)."""
    if "inference.is_a" in current_app.view_functions:
        return url_for("inference.is_a", iri=iri, **{"class": class_iri})  # type: ignore[arg-type]
    return "/infer/is-a?" + urlencode({"iri": iri, "class": class_iri})


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadParameter("page", f"must be a whole number from 1 to {MAX_PAGE}, not {raw!r}")
    return int(raw)


def named(iri: str) -> str:
    """``iri`` when it is one (a path may decode to spaces, braces, controls): else 404, never a 500."""
    try:
        NamedNode(iri)
    except ValueError:
        abort(404, f"not an IRI this service names: {iri!r}")
    return iri


def resource_response(iri: str, path: str, suffix: str | None) -> Response:
    """The page of ``iri`` in the variant asked for; 404 when the graph says nothing about it."""
    named(iri)
    kg = get_graph()
    if not exists(kg, iri):
        if suffix is None and prefers_html(request.headers.get("Accept")):
            html = render_template("pages/not_found.html", iri=iri)
            return Response(html, status=404, mimetype="text/html")
        abort(404, f"nothing is known about <{iri}>")
    media = rdf.variant(suffix)
    if media != "text/html":
        body = rdf.rdf_body(description_triples(kg, iri), media)
        return rdf.linked(Response(body, mimetype=media), path, media, iri=iri)
    description = describe(kg, iri)
    page = _page_number()
    referrers = incoming(kg, iri, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    nodes: list[object] = [NamedNode(iri)]
    for statement in [*description.types, *description.statements, *description.matches, *description.sources]:
        nodes += [statement.predicate, statement.value]
    for tokens in description.expressions.values():
        nodes += tokens
    for referrer in referrers:
        nodes += [referrer.subject, referrer.predicate]
    nodes += list(description.incoming)
    html = render_template(
        "pages/resource.html",
        iri=iri,
        path=path,
        d=description,
        labels=labels(kg, nodes),
        referrers=referrers,
        page=page,
        pages=max(1, -(-description.incoming_total // PAGE_SIZE)) if description.incoming else 1,
        explain_url=explain_url,
        jsonld=rdf.script_jsonld(description_triples(kg, iri)),
        alternates=[(m, rdf.EXTENSIONS[m]) for m in rdf.OFFERS if m != "text/html"],
    )
    return rdf.linked(Response(html, mimetype="text/html"), path, media, iri=iri)


@bp.get("/id/<name>")
def instance(name: str) -> Response:
    """An instance, ``https://w3id.org/genai-kg/id/<name>``; a known suffix picks the format."""
    stem, suffix = rdf.split_suffix(name)
    if suffix and not exists(get_graph(), named(GAID + stem)) and exists(get_graph(), named(GAID + name)):
        stem, suffix = name, None  # a name that merely ends like a suffix
    return resource_response(GAID + stem, page_path(GAID + stem) or "", suffix)


@bp.get("/ontology/<term>")
def term(term: str) -> Response:
    """A term of the ontology, ``https://w3id.org/genai-kg/ontology#<term>``."""
    stem, suffix = rdf.split_suffix(term)
    return resource_response(GAI + stem, page_path(GAI + stem) or "", suffix)


@bp.get("/context.jsonld")
def context() -> Response:
    """The JSON-LD context every JSON-LD document of ours uses."""
    return rdf.context_response()
