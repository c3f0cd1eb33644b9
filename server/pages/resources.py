"""Linked-data pages of single resources: ``/id/<Name>`` (instances) and ``/ontology/<Term>`` (schema terms)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from pyoxigraph import NamedNode

from graph import charts, describe, docs, search
from graph.errors import BadParameter
from graph.namespaces import GAI, GAID, page_path
from graph.querying.work import Call

from ..context import get_service
from ..errors import problem
from ..negotiation import choose
from . import rdf

bp = Blueprint("resources", __name__)

PAGE_SIZE = 50
#: Beyond any page there is (a larger offset is no number the query parser reads).
MAX_PAGE = 1_000_000


def explain_url(iri: str, class_iri: str) -> str:
    """Where the explanation of an inferred type lives (the inference API's is-a page)."""
    if "inference.is_a" in current_app.view_functions:
        return url_for("inference.is_a", iri=iri, **{"class": class_iri})  # type: ignore[arg-type]
    return "/infer/is-a?" + urlencode({"iri": iri, "class": class_iri})


def why_url(subject: str, predicate: str, value: str) -> str:
    """Where the explanation of an inferred statement lives (the inference API's explain page)."""
    params = {"subject": subject, "predicate": predicate, "object": value}
    if "inference.explain_triple" in current_app.view_functions:
        return url_for("inference.explain_triple", **params)  # type: ignore[arg-type]
    return "/infer/explain?" + urlencode(params)


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


def _not_found(iri: str, suffix: str | None) -> Response:
    """404, with the names close to the unknown one ("did you mean …") for our own IRIs."""
    detail = f"Nothing is known about <{iri}>. Names are case-sensitive."
    name = iri[len(GAID) :] if iri.startswith(GAID) else iri[len(GAI) :] if iri.startswith(GAI) else ""
    close: list[tuple[str, str]] = get_service().value(Call(search.suggestions, (name,))) if name else []
    return problem(404, "Not Found", detail, suggestions=close)


def resource_response(iri: str, path: str, suffix: str | None) -> Response:
    """The page of ``iri`` in the variant asked for; 404 when the graph says nothing about it."""
    named(iri)
    service = get_service()
    unacceptable = choose(request.headers.get("Accept"), rdf.OFFERS, suffix=suffix) is None
    if unacceptable and service.value(Call(describe.first_known, ((iri,),))) is None:
        return _not_found(iri, suffix)  # what is not there is missing in every format: 404 before 406
    media = rdf.variant(suffix)
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
    usage = service.value(Call(docs.term_usage, (iri,))) if iri.startswith(GAI) else None
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
        why_url=why_url,
        usage=usage,
        lineage=service.value(Call(charts.lineage, (iri,)), cached=True),
        jsonld=rdf.script_jsonld(found.triples),
        alternates=[(m, rdf.EXTENSIONS[m]) for m in rdf.OFFERS if m != "text/html"],
    )
    return rdf.linked(Response(html, mimetype="text/html"), path, media, iri=iri)


@bp.get("/id/<name>")
def instance(name: str) -> Response:
    """An instance, ``https://w3id.org/genai-kg/id/<name>``; a known suffix picks the format."""
    stem, suffix = rdf.split_suffix(name)
    if suffix:  # "GPT-4.ttl" is GPT-4 as Turtle, unless a resource is called "GPT-4.ttl" and GPT-4 is not
        known = get_service().value(Call(describe.first_known, ((named(GAID + stem), named(GAID + name)),)))
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
