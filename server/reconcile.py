"""``/reconcile``: the Reconciliation Service API 0.2, for OpenRefine and other tools that match records to ours.

- ``GET /reconcile``: the service manifest; ``GET|POST /reconcile`` with ``queries=`` (a batch) or ``extend=`` (a
  data extension), as JSON;
- ``/reconcile/suggest/{entity,type,property}?prefix=…&cursor=…``, ``/reconcile/preview?id=…`` (HTML, small and
  without scripts, which OpenRefine shows in a frame), ``/reconcile/properties?type=…&limit=…``.

Every answer is JSON (errors too, with their message), or JavaScript for a GET with a ``callback=`` (JSONP, which
the API allows for older clients; the name is checked). CORS comes from the app, as on every endpoint.
The work is :mod:`graph.reconciliation`'s, run by the query service; this module reads requests and writes JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import metadata
from typing import Any

from flask import Blueprint, Response, render_template, request
from werkzeug.http import HTTP_STATUS_CODES

from graph import KnowledgeGraph
from graph.errors import BadParameter, BadRequest, GraphError
from graph.namespaces import GAI, GAID
from graph.querying.work import Call
from graph.reconciliation.extension import extend, propose_properties
from graph.reconciliation.manifest import default_types
from graph.reconciliation.parsing import MAX_BATCH, MAX_CURSOR, MAX_EXTEND_VALUES, parse_batch, parse_extension
from graph.reconciliation.preview import Preview, preview_of
from graph.reconciliation.scoring import reconcile
from graph.reconciliation.suggest import suggest_entities, suggest_properties, suggest_types

from .context import get_service, public_url
from .errors import status_of

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

#: A JSONP callback: a JavaScript name or dotted path, nothing that could run as more than a call.
CALLBACK = re.compile(r"^[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,4}$")
#: Suggestions per request at most, and when the client does not say.
MAX_SUGGEST, DEFAULT_SUGGEST = 50, 10
#: Characters of a suggest prefix, a preview id or a type at most.
MAX_PARAMETER = 200
PREVIEW_WIDTH, PREVIEW_HEIGHT = 400, 120
NAME = "genai-kg: a knowledge graph about generative AI"


def _version() -> str:
    try:
        return metadata.version("genai-kg")
    except metadata.PackageNotFoundError:
        return "0"


def _answer(body: Any, status: int = 200) -> Response:
    """``body`` as JSON, or as a JSONP call for a GET that names a valid callback."""
    text = json.dumps(body, ensure_ascii=False)
    callback = request.args.get("callback") if request.method == "GET" else None
    if callback is not None:
        if not CALLBACK.match(callback):
            raise BadParameter("callback", "must be a JavaScript name (letters, digits, _ and $, dotted)")
        # the comment keeps a body from starting with bytes a plugin could take for something else
        return Response(f"/**/{callback}({text});", status=status, mimetype="application/javascript")
    return Response(text, status=status, mimetype="application/json")


@bp.errorhandler(GraphError)
def _error(error: GraphError) -> Response:
    """Errors of this API answer in JSON whatever the client accepts: OpenRefine shows their message."""
    status = status_of(error)
    body = {
        "type": "about:blank",
        "status": status,
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "detail": str(error),
    }
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    if status == 503:
        response.headers["Retry-After"] = "1"
    return response


def _one(name: str) -> str | None:
    """The request's one ``name`` parameter (query string for GET, form for POST)."""
    values = (request.form if request.method == "POST" else request.args).getlist(name)
    if len(values) > 1:
        raise BadRequest(f"{len(values)} {name} parameters: send one")
    return values[0] if values else None


def _bounded(name: str, default: int, most: int) -> int:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 6:
        raise BadParameter(name, "must be a whole number, 0 or more")
    value = int(text)
    if value > most:
        raise BadParameter(name, f"at most {most}")
    return value


