"""Named queries over HTTP: ``/queries`` lists them, ``/queries/<name>`` runs one with bound parameters.

Results come in the same formats, chosen the same way, as ``/sparql``; a ``.rq`` suffix gives the file itself,
and a browser gets the query, a form for its parameters and the results as a table.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, abort, jsonify, render_template, request
from pyoxigraph import RdfFormat, parse
from werkzeug.datastructures import MultiDict

from graph import named_queries
from graph.errors import BadParameter
from graph.named_queries import NamedQuery
from graph.namespaces import compact
from graph.querying.work import Answer, Formats, QueryRequest

from .answers import streamed
from .context import QUERIES, get_config, get_queries, get_service, page_layout, public_url
from .negotiation import SUFFIXES, choose, prefers_html
from .pages.links import href
from .sparql import formats_for

bp = Blueprint("queries", __name__)
#: The layout of these pages in an app built without the pages blueprint (see :func:`.context.page_layout`).
LAYOUT = "queries/_layout.html"

XSD = "http://www.w3.org/2001/XMLSchema#"
#: Datatypes a table shows without a note: the value says what it is.
PLAIN = {"string", "integer", "decimal", "boolean"}


def init_app(app: Flask) -> None:
    """Load and check every named query (a broken file stops start-up here), then register the routes."""
    app.extensions[QUERIES] = named_queries.load(app.config["GENAI_KG"].queries_dir)
    app.register_blueprint(bp)


def describe(query: NamedQuery) -> dict[str, Any]:
    """A named query as JSON: what its header declares, and where to run it."""
    return {
        **header(query),
        "url": public_url(f"queries/{query.name}"),
        "sparql": public_url(f"queries/{query.name}.rq"),
    }


def header(query: NamedQuery) -> dict[str, Any]:
    """What a named query's header declares, as JSON (no URLs: MCP's tools list it outside a request)."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "tags": list(query.tags),
        "kind": query.kind,
        "params": [
            {
                "name": p.name,
                "type": p.type,
                "required": p.required,
                "default": p.default,
                "enum": list(p.enum),
                "description": p.description,
                "example": p.example,
            }
            for p in query.params
        ],
    }


@bp.get("/queries")
@bp.get("/queries.<suffix>")
def index(suffix: str | None = None) -> Response:
    wanted = choose(request.headers.get("Accept"), ["application/json", "text/html"], suffix=suffix)
    if wanted is None:
        abort(404 if suffix else 406, "the list of named queries is available as application/json and text/html")
    queries = sorted(get_queries().values(), key=lambda q: q.name)
    if wanted == "text/html":
        html = render_template("queries/index.html", base=page_layout(LAYOUT), queries=queries)
        response = Response(html, mimetype="text/html")
    else:
        response = jsonify({"queries": [describe(q) for q in queries]})
    response.vary.add("Accept")
    return response


@bp.route("/queries/<name>", methods=["GET", "POST"])
def run(name: str) -> Response:
    name, _, suffix = name.partition(".")
    query = named_queries.get(get_queries(), name)
    if suffix == "rq":
        return Response(query.sparql, mimetype="application/sparql-query")
    if suffix and suffix not in SUFFIXES:
        abort(404, f"unknown suffix .{suffix}; try .rq, .html, .json, .srx, .csv, .tsv or an RDF suffix")
    values = _values()
    if suffix == "html" or (not suffix and prefers_html(request.headers.get("Accept"))):
        return _page(query, values)
    formats = formats_for(SUFFIXES[suffix] if suffix else request.headers.get("Accept"))
    answer = _evaluate(query, values, formats)
    response = streamed(answer)
    response.vary.add("Accept")
    return response


def _values() -> dict[str, str]:
    """The caller's parameters: the query string (GET) or the form (POST); each given once at most."""
    source: MultiDict[str, str]
    if request.method == "POST" and not request.mimetype and not request.get_data():
        source = MultiDict()  # a POST with no body: no parameters
    elif request.method == "POST":
        if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            abort(415, f"unsupported body type {request.mimetype!r}; send a form (application/x-www-form-urlencoded)")
        source = request.form
    else:
        source = request.args
    values: dict[str, str] = {}
    for key in source:
        given = source.getlist(key)
        if len(given) > 1:
            raise BadParameter(key, f"given {len(given)} times; give it once")
        values[key] = given[0]
    return values


def _evaluate(query: NamedQuery, values: dict[str, str], formats: Formats) -> Answer:
    sparql, substitutions = query.prepare(values, get_config().outbound())  # endpoints checked before any call
    return get_service().run(QueryRequest(sparql, formats=formats, substitutions=substitutions))


def _page(query: NamedQuery, values: dict[str, str]) -> Response:
    """The query, a form for its parameters and, once it can run, its results as a table."""
    error, table, status = None, None, 200
    missing = [p.name for p in query.params if p.required and not values.get(p.name)]
    if not (missing and not values):
        try:
            table = _table(query, values)
        except BadParameter as problem:
            error, status = str(problem), 400
    html = render_template(
        "queries/query.html",
        base=page_layout(LAYOUT),
        query=query,
        values=values,
        query_string=f"?{urlencode(values)}" if values else "",
        table=table,
        error=error,
    )
    response = Response(html, status=status, mimetype="text/html")
    response.vary.add("Accept")
    return response


def _table(query: NamedQuery, values: dict[str, str]) -> dict[str, Any]:
    """Run the query and lay the answer out as columns and rows of displayable cells."""
    formats = Formats()
    answer = _evaluate(query, values, formats)
    body = answer.body()
    if answer.media_type == RdfFormat.N_TRIPLES.media_type:
        triples = parse(body, format=RdfFormat.N_TRIPLES)
        rows = [[_node(t.subject), _node(t.predicate), _node(t.object)] for t in triples]
        return {"columns": ["subject", "predicate", "object"], "rows": rows}
    data = json.loads(body)
    if "boolean" in data:
        return {"boolean": data["boolean"], "columns": [], "rows": []}
    columns = data["head"]["vars"]
    rows = [[_cell(binding.get(column)) for column in columns] for binding in data["results"]["bindings"]]
    return {"columns": columns, "rows": rows}


def _cell(term: dict[str, str] | None) -> dict[str, str | None]:
    """A SPARQL JSON term as text to show and, for IRIs, a link (local pages for this graph's resources; none
    for an IRI that may not be a link, such as ``javascript:``)."""
    if term is None:
        return {"text": "", "href": None, "note": None}
    if term["type"] == "uri":
        return {"text": compact(term["value"]), "href": href(term["value"]), "note": None}
    if term["type"] == "bnode":
        return {"text": f"_:{term['value']}", "href": None, "note": None}
    datatype = term.get("datatype")
    note = f"@{term['xml:lang']}" if "xml:lang" in term else None
    if datatype and datatype.removeprefix(XSD) not in PLAIN:
        note = compact(datatype)
    return {"text": term["value"], "href": None, "note": note}


def _node(term: Any) -> dict[str, str | None]:
    kind = type(term).__name__
    if kind == "NamedNode":
        return _cell({"type": "uri", "value": term.value})
    if kind == "Literal":
        literal: dict[str, str] = {"type": "literal", "value": term.value}
        if term.language:
            literal["xml:lang"] = term.language
        else:
            literal["datatype"] = term.datatype.value
        return _cell(literal)
    return _cell({"type": "bnode", "value": str(term)[2:]})
