"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store``: whole graphs by GET, HEAD, PUT, POST and DELETE.

Graphs are named indirectly (``/store?default``, ``/store?graph=IRI``) or directly (the graph whose IRI is
the request URL, ``/store/<path>``). ``POST /store`` with neither creates a new graph: 201 and ``Location``.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, request
from pyoxigraph import NamedNode, Quad, RdfFormat

from graph.errors import BadData, NotAcceptable
from graph.graph_store import GraphName, GraphStore, graph_name, read
from graph.querying.work import Stream

from . import auth
from .answers import streamed
from .context import get_config, get_graph, get_service, public_url
from .negotiation import GRAPH_TYPES, choose, rdf_body_format

bp = Blueprint("graph_store", __name__)

METHODS = ["GET", "PUT", "POST", "DELETE"]


def _store() -> GraphStore:
    return GraphStore(get_graph())


def _target(path: str | None) -> GraphName | None:
    """The graph the request names, or None for ``POST /store`` (create a graph)."""
    if path is not None:
        if "default" in request.args or "graph" in request.args:
            raise BadData("a direct graph URL takes no ?default or ?graph parameter")
        return graph_name(public_url("store/" + path))
    if "default" in request.args:
        if "graph" in request.args:
            raise BadData("send ?default or ?graph=IRI, not both")
        return graph_name(None)
    iris = request.args.getlist("graph")
    if len(iris) > 1:
        raise BadData("send one ?graph=IRI per request")
    if iris:
        return graph_name(iris[0])
    if request.method == "POST":
        return None
    raise BadData("name a graph: /store?default or /store?graph=IRI")


@bp.route("/store", methods=METHODS)
@bp.route("/store/<path:path>", methods=METHODS)
def graph_store(path: str | None = None) -> Response:
    target = _target(path)
    if request.method in ("GET", "HEAD"):
        return _get(target)
    auth.require_write()
    store = _store()
    if request.method == "DELETE":
        assert target is not None
        store.drop(target)
        return Response(status=204)
    if target is None:
        created = NamedNode(public_url(f"store/{uuid.uuid4()}"))
        store.merge(created, _body(store, created))
        response = Response(f"created {created.value}\n", status=201, mimetype="text/plain")
        response.headers["Location"] = created.value
        return response
    quads = _body(store, target)
    is_new = store.replace(target, quads) if request.method == "PUT" else store.merge(target, quads)
    if is_new:
        return Response(f"created {target}\n", status=201, mimetype="text/plain")
    return Response(status=204)


def _get(target: GraphName | None) -> Response:
    assert target is not None
    chosen = choose(request.headers.get("Accept"), GRAPH_TYPES)
    if chosen is None:
        raise NotAcceptable("a graph is RDF; accept one of " + ", ".join(GRAPH_TYPES))
    iri = target.value if isinstance(target, NamedNode) else None
    answer = get_service().run(Stream(read, (iri, chosen), budgeted=False))
    response = streamed(answer)
    response.vary.add("Accept")
    return response


def _body(store: GraphStore, graph: GraphName) -> list[Quad]:
    """The quads of the request body for ``graph``: one RDF document, or several as multipart/form-data."""
    base = graph.value if isinstance(graph, NamedNode) else public_url("store")
    limits = get_config().input_limits()
    if request.mimetype == "multipart/form-data":
        quads: list[Quad] = []
        for part in request.files.values():
            data, name = part.stream.read(), f"part {part.name!r}"
            quads += store.parse(data, _format(part.mimetype), graph, limits=limits, base_iri=base, name=name)
        return quads
    return store.parse(request.get_data(), _format(request.mimetype), graph, limits=limits, base_iri=base)


def _format(mimetype: str) -> RdfFormat:
    found = rdf_body_format(mimetype)
    if found is None:
        abort(415, f"unsupported RDF type ({mimetype or 'no Content-Type'}); send one of {', '.join(GRAPH_TYPES)}")
    return found
