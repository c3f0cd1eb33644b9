"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: queries by GET and POST."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from pyoxigraph import QueryResultsFormat, RdfFormat

from graph.errors import BadRequest
from graph.evaluation import Evaluator, Formats, QueryRequest

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
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}


def get_evaluator() -> Evaluator:
    evaluator: Evaluator = current_app.extensions["genai_kg_evaluator"]
    return evaluator


def formats_for(accept: str | None) -> Formats:
    """The results format and the graph format the ``Accept`` header picks (None where nothing fits)."""
    results = choose(accept, RESULT_TYPES)
    graph = choose(accept, GRAPH_TYPES)
    return Formats(
        results=QueryResultsFormat.from_media_type(ALIASES.get(results, results)) if results else None,
        graph=RdfFormat.from_media_type(graph) if graph else None,
    )


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
    query = QueryRequest(
        sparql,
        infer=_flag("infer", True),
        default_graph_uris=tuple(request.values.getlist("default-graph-uri")),
        named_graph_uris=tuple(request.values.getlist("named-graph-uri")),
    )
    timeout = current_app.config["GENAI_KG"].query_timeout
    answer = get_evaluator().evaluate(query, formats_for(request.headers.get("Accept")), timeout=timeout)
    response = Response(answer.chunks, mimetype=answer.format.media_type)
    response.vary.add("Accept")
    return response
