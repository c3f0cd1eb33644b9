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


class _Formatter(logging.Formatter):
    """``TIME MESSAGE``, the time in UTC to the millisecond; the seconds are formatted once per second."""

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._stamp}.{int(record.msecs):03d}Z {record.getMessage()}"


def enable() -> None:
    """Send the access log to standard error, one bare line per request (idempotent)."""
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def write(client: str, method: str, where: str, status: int, sent: int, started: float) -> None:
    """Log one request that arrived at ``started`` (``time.perf_counter()``).

    The record is made here rather than by ``log.info``, which would look for its caller on the stack: a
    third of the cost of a line.
    """
    milliseconds = (time.perf_counter() - started) * 1000
    line = f"{client} {method} {where} {status} {sent} {milliseconds:.1f}"
    log.handle(logging.LogRecord(log.name, logging.INFO, __file__, 0, line, None, None))
