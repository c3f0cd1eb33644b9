"""The one place where ``graph`` errors and HTTP errors become responses with the right status.

Errors answer in ``application/problem+json`` (RFC 9457) when the client prefers JSON, else plain text.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from graph import errors

STATUS: list[tuple[type[errors.GraphError], int]] = [
    (errors.TooLarge, 413),
    (errors.BadRequest, 400),
    (errors.NotFound, 404),
    (errors.NotAcceptable, 406),
    (errors.ReadOnly, 403),
    (errors.TooLarge, 413),
    (errors.QueryTimeout, 503),
    (errors.Unavailable, 503),
    (errors.EngineError, 502),
    (errors.Inconsistent, 409),
]


def status_of(error: errors.GraphError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 500


def problem(status: int, title: str, detail: str, **extra: object) -> Response:
    """An error response in the format the client prefers."""
    best = request.accept_mimetypes.best_match(["text/plain", "application/json", "application/problem+json"])
    if best in ("application/json", "application/problem+json"):
        body = {"type": "about:blank", "status": status, "title": title, "detail": detail, **extra}
        response = jsonify(body)
        response.mimetype = "application/problem+json"
    else:
        response = Response(f"{title}: {detail}\n", mimetype="text/plain")
    response.status_code = status
    return response


def _graph_error(error: errors.GraphError) -> Response:
    status = status_of(error)
    extra: dict[str, object] = {}
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
    response = problem(status, title.get(status, "Error"), str(error), **extra)
    if status == 503:
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
