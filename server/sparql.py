"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: queries by GET and POST."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from graph import results
from graph.errors import BadRequest

from .knowledge import get_graph
from .negotiation import choose

bp = Blueprint("sparql", __name__)

RESULT_TYPES = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "application/xml",
]
GRAPH_TYPES = [
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/trig",
    "application/n-quads",
]
ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
}


def _query_text() -> str | None:
    if request.method == "GET":
        return request.args.get("query")
    if request.mimetype == "application/sparql-query":
        return request.get_data(as_text=True)
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("query")
    abort(415, f"unsupported body type {request.mimetype!r}; send application/sparql-query or a form")


def _flag(name: str, default: bool) -> bool:
    value = request.values.get(name)
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off"):
        return False
    raise BadRequest(f"{name} must be true or false, not {value!r}")


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    sparql = _query_text()
    if sparql is None:
        abort(400, "no query: send ?query=... (GET), a form field query=, or an application/sparql-query body")
    result = get_graph().query(
        sparql,
        infer=_flag("infer", True),
        default_graph_uris=request.values.getlist("default-graph-uri"),
        named_graph_uris=request.values.getlist("named-graph-uri"),
    )
    offers = GRAPH_TYPES if results.is_graph(result) else RESULT_TYPES
    media_type = choose(request.headers.get("Accept"), offers)
    if media_type is None:
        abort(406, f"cannot answer in {request.headers.get('Accept')}; available: {', '.join(offers)}")
    media_type = ALIASES.get(media_type, media_type)
    body = results.write(result, results.format_for(result, media_type))
    response = Response(body, mimetype=media_type)
    response.vary.add("Accept")
    return response
