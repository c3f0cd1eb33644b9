"""The HTTP front: the ASGI application granian serves, with the Flask app behind it.

No thread is spent on a client until its whole request has arrived. For each request the front

1. reads the body on the event loop, chunked or not, within ``request_timeout`` seconds and under
   ``max_body_bytes``: too slow is a 408, too big a 413 (as soon as the Content-Length or the running total
   says so), both before the app runs, so nothing is ever written from a cut body;
2. answers ``/health`` itself (over a remote engine, its check runs in a one-thread executor, bounded by
   :data:`HEALTH_TIMEOUT`), so that no flood of slow or heavy requests can starve it;
3. runs the Flask app in a pool of ``threads`` threads with the buffered body, and sends its answer: whole
   when it is shorter than :data:`READ_AHEAD`, else streamed as it comes; when the client goes away the
   answer's iterator is closed (which kills a streaming query's worker), and a client that leaves its answer
   unread for ``send_timeout`` seconds is dropped;
4. writes one access-log line (``server/access_log.py``).

Other ASGI apps can be mounted at a path prefix (:meth:`Front.mount`); they get the same body limits and
access log, and their own buffered body. Their lifespans run beside the front's (:class:`Lifespan`): started
before the first request, shut down with the server. ``/mcp`` is one (``server/mcp.py``); a browser's GET of
it goes to the Flask app, which has a page about it (``mount(..., page=True)``). Granian itself closes a
connection whose headers take longer than ``request_timeout`` (``serve`` in ``server/cli.py``).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import escape
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask

from graph import KnowledgeGraph
from graph.errors import GraphError
from graph.querying.service import CLIENT

from . import access_log, ops
from .app import create_app
from .asgi import ASGIApp, Lifespan, LifespanFailed, Message, Receive, Scope, Send
from .config import Config
from .context import GRAPH
from .errors import status_of
from .negotiation import prefers_html

#: Bytes of an answer read before its first byte is sent: an answer shorter than that is sent in one piece.
READ_AHEAD = 64 * 1024
#: Seconds ``/health`` waits for a remote engine to answer its trivial query before it says 503.
HEALTH_TIMEOUT = 2.0

log = logging.getLogger(__name__)


def create_front() -> Front:
    """The ASGI application ``genai-kg serve`` runs (granian's factory): settings from ``GENAI_KG_*``."""
    config = Config.from_env()
    if config.access_log:
        access_log.enable()
    from . import mcp  # the MCP SDK is imported by the server only, never by the CLI's other commands

    app = create_app(config)
    front = Front(app, config)
    front.mount("/mcp", mcp.create(app), page=True)
    return front


class Refused(Exception):
    """A request the front answers itself with a problem: before any app sees it, or for a mounted app that
    failed before it answered."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class Disconnected(Exception):
    """The client went away before its request had arrived."""


@dataclass
class Exchange:
    """One request on its way through the front: what the access log and the metrics need to know."""

    scope: Scope
    started: float = field(default_factory=time.perf_counter)
    status: int = 0
    sent: int = 0

    @property
    def client(self) -> str:
        """The peer's address, or ``-``."""
        return _peer(self.scope)[0] or "-"

    def __str__(self) -> str:
        return f"{self.client} ({self.scope['method']} {self.scope['path']})"


@dataclass
class Answer:
    """The Flask app's answer as its first pool thread left it: the head, the body so far, and the rest."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    #: The iterator still to be read (in a pool thread), or None when the whole body is in ``body``.
    rest: Iterator[bytes] | None
    close: Callable[[], None]


class Front:
    """An ASGI application in front of one WSGI (Flask) app; see the module's docstring."""

    def __init__(self, app: Flask, config: Config) -> None:
        self.app = app
        self.config = config
        self.kg: KnowledgeGraph = app.extensions[GRAPH]
        self.metrics: ops.Metrics = app.extensions[ops.METRICS]
        self.pool = ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="genai-kg-app")
        self._health_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="genai-kg-health")
        self._engine_check: asyncio.Future[None] | None = None
        #: Bytes of request bodies held in memory right now, and the most there may be.
        self.buffered = 0
        self.max_buffered = config.threads * config.max_body_bytes
        self.mounts: dict[str, ASGIApp] = {}
        #: Mount prefixes whose own path a browser gets from the Flask app (a page about the endpoint).
        self.pages: set[str] = set()
        self._lifespans: list[Lifespan] = []

    def mount(self, prefix: str, app: ASGIApp, *, page: bool = False) -> None:
        """Serve ``prefix`` and every path under it with the ASGI ``app`` (``root_path`` says the prefix); its
        lifespan starts with the front's (mount before the server starts). With ``page``, a GET of ``prefix``
        itself that prefers HTML (a browser) goes to the Flask app instead, which has a page for it."""
        self.mounts[prefix.rstrip("/")] = app
        if page:
            self.pages.add(prefix.rstrip("/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:  # websockets: nothing here speaks them
            await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for prefix, app in self.mounts.items():
                        lifespan = Lifespan(prefix, app)
                        await lifespan.startup()
                        self._lifespans.append(lifespan)
                except LifespanFailed as failed:
                    await send({"type": "lifespan.startup.failed", "message": str(failed)})
                    await self._stop_mounted()
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stop_mounted()
                self.pool.shutdown(wait=False, cancel_futures=True)
                self._health_pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _stop_mounted(self) -> None:
        """Shut the mounted apps' lifespans down, the last started first; a failure is logged, not raised."""
        while self._lifespans:
            lifespan = self._lifespans.pop()
            try:
                await lifespan.shutdown()
            except LifespanFailed as failed:
                log.warning("%s", failed)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = Exchange(scope)
        body = b""
        try:
            path = scope["path"]
            mounted = self._mounted(path)
            if mounted is not None and self._browsing(scope, mounted[0]):
                mounted = None
            if path == "/health" and scope["method"] in ("GET", "HEAD") and mounted is None:
                await self._health(exchange, send)
                return
            body = await self._read_body(scope, receive)
            if mounted is not None:
                CLIENT.set(_peer(scope)[0])  # this request's task, and the threads its app starts from it
                await self._mounted_app(mounted, exchange, scope, _replay(body, receive), send)
            else:
                await self._wsgi(exchange, body, receive, send)
        except Refused as refused:  # nothing was sent yet: bodies are read before the app runs
            headers = [(b"connection", b"close")] + ([(b"retry-after", b"1")] if refused.status == 503 else [])
            await _problem(exchange, send, refused.status, refused.title, refused.detail, *headers)
            self.metrics.requests.labels("front", str(refused.status)).inc()
        except Disconnected:
            pass
        finally:
            self.buffered -= len(body)
            if self.config.access_log:
                where = access_log.target(scope.get("raw_path") or scope["path"].encode(), scope["query_string"])
                access_log.write(
                    exchange.client, scope["method"], where, exchange.status, exchange.sent, exchange.started
                )

    async def _mounted_app(
        self, mounted: tuple[str, ASGIApp], exchange: Exchange, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run a mounted app; one that fails before it has answered is answered a 500 problem here (an app
        built on its first request, such as ``/mcp``, can fail there), and its error goes to the log."""
        prefix, app = mounted
        try:
            await app({**scope, "root_path": scope.get("root_path", "") + prefix}, receive, _counting(exchange, send))
        except Exception as error:
            if exchange.status:  # its answer has begun: the connection is cut, as for the Flask app
                raise
            log.exception("the app at %s failed", prefix)
            detail = f"the endpoint at {prefix} failed ({type(error).__name__}); the server's log says why"
            raise Refused(500, "Internal Server Error", detail) from None

    def _mounted(self, path: str) -> tuple[str, ASGIApp] | None:
        for prefix, app in self.mounts.items():
            if path == prefix or path.startswith(prefix + "/"):
                return prefix, app
        return None

    def _browsing(self, scope: Scope, prefix: str) -> bool:
        """Whether this request is a browser's visit to a mounted endpoint that has a page in the Flask app."""
        if prefix not in self.pages or scope["path"] != prefix or scope["method"] not in ("GET", "HEAD"):
            return False
        accept = ",".join(value.decode("latin-1") for name, value in scope["headers"] if name == b"accept")
        return prefers_html(accept)

    # -- the request --------------------------------------------------------------------------------

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        """The whole body, read within the request deadline and under the size caps (:class:`Refused`)."""
        cap = self.config.max_body_bytes
        length: int | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = int(value)  # granian has refused a Content-Length that is not a number
            elif name == b"transfer-encoding":
                chunked = True
        if length is not None and length > cap:
            raise _too_large(cap)
        if not chunked and not length:
            return b""
        parts: list[bytes] = []
        held = 0
        try:
            async with asyncio.timeout(self.config.request_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise Disconnected
                    part = message.get("body", b"")
                    if held + len(part) > cap:
                        raise _too_large(cap)
                    if self.buffered + len(part) > self.max_buffered:
                        raise Refused(503, "Service Unavailable", "too many large requests at once; retry shortly")
                    self.buffered += len(part)
                    held += len(part)
                    parts.append(part)
                    if not message.get("more_body", False):
                        return b"".join(parts)  # held until the exchange ends (``_http``)
        except TimeoutError:
            self.buffered -= held
            detail = f"the request's body did not arrive within {self.config.request_timeout:g} s"
            raise Refused(408, "Request Timeout", detail) from None
        except BaseException:
            self.buffered -= held
            raise

    # -- /health ------------------------------------------------------------------------------------

    async def _health(self, exchange: Exchange, send: Send) -> None:
        """Answer ``/health`` on the event loop; over a remote engine, within :data:`HEALTH_TIMEOUT`."""
        try:
            if self.kg.backend.shared:
                await asyncio.wait_for(asyncio.shield(self._check_engine()), HEALTH_TIMEOUT)
        except TimeoutError:
            detail = f"the SPARQL engine did not answer within {HEALTH_TIMEOUT:g} s"
            await _problem(exchange, send, 503, "Service Unavailable", detail, (b"retry-after", b"1"))
        except GraphError as error:
            status = status_of(error)
            await _problem(exchange, send, status, HTTPStatus(status).phrase, str(error), (b"retry-after", b"1"))
        else:
            body = json.dumps(ops.health_report(self.kg, self.config)).encode()
            head = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
            await _send_whole(exchange, send, 200, head, body)
        self.metrics.requests.labels("/health", str(exchange.status)).inc()
        self.metrics.latency.labels("/health").observe(time.perf_counter() - exchange.started)

    def _check_engine(self) -> asyncio.Future[None]:
        """The engine check in flight, or a new one: never more than one at a time, however many probes wait."""
        if self._engine_check is None or self._engine_check.done():
            loop = asyncio.get_running_loop()
            self._engine_check = loop.run_in_executor(self._health_pool, ops.check_engine, self.kg)
        return self._engine_check

    # -- the Flask app ------------------------------------------------------------------------------

    async def _wsgi(self, exchange: Exchange, body: bytes, receive: Receive, send: Send) -> None:
        """Run the app in a pool thread, then send its answer, streaming the rest when there is more."""
        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(self.pool, self._begin, _environ(exchange.scope, body))
        if answer.rest is None:
            await _send_whole(exchange, send, answer.status, answer.headers, answer.body)
            return
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
        exchange.status = answer.status
        gone = asyncio.ensure_future(_disconnect(receive))
        finished = False
        try:
            chunk: bytes | None = answer.body
            while chunk is not None and not gone.done():
                if chunk:
                    async with asyncio.timeout(self.config.send_timeout):
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    exchange.sent += len(chunk)
                chunk = await self._pooled(_next_or_close, answer)
            if chunk is None:
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except TimeoutError:
            log.warning("gave up on %s: it left its answer unread for %g s", exchange, self.config.send_timeout)
        except GraphError as error:  # past its budget, say: the answer is cut, never ended as if complete
            log.warning("answer to %s cut: %s", exchange, error)
        finally:
            gone.cancel()
            if not finished:
                await self._pooled(answer.close)

    def _pooled(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """``function(*args)`` in a pool thread, or here once the server stops and the pool takes no more work
        (an answer still streaming then must be closed all the same: its query's worker is killed)."""
        loop = asyncio.get_running_loop()
        try:
            return loop.run_in_executor(self.pool, function, *args)
        except RuntimeError:  # "cannot schedule new futures after shutdown"
            done: asyncio.Future[Any] = loop.create_future()
            try:
                done.set_result(function(*args))
            except Exception as error:
                done.set_exception(error)
            return done

    def _begin(self, environ: dict[str, Any]) -> Answer:
        """In a pool thread: call the app and read :data:`READ_AHEAD` bytes of its answer (all of a shorter one,
        which then goes out in one piece, without a thread again)."""
        head: list[Any] = []
        CLIENT.set(environ["REMOTE_ADDR"])  # the query service counts this request's works as this client's

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            head[:] = [status, headers]
            return _no_write

        result: Iterable[bytes] = self.app(environ, start_response)
        close: Callable[[], None] = getattr(result, "close", _nothing)
        chunks = iter(result)
        rest: Iterator[bytes] | None = chunks
        parts: list[bytes] = []
        size = 0
        try:
            for part in chunks:
                parts.append(part)
                size += len(part)
                if size >= READ_AHEAD:
                    break
            else:
                rest = None
                close()
        except GraphError as error:
            if not parts:
                close()
                raise
            rest = _failing(error)  # its first bytes go out, then the answer is cut where it failed
        except BaseException:
            close()
            raise
        status, headers = head
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        return Answer(int(status[:3]), encoded, b"".join(parts), rest, close)


def _failing(error: GraphError) -> Iterator[bytes]:
    """An answer's rest that fails at once with ``error``."""
    yield from ()
    raise error


def _next_or_close(answer: Answer) -> bytes | None:
    """In a pool thread: the answer's next bytes, or None at its end (then the answer is closed)."""
    assert answer.rest is not None
    try:
        return next(answer.rest)
    except StopIteration:
        answer.close()
        return None


def _peer(scope: Scope) -> tuple[str, int]:
    """The client's address and port (``""`` and 0 when the server does not say)."""
    client = scope.get("client")
    return (str(client[0]), int(client[1])) if client else ("", 0)


def _environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI request whose body has been read: a known length, never chunked."""
    server = scope.get("server") or ("localhost", 80)
    address, port = _peer(scope)
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": scope.get("root_path", "").encode("utf-8").decode("latin-1"),
        "PATH_INFO": unquote_to_bytes(raw_path).decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "REMOTE_ADDR": address,
        "REMOTE_PORT": str(port),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in scope["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            environ["CONTENT_LENGTH"] = str(len(body))
            continue
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        text = value.decode("latin-1")
        environ[key] = environ[key] + "," + text if key in environ else text
    return environ


async def _send_whole(
    exchange: Exchange, send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    """Send an answer whose body is known in full."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    exchange.status = status
    await send({"type": "http.response.body", "body": body})
    if exchange.scope["method"] != "HEAD":  # granian leaves the body out
        exchange.sent += len(body)


#: The page a browser gets for the front's own refusals (408, 413, 503 …), before any Flask thread runs: the
#: site's stylesheet and the way on, like ``pages/error.html``, with no script.
ERROR_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>{status} {title} · genai-kg</title><link rel="stylesheet" href="/static/site.css"></head>'
    '<body><main><article class="error"><p class="canonical">{status}</p><h1>{title}</h1>'
    '<p class="lead">{detail}</p><p>Try again in a moment, or go to <a href="/">the home page</a> or '
    '<a href="/search">search</a>.</p></article></main></body></html>'
)
#: Headers of that page (``server/security.py`` puts these on the Flask app's answers).
ERROR_PAGE_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


async def _problem(
    exchange: Exchange, send: Send, status: int, title: str, detail: str, *headers: tuple[bytes, bytes]
) -> None:
    """Send an RFC 9457 problem, in the shape of ``server/errors.py``'s, or the error page to a browser."""
    accept = ",".join(value.decode("latin-1") for name, value in exchange.scope["headers"] if name == b"accept")
    if prefers_html(accept):
        page = ERROR_PAGE.format(status=status, title=escape(title), detail=escape(detail))
        body, media = page.encode(), b"text/html; charset=utf-8"
        headers = (*ERROR_PAGE_HEADERS, *headers)
    else:
        body = json.dumps({"type": "about:blank", "status": status, "title": title, "detail": detail}).encode()
        media = b"application/problem+json"
    head = [(b"content-type", media), (b"content-length", b"%d" % len(body)), *headers]
    await _send_whole(exchange, send, status, head, body)


async def _disconnect(receive: Receive) -> None:
    """Return when the client has gone away (what is left of its request was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _replay(body: bytes, receive: Receive) -> Receive:
    """A mounted app's ``receive``: the buffered body first, then whatever the connection says (a disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _counting(exchange: Exchange, send: Send) -> Send:
    """A mounted app's ``send``: the status and bytes it sends are noted for the access log."""

    async def counted(message: Message) -> None:
        if message["type"] == "http.response.start":
            exchange.status = message["status"]
        elif message["type"] == "http.response.body":
            exchange.sent += len(message.get("body", b""))
        await send(message)

    return counted


def _too_large(cap: int) -> Refused:
    return Refused(413, "Content Too Large", f"the request's body is over the {cap}-byte limit")


def _no_write(data: bytes) -> None:
    raise NotImplementedError("the WSGI write() callable is not supported: return the body instead")


def _nothing() -> None:
    pass
