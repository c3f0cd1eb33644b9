"""Talking HTTP to a remote SPARQL 1.1 engine: its three endpoints, one connection pool, errors made ours.

The SPARQL 1.1 Protocol has a query endpoint and an update endpoint (often the same URL), and the Graph
Store Protocol a third. Credentials in an endpoint URL (``http://user:secret@host/sparql``) are sent as
HTTP Basic authentication. Every request has a deadline; what the engine says about a failure is kept in
the error we raise: :class:`SyntaxError` for a 400 (the caller's query), :class:`~.errors.QueryTimeout`
past the deadline, :class:`~.errors.Unavailable` when the engine cannot be reached, and
:class:`~.errors.EngineError` for anything else it refuses.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import HTTPError, ReadTimeoutError

from .deadline import current as current_deadline
from .errors import EngineError, NotAcceptable, QueryTimeout, Unavailable

#: How long to wait for a connection to the engine, whatever the query's budget.
CONNECT_SECONDS = 5.0
#: How much of an engine's error message to keep in ours.
MESSAGE_CHARS = 2000
#: Virtuoso's answer header when its ``timeout`` cut a query short ("anytime" partial results, with a 200).
ANYTIME_STATE = "S1TAT"


@dataclass(frozen=True)
class Endpoints:
    """The URLs of one engine: update defaults to the query URL (Virtuoso, QLever: one endpoint for both);
    with no Graph Store URL, bulk loads go in ``INSERT DATA`` batches.

    ``timeout_parameter`` passes each query's budget on to engines that take one, as a template for a
    query-string parameter: ``timeout={seconds}`` (Fuseki, GraphDB), ``timeout={milliseconds}`` (Virtuoso,
    Stardog), ``timeout={seconds}s`` (QLever). Oxigraph's server takes none (``oxigraph serve --timeout-s``).
    """

    query: str
    update: str | None = None
    store: str | None = None
    timeout_parameter: str | None = None

    def __post_init__(self) -> None:
        for url in (self.query, self.update, self.store):
            if url is not None and urlsplit(url).scheme not in ("http", "https"):
                raise ValueError(f"not an http(s) URL: {url!r}")
        if self.update is None:
            object.__setattr__(self, "update", self.query)
        if self.timeout_parameter is not None:
            name, sep, _ = self.timeout_parameter.partition("=")
            if not (name and sep) or self.timeout_fields(1.0)[0][1] == self.timeout_parameter[len(name) + 1 :]:
                raise ValueError(
                    f"not a timeout parameter template: {self.timeout_parameter!r} "
                    "(expected NAME={seconds} or NAME={milliseconds})"
                )

    def timeout_fields(self, budget: float | None) -> list[tuple[str, str]]:
        """The query-string parameter that passes ``budget`` (seconds) on to the engine, if it takes one."""
        if self.timeout_parameter is None or budget is None:
            return []
        name, _, template = self.timeout_parameter.partition("=")
        seconds = f"{budget:g}"
        return [(name, template.replace("{seconds}", seconds).replace("{milliseconds}", str(round(budget * 1000))))]


def _within_deadline(budget: float | None) -> float | None:
    """A request's budget, cut to what the running work has left (:func:`graph.deadline.bounded_by`)."""
    deadline = current_deadline()
    remaining = deadline.remaining()
    if remaining is None:
        return budget
    if remaining == 0:
        raise deadline.timeout("the request")
    return remaining if budget is None else min(budget, remaining)


