"""The SPARQL 1.1 Protocol endpoint at ``/sparql``: queries by GET and POST, updates by POST.

Without a query or an update, ``/sparql`` answers with the query editor (browsers) or the Service
Description (everyone else). Requests are read strictly: one query or one update, in a body whose media
type says which; unknown parameters (``format``, ``output``, ``results``, ``method``) are ignored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import Blueprint, Response, abort, request

from graph.dataset_clauses import with_using
from graph.errors import BadRequest
from graph.namespaces import PREFIXES
from graph.querying.work import Formats, QueryRequest

from . import auth, editor, service_description
from .answers import streamed
from .context import get_config, get_graph, get_service, public_url
from .negotiation import GRAPH_TYPES, choose, prefers_html

bp = Blueprint("sparql", __name__)

RESULT_TYPES = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "application/xml",
]
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


@functools.lru_cache(maxsize=256)
def formats_for(accept: str | None) -> Formats:
    """The results format and the graph format the ``Accept`` header picks (None where nothing fits).

    Clients send few distinct headers, and parsing one is a good share of a small query's cost: cached.
    """
    results = choose(accept, RESULT_TYPES)
    graph = choose(accept, GRAPH_TYPES)
    return Formats(ALIASES.get(results, results) if results else None, graph)


@dataclass(frozen=True)
class Operation:
    """What one protocol request asks for: a query or an update (never both), as text."""

    query: str | None = None
    update: str | None = None


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"{len(values)} {name} parameters: send exactly one {name} per request")
    return values[0] if values else None


def _body_text() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        abort(415, f"the body must be UTF-8, not {charset}")
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the body is not valid UTF-8 (byte {error.start})") from error


def read_operation() -> Operation:
    """The query or update of this request, per the protocol's three ways of sending each."""
    if "update" in request.args:
        raise BadRequest("an update must be POSTed (form field update= or an application/sparql-update body)")
    if request.method in ("GET", "HEAD"):
        return Operation(query=_single(request.args.getlist("query"), "query"))
    mimetype = request.mimetype
    if mimetype == FORM:
        query = _single(request.form.getlist("query"), "query")
        update = _single(request.form.getlist("update"), "update")
        if _single(request.args.getlist("query"), "query") is not None:
            raise BadRequest("send the query in the form body, not in the URL, when POSTing a form")
        if query is not None and update is not None:
            raise BadRequest("a request carries a query or an update, not both")
        return Operation(query=query, update=update)
    if mimetype in (QUERY_BODY, UPDATE_BODY):
        if "query" in request.args:
            raise BadRequest(f"the query is the {mimetype} body; do not also send query= in the URL")
        text = _body_text()
        return Operation(query=text) if mimetype == QUERY_BODY else Operation(update=text)
    shown = mimetype or "no Content-Type"
    abort(415, f"unsupported body type ({shown}); send {QUERY_BODY}, {UPDATE_BODY} or {FORM}")


def _flag(name: str, default: bool) -> bool:
    value = request.values.get(name)
    if value is None:
        return default
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off"):
        return False
    raise BadRequest(f"{name} must be true or false, not {value!r}")


def _check_length(text: str, what: str) -> None:
    limit = get_config().max_query_length
    if len(text) > limit:
        abort(413, f"the {what} is {len(text)} characters long; this service accepts at most {limit}")


@bp.route("/sparql", methods=["GET", "POST"], strict_slashes=False)
def endpoint() -> Response:
    operation = read_operation()
    if operation.update is not None:
        return _update(operation.update)
    if operation.query is not None:
        return _query(operation.query)
    if request.method == "POST":
        raise BadRequest("no query and no update: send query= or update=, or a SPARQL body")
    return _no_query()


def _query(sparql: str) -> Response:
    _check_length(sparql, "query")
    get_config().outbound().check_sparql(sparql, PREFIXES)
    query = QueryRequest(
        sparql,
        formats=formats_for(request.headers.get("Accept")),
        infer=_flag("infer", True),
        default_graph_uris=tuple(request.args.getlist("default-graph-uri") + _form_list("default-graph-uri")),
        named_graph_uris=tuple(request.args.getlist("named-graph-uri") + _form_list("named-graph-uri")),
        base_iri=public_url("sparql"),
    )
    answer = get_service().run(query)
    response = streamed(answer)
    response.vary.add("Accept")
    return response


def _form_list(name: str) -> list[str]:
    return request.form.getlist(name) if request.mimetype == FORM else []


def _update(sparql: str) -> Response:
    auth.require_write()
    _check_length(sparql, "update")
    get_config().outbound().check_sparql(sparql, PREFIXES)
    using = request.args.getlist("using-graph-uri") + _form_list("using-graph-uri")
    using_named = request.args.getlist("using-named-graph-uri") + _form_list("using-named-graph-uri")
    sparql = with_using(sparql, using, using_named)
    get_graph().update(sparql, base_iri=public_url("sparql"))
    return Response(status=204)


def _no_query() -> Response:
    """The query editor for browsers, the Service Description for everyone else."""
    if prefers_html(request.headers.get("Accept")):
        return editor.page()
    return service_description.response()
