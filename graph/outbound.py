"""Which URLs genai-kg may call on a client's behalf (SPARQL ``SERVICE``, ``LOAD``), and how it calls them.

Nothing is allowed unless the operator names it: ``GENAI_KG_ALLOWED_ENDPOINTS`` holds URL prefixes such as
``https://query.wikidata.org/sparql``. A URL is allowed when its scheme, host and port are those of a prefix
and its path starts with the prefix's path at a segment boundary; anything else is refused *before* a
connection is made, so a query cannot reach the service's own network. A fetch never follows a redirect,
is bounded in time and size, and never shows the remote body to the client (it may hold secrets).

>>> policy = OutboundPolicy.parse("http://127.0.0.1:7878/query https://example.org/sparql/")
>>> policy.allows("http://127.0.0.1:7878/query?x=1"), policy.allows("http://127.0.0.1:7878/query2")
(True, False)
>>> policy.allows("https://example.org/sparql/a"), policy.allows("https://example.org/sparql/../admin")
(True, False)
>>> OutboundPolicy.parse("").allows("http://127.0.0.1/")
False
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

import urllib3
from urllib3.exceptions import HTTPError

from .errors import BadRequest, EngineError
from .sparql_lexer import called_endpoints

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class _Prefix:
    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, text: str) -> _Prefix:
        parts = urlsplit(text)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username or parts.query:
            raise ValueError(f"not an http(s) URL prefix without credentials or query: {text!r}")
        return cls(parts.scheme, parts.hostname.lower(), _port(parts), parts.path or "/")

    def covers(self, parts: SplitResult, path: str) -> bool:
        if (parts.scheme, (parts.hostname or "").lower(), _port(parts)) != (self.scheme, self.host, self.port):
            return False
        if self.path.endswith("/"):
            return path.startswith(self.path)
        return path == self.path or path.startswith(self.path + "/")


def _port(parts: SplitResult) -> int:
    try:
        return parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:  # a port that is no number
        return -1


@dataclass(frozen=True)
class Fetched:
    """A document fetched from an allowed URL: its bytes and its media type (without parameters)."""

    body: bytes
    media_type: str


class OutboundPolicy:
    """The endpoints this service may call, and the one way it calls them."""

    def __init__(self, prefixes: tuple[str, ...] = ()) -> None:
        self.prefixes = prefixes
        self._parsed = tuple(_Prefix.parse(p) for p in prefixes)

    @classmethod
    def parse(cls, setting: str | None) -> OutboundPolicy:
        """The policy of a ``GENAI_KG_ALLOWED_ENDPOINTS`` value (space-separated prefixes)."""
        return cls(tuple((setting or "").split()))

    def allows(self, url: str | None) -> bool:
        """True when ``url`` is an absolute http(s) URL under one of the allowed prefixes."""
        if not url:
            return False
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or parts.username is not None or parts.password is not None:
            return False
        path = unquote(parts.path) or "/"
        if posixpath.normpath(path) != path.rstrip("/") and path not in ("/",):
            return False  # dot segments or doubled slashes: what the server resolves may differ
        return any(prefix.covers(parts, path) for prefix in self._parsed)

    def check(self, url: str | None, what: str) -> None:
        """Return when ``url`` may be called; otherwise :class:`BadRequest` naming what was refused."""
        if self.allows(url):
            return
        shown = "a variable" if url is None else f"<{url}>"
        allowed = ", ".join(self.prefixes) if self.prefixes else "none"
        raise BadRequest(
            f"{what} {shown} is not an allowed endpoint: this service calls only endpoints under "
            f"GENAI_KG_ALLOWED_ENDPOINTS (now: {allowed})"
        )

    def check_sparql(self, text: str, prefixes: dict[str, str]) -> None:
        """Refuse a query or update whose ``SERVICE`` or ``LOAD`` would call anything not allowed."""
        for endpoint in called_endpoints(text, prefixes):
            self.check(endpoint, "the endpoint")

    def fetch(self, url: str, *, timeout: float | None, max_bytes: int, accept: str) -> Fetched:
        """GET an allowed URL: no redirect followed, at most ``max_bytes``, the remote body never echoed."""
        self.check(url, "the document")
        pool = urllib3.PoolManager(retries=False)
        try:
            response = pool.request(
                "GET",
                url,
                headers={"Accept": accept},
                redirect=False,
                preload_content=False,
                timeout=urllib3.Timeout(connect=5.0, read=timeout),
            )
        except HTTPError as error:
            raise BadRequest(f"<{url}> could not be fetched: {type(error).__name__}") from None
        try:
            if response.status != 200:
                raise BadRequest(f"<{url}> answered HTTP {response.status}; its body is not shown")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise BadRequest(f"<{url}> is larger than {max_bytes} bytes")
        except HTTPError as error:
            raise BadRequest(f"<{url}> broke off: {type(error).__name__}") from None
        finally:
            response.release_conn()
            pool.clear()
        media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        return Fetched(body, media_type)


def remote_failure(error: BaseException) -> str:
    """What to tell a client about a failed ``SERVICE`` call: never the remote body, which may hold secrets.

    >>> remote_failure(OSError("Error 500 Internal Server Error returned by http://h/x with payload: pw=1"))
    'a SERVICE call failed (Error 500 Internal Server Error returned by http://h/x); the remote answer is not shown'
    """
    if isinstance(error, EngineError):  # the engine called the endpoint: its message may quote the answer
        return "a SERVICE call failed at the SPARQL engine; the remote answer is not shown"
    first = str(error).split(" with payload", 1)[0].splitlines()[0] if str(error) else type(error).__name__
    return f"a SERVICE call failed ({first[:300]}); the remote answer is not shown"