def _text(name: str, *, required: bool = False) -> str:
    text = request.args.get(name, "")
    if required and not text:
        raise BadParameter(name, "is required")
    if len(text) > MAX_PARAMETER:
        raise BadParameter(name, f"at most {MAX_PARAMETER} characters")
    return text


def manifest() -> dict[str, Any]:
    """The service manifest: what this service is and where each of its services lives."""
    root = public_url().rstrip("/")
    types = get_service().value(Call(default_types, kind="reconcile"), cached=True)

    def service(path: str) -> dict[str, str]:
        return {"service_url": root, "service_path": path}

    return {
        "versions": ["0.2"],
        "name": NAME,
        "identifierSpace": GAID,
        "schemaSpace": GAI,
        "serviceVersion": _version(),
        "batchSize": MAX_BATCH,
        "defaultTypes": types,
        "view": {"url": root + "/id/{{id}}"},
        "preview": {"url": root + "/reconcile/preview?id={{id}}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "suggest": {
            "entity": service("/reconcile/suggest/entity"),
            "type": service("/reconcile/suggest/type"),
            "property": service("/reconcile/suggest/property"),
        },
        "extend": {
            "propose_properties": service("/reconcile/properties"),
            "property_settings": [
                {
                    "name": "limit",
                    "label": "Limit",
                    "type": "number",
                    "default": 0,
                    "help_text": f"Values per row at most (0: all, up to {MAX_EXTEND_VALUES})",
                }
            ],
        },
    }


@bp.route("", methods=["GET", "POST"])
def endpoint() -> Response:
    """The manifest (no parameters), a reconciliation batch (``queries=``) or a data extension (``extend=``)."""
    queries, extension = _one("queries"), _one("extend")
    if queries is not None and extension is not None:
        raise BadRequest("send queries= or extend=, not both")
    if queries is not None:
        batch = parse_batch(queries)
        return _answer(get_service().value(Call(reconcile, (batch,), kind="reconcile")))
    if extension is not None:
        wanted = parse_extension(extension)
        return _answer(get_service().value(Call(extend, (wanted,), kind="reconcile")))
    if request.method == "POST":
        raise BadRequest("a POST to /reconcile sends queries= or extend= in a form")
    return _answer(manifest())


def _suggest(function: Callable[[KnowledgeGraph, str, int, int], list[dict[str, Any]]]) -> Response:
    prefix = _text("prefix")
    cursor = _bounded("cursor", 0, MAX_CURSOR)
    limit = max(1, _bounded("limit", DEFAULT_SUGGEST, MAX_SUGGEST))
    found = get_service().value(Call(function, (prefix, cursor, limit), kind="reconcile"))
    return _answer({"result": found})


@bp.get("/suggest/entity")
def suggest_entity() -> Response:
    """Entities whose name contains ``prefix`` (suggest service for entities)."""
    return _suggest(suggest_entities)


@bp.get("/suggest/type")
def suggest_type() -> Response:
    """Classes whose name contains ``prefix`` (suggest service for types)."""
    return _suggest(suggest_types)


@bp.get("/suggest/property")
def suggest_property() -> Response:
    """Properties whose name contains ``prefix`` (suggest service for properties)."""
    return _suggest(suggest_properties)


@bp.get("/properties")
def properties() -> Response:
    """Properties to fetch for members of ``type`` (of any entity without one), most used first (data extension
    property proposals)."""
    type_id = _text("type")
    limit = max(1, _bounded("limit", 50, 200))
    found = get_service().value(Call(propose_properties, (type_id, limit), kind="reconcile"))
    return _answer({"type": type_id, "limit": limit, "properties": found})


@bp.get("/preview")
def preview() -> Response:
    """A small HTML summary of one entity, for a frame in OpenRefine."""
    found: Preview = get_service().value(Call(preview_of, (_text("id", required=True),), kind="reconcile"))
    html = render_template("reconcile/preview.html", entity=found)
    return Response(html, mimetype="text/html")
