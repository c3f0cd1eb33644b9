"""Who may write: a Bearer token (``GENAI_KG_TOKEN``) checked in constant time; reads need nothing.

Writes are refused with 403 when the service cannot accept any (no token configured, or ``--read-only``),
and with 401 and ``WWW-Authenticate: Bearer`` when the request does not carry the configured token.
"""

from __future__ import annotations

import hmac

from flask import request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from .context import get_config


def require_write() -> None:
    """Return when this request may write; raise the 401 or 403 that says why it may not."""
    config = get_config()
    if config.read_only:
        raise Forbidden("this service runs read-only (--read-only): it accepts no writes")
    if not config.token:
        raise Forbidden("writes are disabled: no token is configured (set GENAI_KG_TOKEN to enable them)")
    given = bearer_token()
    if given is None or not hmac.compare_digest(given.encode(), config.token.encode()):
        raise Unauthorized(
            "this write needs the header Authorization: Bearer <token>"
            + (" (the token given is not the right one)" if given is not None else ""),
            www_authenticate=WWWAuthenticate("bearer", {"realm": "genai-kg"}),
        )


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
