"""The one place where ``graph`` errors and HTTP errors become responses with the right status.

A browser (a client that prefers ``text/html``) gets the site's branded error page, with a way on (search,
the home page, suggestions); a client that asks for ``text/plain`` above JSON gets one line of text; every other
client gets ``application/problem+json`` (RFC 9457: ``type``, ``title``, ``status``, ``detail``, ``instance``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import Flask, Response, jsonify, render_template, request
from jinja2 import TemplateError
from werkzeug.exceptions import HTTPException

from graph import errors

from .negotiation import prefers_html

STATUS: list[tuple[type[errors.GraphError], int]] = [
    (errors.TooLarge, 413),
    (errors.BadRequest, 400),
    (errors.NotFound, 404),
    (errors.NotAcceptable, 406),
    (errors.ReadOnly, 403),
    (errors.QueryTimeout, 503),
    (errors.QueryOutOfMemory, 503),
    (errors.Unavailable, 503),
    (errors.EngineError, 502),
    (errors.Inconsistent, 409),
]


def status_of(error: errors.GraphError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 500


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    suggestions: Sequence[tuple[str, str]] = (),
    extra: Mapping[str, object] | None = None,
) -> Response:
    """An error response in the format the client prefers: the branded HTML page for browsers,
    ``text/plain`` when asked for above JSON, else problem+json. ``suggestions`` are (IRI, label) pairs
    the HTML page offers ("did you mean …") and the JSON body lists; ``extra`` members are added to both."""
    extra = extra or {}
    if prefers_html(request.headers.get("Accept")):
        try:
            html = render_template(
                "pages/error.html", status=status, title=title, detail=detail, suggestions=suggestions, extra=extra
            )
        except TemplateError:  # the page itself failed: the error still reaches the client, as text
            html = f"{status} {title}: {detail}\n"
        return Response(html, status=status, mimetype="text/html")
    best = request.accept_mimetypes.best_match(["application/problem+json", "application/json", "text/plain"])
    if best == "text/plain":
        return Response(f"{title}: {detail}\n", status=status, mimetype="text/plain")
    body: dict[str, object] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extra,
    }
    if suggestions:
        body["suggestions"] = [{"iri": iri, "label": name} for iri, name in suggestions]
    response = jsonify(body)
    response.mimetype = "application/problem+json"
    response.status_code = status
    return response


def _graph_error(error: errors.GraphError) -> Response:
    status = status_of(error)
    extra: dict[str, int | None] = {}
    if isinstance(error, errors.BadData) and error.line is not None:
        extra = {"line": error.line, "column": error.column}
    title = {
        400: "Bad Request",
        403: "Forbidden",
        404: "Not Found",
        406: "Not Acceptable",
        409: "Conflict",
        413: "Content Too Large",
        502: "Bad Gateway",
        503: "Query Timeout" if isinstance(error, errors.QueryTimeout) else "Service Unavailable",
    }
    if isinstance(error, errors.QueryOutOfMemory):
        title[503] = "Query Out of Memory"
    response = problem(status, title.get(status, "Error"), str(error), extra=extra)
    if status == 503 and not isinstance(error, errors.QueryOutOfMemory):  # the same request would fail again
        response.headers["Retry-After"] = "1"
    return response


def _http_error(error: HTTPException) -> Response:
    response = problem(error.code or 500, error.name, error.description or "")
    for key, value in error.get_headers():
        if key.lower() not in ("content-type", "content-length"):
            response.headers[key] = value
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(errors.GraphError, _graph_error)
    app.register_error_handler(HTTPException, _http_error)
