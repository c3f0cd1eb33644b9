"""Linked-data pages of single resources: ``/id/<Name>`` (instances) and ``/ontology/<Term>`` (schema terms)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from graph import describe
from graph.errors import BadParameter
from graph.namespaces import GAI, GAID, page_path
from graph.querying.work import Call

from ..context import get_service
from ..negotiation import prefers_html
from . import rdf

bp = Blueprint("resources", __name__)

PAGE_SIZE = 50


def explain_url(iri: str, class_iri: str) -> str:
    """Where the explanation of an inferred type lives (the inference API's is-a page)."""
    if "inference.is_a" in current_app.view_functions:
        return url_for("inference.is_a", iri=iri, **{"class": class_iri})  # type: ignore[arg-type]
    return "/infer/is-a?" + urlencode({"iri": iri, "class": class_iri})


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise BadParameter("page", f"must be a whole number from 1, not {raw!r}")
    return int(raw)


def _not_found(iri: str, suffix: str | None) -> Response:
    if suffix is None and prefers_html(request.headers.get("Accept")):
        html = render_template("pages/not_found.html", iri=iri)
        return Response(html, status=404, mimetype="text/html")
    abort(404, f"nothing is known about <{iri}>")


def resource_response(iri: str, path: str, suffix: str | None) -> Response:
    """The page of ``iri`` in the variant asked for; 404 when the graph says nothing about it."""
    media = rdf.variant(suffix)
    service = get_service()
    if media != "text/html":
        triples = service.value(Call(describe.document, (iri,)))
        if triples is None:
            return _not_found(iri, suffix)
        return rdf.linked(Response(rdf.rdf_body(triples, media), mimetype=media), path, media, iri=iri)
    number = _page_number()
    found: describe.Page | None = service.value(Call(describe.page, (iri, number, PAGE_SIZE)))
    if found is None:
        return _not_found(iri, suffix)
    d = found.description
    html = render_template(
        "pages/resource.html",
        iri=iri,
        path=path,
        d=d,
        labels=found.labels,
        referrers=found.referrers,
        page=number,
        pages=max(1, -(-d.incoming_total // PAGE_SIZE)) if d.incoming else 1,
        explain_url=explain_url,
        jsonld=rdf.script_jsonld(found.triples),
        alternates=[(m, rdf.EXTENSIONS[m]) for m in rdf.OFFERS if m != "text/html"],
    )
    return rdf.linked(Response(html, mimetype="text/html"), path, media, iri=iri)


@bp.get("/id/<name>")
def instance(name: str) -> Response:
    """An instance, ``https://w3id.org/genai-kg/id/<name>``; a known suffix picks the format."""
    stem, suffix = rdf.split_suffix(name)
    if suffix:  # "GPT-4.ttl" is GPT-4 as Turtle, unless a resource is called "GPT-4.ttl" and GPT-4 is not
        known = get_service().value(Call(describe.first_known, ((GAID + stem, GAID + name),)))
        if known == GAID + name:
            stem, suffix = name, None
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
