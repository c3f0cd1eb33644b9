"""The access log: one line per request on standard error, written by the front (``server/front.py``).

A line has seven fields separated by spaces, in this order::

    2025-06-01T12:00:00.123Z 127.0.0.1 GET /sparql?query=ASK%20%7B%7D 200 48 3.1

the time the answer ended (UTC), the client's address, the method, the path with its query string as
the client sent it (bytes outside printable ASCII, and ``"``, ``\\`` and ``%`` when not followed by two hex
digits, escaped as ``%XX``; cut at :data:`MAX_TARGET` characters, then ``...``), the status, the body bytes
sent, and the milliseconds from arrival to the last byte handed to the server. A response cut short (the
client went away, an answer over its budget) shows the bytes actually sent.

>>> target(b"/id/ChatGPT", b"")
'/id/ChatGPT'
>>> target(b'/a b"', b"q=\\xff")
'/a%20b%22?q=%FF'
>>> len(target(b"/" + b"x" * 5000, b""))
1003
"""

from __future__ import annotations

import logging
import re
import sys
import time

#: How much of a request's path and query string a line keeps.
MAX_TARGET = 1000

log = logging.getLogger("genai_kg.access")

_UNSAFE = re.compile(rb"[^\x21\x23-\x5b\x5d-\x7e]|%(?![0-9A-Fa-f]{2})")


def target(raw_path: bytes, query_string: bytes) -> str:
    """The request target as a log field: escaped so that it holds no space, and bounded in length."""
    text = raw_path + (b"?" + query_string if query_string else b"")
    cut = len(text) > MAX_TARGET
    escaped = _UNSAFE.sub(lambda m: b"%%%02X" % m.group()[0], text[:MAX_TARGET]).decode("ascii")
    return escaped[:MAX_TARGET] + "..." if cut or len(escaped) > MAX_TARGET else escaped


def enable() -> None:
    """Send the access log to standard error, one bare line per request (idempotent)."""
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("%(asctime)s.%(msecs)03dZ %(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def write(client: str, method: str, where: str, status: int, sent: int, started: float) -> None:
    """Log one request that arrived at ``started`` (``time.perf_counter()``)."""
    milliseconds = (time.perf_counter() - started) * 1000
    log.info("%s %s %s %d %d %.1f", client, method, where, status, sent, milliseconds)
