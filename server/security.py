"""The headers that keep a browser safe with what this service shows: one policy, on every response.

Pages show text that anyone with the token wrote (labels, comments, IRIs), and the query editor shows what
any query returns. Templates escape it and links go only to ``http``, ``https`` and ``mailto`` IRIs
(:mod:`server.pages.links`); these headers are the second wall, should an escape ever be missed:

- ``Content-Security-Policy``: scripts and styles only from this site's own files (``server/static``), no
  inline script at all (the JSON blocks pages carry are data, which the policy does not run, and
  ``javascript:`` links do not run either); the one inline style (the class diagram's, which also travels
  alone as ``/ontology/diagram.svg``) allowed by its hash, and style attributes on the two pages of vendored
  editors, which lay themselves out with them; requests only to this site; no plugins, no ``<base>``, forms
  posted only here, and no framing;
- ``X-Content-Type-Options: nosniff``: a body is what its type says (a Turtle literal is never a script);
- ``Referrer-Policy: same-origin``: a link out does not tell the other site which page, query or
  search led there;
- ``X-Frame-Options: DENY``, for browsers older than ``frame-ancestors``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

from flask import Flask, Response, request

from graph.diagram import STYLE

from .config import Config


def style_hash(style: str) -> str:
    """The CSP source that allows one inline ``<style>`` element whose text is ``style``.

    >>> style_hash("a{color:red}")
    "'sha256-6hWWMOcF+mJesSJGYhmK2lkIIEw9Xc5XKGLPVzh8yxs='"
    """
    digest = hashlib.sha256(style.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(base_url: str | None, *, style_attributes: bool = False, framed_by: str = "'none'") -> str:
    """The policy of every response; a configured public base URL on another origin may be called too, and
    ``style_attributes`` lets a page's scripts set ``style=""`` (the vendored editors lay themselves out so);
    ``framed_by`` says which origins may show the page in a frame (none but the reconciliation previews)."""
    connect = "'self'"
    if base_url:
        parts = urlsplit(base_url)
        connect += f" {parts.scheme}://{parts.netloc}"
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' {style_hash(STYLE)}",
        "img-src 'self' data:",
        "font-src 'self' data:",
        f"connect-src {connect}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {framed_by}",
    ]
    if style_attributes:
        directives[2] += " " + " ".join(VENDORED_STYLES)
        directives.insert(3, "style-src-attr 'unsafe-inline'")
    return "; ".join(directives)


#: Pages other sites may show in a frame: reconciliation previews, which OpenRefine shows in an ``<iframe>``
#: (they hold no script, no form and nothing of the visitor's, so there is nothing to click-jack).
FRAMED = frozenset({"reconcile.preview"})
#: The pages of vendored front ends (YASGUI at /sparql, Swagger UI at /api), which write style attributes.
VENDORED_UI = frozenset({"sparql.endpoint", "openapi.api"})
#: Fixed ``<style>`` elements the vendored front ends add: YASR's column resizer (``.grip-resizable{…}``).
#: After an upgrade of ``static/vendor``, tests/test_browser.py fails naming the hash a new one needs.
VENDORED_STYLES = ("'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='",)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    """Put the headers on every response the app sends, errors included."""
    config: Config = app.config["GENAI_KG"]
    policy = content_security_policy(config.base_url)
    vendored = content_security_policy(config.base_url, style_attributes=True)
    origins = " ".join(config.cors_origins) if "*" not in config.cors_origins else "*"
    framed = content_security_policy(config.base_url, framed_by=origins or "'none'")

    @app.after_request
    def _secure(response: Response) -> Response:
        if request.endpoint in FRAMED:
            response.headers["Content-Security-Policy"] = framed
            response.headers.update({k: v for k, v in HEADERS.items() if k != "X-Frame-Options"})
            return response
        response.headers["Content-Security-Policy"] = vendored if request.endpoint in VENDORED_UI else policy
        response.headers.update(HEADERS)
        return response


def reuse_cors_without_origin(app: Flask) -> None:
    """Give a request without ``Origin`` the CORS headers flask-cors gave the first such request.

    flask-cors works them out again on every response (matching its resources, reading its options): a tenth
    of a look-up's cost in the app. Without ``Origin`` (not a browser's cross-origin request, never a
    preflight) they are the same every time, so they are learned once and copied; any other request, or a
    response that already carries CORS headers, goes through flask-cors. Call it right after ``CORS(app)``.
    """
    functions = app.after_request_funcs.setdefault(None, [])
    index = next(i for i, f in enumerate(functions) if f.__module__.startswith("flask_cors"))
    original = cast(Callable[[Response], Response], functions[index])
    learned: list[tuple[str, str]] | None = None

    def cors(response: Response) -> Response:
        nonlocal learned
        plain = request.method != "OPTIONS" and "Origin" not in request.headers
        keys = response.headers.keys()  # Headers iterate as (key, value) pairs
        if not plain or any(key.startswith("Access-Control-") for key in keys):
            return original(response)
        if learned is None:
            before = list(response.headers.items())
            response = original(response)
            added = [item for item in response.headers.items() if item not in before]
            if all(key.startswith("Access-Control-") for key, _ in added):
                learned = added
            return response
        for key, value in learned:
            response.headers[key] = value
        return response

    functions[index] = cors