def _without_credentials(url: str) -> tuple[str, str | None]:
    """The URL without ``user:password@``, and those credentials as a Basic authorization value."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    auth = urllib3.util.make_headers(basic_auth=f"{parts.username}:{parts.password or ''}")["authorization"]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), auth


class EngineClient:
    """A pooled, thread-safe HTTP client for one engine's endpoints."""

    def __init__(self, endpoints: Endpoints, *, timeout: float | None = None, connections: int = 16) -> None:
        self.endpoints = endpoints
        #: The default budget of a request in seconds (None: no limit).
        self.timeout = timeout
        self._urls: dict[str, tuple[str, str | None]] = {}
        for kind, url in (("query", endpoints.query), ("update", endpoints.update), ("store", endpoints.store)):
            if url is not None:
                self._urls[kind] = _without_credentials(url)
        self._pool = urllib3.PoolManager(maxsize=connections, block=False, retries=False)

    @property
    def location(self) -> str:
        return self._urls["query"][0]

    def has(self, kind: str) -> bool:
        return kind in self._urls

    def request(
        self,
        kind: str,
        method: str,
        *,
        fields: Iterable[tuple[str, str]] = (),
        body: bytes | IO[bytes] | Iterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = -1.0,
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request to the ``query``, ``update`` or ``store`` endpoint and return the 2xx response.

        ``fields`` go in the URL's query string; ``timeout`` -1 means the client's default. With ``stream``
        the body is left unread (the caller reads it and releases the connection).
        """
        url, auth = self._urls.get(kind) or self._urls["query"]
        budget = _within_deadline(self.timeout if timeout == -1.0 else timeout)
        sent = dict(headers or {})
        if auth is not None:
            sent["Authorization"] = auth
        query = urlencode(list(fields))
        if query:
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        started = time.monotonic()
        try:
            response = self._pool.request(
                method,
                url,
                body=body,
                headers=sent,
                preload_content=not stream,
                chunked=isinstance(body, Iterator),
                timeout=urllib3.Timeout(connect=CONNECT_SECONDS, read=budget),
            )
        except ReadTimeoutError as error:
            deadline = current_deadline()
            if deadline.at is not None:
                raise deadline.timeout("the query, at the SPARQL engine,") from error
            raise QueryTimeout(f"the SPARQL engine gave no answer within {budget:g} s") from error
        except HTTPError as error:
            raise Unavailable(f"the SPARQL engine at {url.split('?')[0]} cannot be reached: {error}") from error
        if response.status >= 300:
            self._raise(response, kind, time.monotonic() - started, budget, stream=stream)
        if response.headers.get("X-SQL-State") == ANYTIME_STATE:
            response.close()
            raise QueryTimeout(f"the SPARQL engine stopped at the {budget:g} s budget and sent a partial answer")
        return response

    def sparql(
        self,
        kind: str,
        text: str,
        *,
        fields: Iterable[tuple[str, str]] = (),
        accept: str | None = None,
        timeout: float | None = -1.0,
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        """Send a query (``kind`` "query") or an update ("update") the way every engine takes it: an HTML form
        POST (Virtuoso never answers a query POSTed as ``application/sparql-query``)."""
        budget = _within_deadline(self.timeout if timeout == -1.0 else timeout)
        form = [(kind, text), *fields]
        if kind == "query":
            form += self.endpoints.timeout_fields(budget)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if accept is not None:
            headers["Accept"] = accept
        return self.request(kind, "POST", body=urlencode(form).encode(), headers=headers, timeout=budget, stream=stream)

    def _raise(
        self, response: urllib3.BaseHTTPResponse, kind: str, seconds: float, budget: float | None, *, stream: bool
    ) -> None:
        raw = response.read(MESSAGE_CHARS * 4) if stream else response.data
        message = raw.decode("utf-8", "replace").strip()[:MESSAGE_CHARS]
        if stream:
            response.drain_conn()  # what is left of a long error page must not stay on a pooled connection
        response.release_conn()
        status = response.status
        if status == 400 and kind in ("query", "update"):
            raise SyntaxError(message or "the SPARQL engine refused the request")
        if status == 406 and kind == "query":
            raise NotAcceptable(f"the SPARQL engine cannot answer in the format asked for: {message}")
        if status in (503, 504) and budget is not None and seconds >= budget * 0.9:
            raise QueryTimeout(f"the SPARQL engine stopped after {seconds:.1f} s: {message}")
        raise EngineError(f"the SPARQL engine answered {status} to a {kind} request: {message}")

    def close(self) -> None:
        self._pool.clear()
