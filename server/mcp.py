"""``/mcp``: the knowledge graph for LLM agents, as a Model Context Protocol server (streamable HTTP).

Built with the ``mcp`` SDK's ``MCPServer`` and mounted on the HTTP front (``server/front.py``), which
relays its lifespan so that the SDK's session manager has its task group, and leaves a browser's ``GET /mcp``
to the Flask app, where :data:`bp` says what the endpoint is. The SDK is imported by the first request to
``/mcp`` (:class:`MCPEndpoint`), never at a server's start nor by the command line's other commands. It offers

- tools: ``sparql_query`` (read-only, budgeted, capped), ``describe``, ``search``, ``explain`` (is-a with its
  steps), ``list_named_queries`` and ``run_named_query`` (typed parameters, bound as the REST API binds them);
- resources: the ontology and the VoID description, in Turtle.

Nothing here writes: a query runs as :class:`QueryRequest` work, which can only read. Every tool's work goes
through the app's query service (admission, budget, workers), as a request's does; the handlers run outside
Flask's request context, so the service, the configuration and the named queries come from the app given to
:func:`create`. Inputs are bounded; a refused input, a missing resource or a query past its budget is a tool
error (``isError``) with the service's message. ``docs/mcp.md`` is the user's guide.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, render_template_string
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)

from graph import describe, named_queries, search
from graph.describe import ontology_triples
from graph.errors import BadParameter, BadQuery, GraphError, NotFound, TooLarge
from graph.inference import api as inference
from graph.input_limits import check_sparql
from graph.named_queries import NamedQuery
from graph.namespaces import ONTOLOGY_IRI, PREFIXES, compact, expand
from graph.querying.work import Answer, Call, Formats, QueryRequest
from graph.sparql_lexer import query_form, top_level_keyword
from graph.void import statistics, void_triples

from .asgi import ASGIApp, Lifespan, LifespanFailed, Receive, Scope, Send
from .config import Config
from .context import QUERIES, SERVICE, public_url
from .pages.rdf import safe_prefixes
from .queries import header as query_header

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings


log = logging.getLogger(__name__)

#: Rows (or triples) a query tool returns unless the call asks for fewer, and the most it may ask for.
DEFAULT_ROWS = 100
MAX_ROWS = 1000
#: Characters of text any tool returns at most: rows are left out whole past it (a description is cut), with a note.
MAX_TEXT = 64 * 1024
#: Bytes of a query's answer read from the service at most (the rest is never computed: the work is closed).
MAX_READ = 4 * 1024 * 1024
#: Longest IRI or ``prefix:Local`` name, search text, named-query parameter value; most parameters in a call.
MAX_IRI = 2048
MAX_SEARCH = 200
MAX_SEARCH_RESULTS = 100
MAX_VALUE = 10_000
MAX_PARAMS = 32
#: Update operations' keywords: a text that is no query and says one of these is an update, refused.
UPDATE_WORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
TSV = QueryResultsFormat.TSV.media_type
JSON = QueryResultsFormat.JSON.media_type
N_TRIPLES = RdfFormat.N_TRIPLES.media_type
#: The resources' URIs (the ontology's own IRI; the VoID description's well-known path).
ONTOLOGY_URI = ONTOLOGY_IRI
VOID_PATH = "/.well-known/void"

#: Each tool's description, for agents (the SDK's tool list) and people (the page at /mcp).
TOOLS = {
    "sparql_query": "Run a read-only SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE) over the knowledge "
    "graph, inferred triples included; the usual prefixes (gai:, gaid:, rdfs:, owl:, skos:, xsd:, …) are "
    'declared. SELECT results come as compact JSON (columns and rows; IRIs as prefix:Local) or CSV (format="csv"); '
    "graphs as Turtle. At most `limit` rows (1-1000, default 100), with a note when more exist. Updates are "
    "refused; each query has the service's time budget.",
    "describe": "The linked-data description of a resource, as Turtle: its statements and the blank nodes under "
    "them. Give a full IRI or prefix:Local (for example gaid:ChatGPT or gai:LargeLanguageModel).",
    "search": "Find resources by label or alternative label (case, accents and punctuation ignored), exact names "
    "first. Returns JSON: identifiers (prefix:Local) and labels, at most `limit` (1-100, default 20).",
    "explain": "Whether a resource is an instance (or a subclass) of a class, by the reasoner's closure, with the "
    "steps that make it so (stated triples and the rules applied). Both as full IRIs or prefix:Local, e.g. "
    'iri="gaid:ChatGPT", class_iri="gai:GenerativeAI".',
    "list_named_queries": "The named queries (curated SPARQL) with their typed parameters, as JSON; run one with "
    "run_named_query.",
    "run_named_query": "Run a named query with its parameters (name to value as text; each is checked against its "
    "declared type and bound, never pasted into the query). Results as for sparql_query.",
}
#: The resources: name, title and description (their URIs are the ontology's IRI and the VoID path).
RESOURCES = {
    "ontology": ("The genai-kg ontology", "The ontology's classes, properties and axioms (OWL), in Turtle."),
    "void": ("VoID description", "The dataset's VoID description: size, classes, properties and links, in Turtle."),
}

bp = Blueprint("mcp", __name__)

#: What a browser sees at /mcp (an MCP client never asks for HTML).
PAGE = """{% extends "base.html" %}
{% block title %}MCP for agents{% endblock %}
{% block content %}
<h1>MCP for agents</h1>
<p>This URL, <code>{{ url }}</code>, is a <a href="https://modelcontextprotocol.io">Model Context Protocol</a>
server (streamable HTTP): an LLM agent connected to it can search, describe and query the knowledge graph.
Nothing it offers writes. A client configuration:</p>
<pre>{{ config }}</pre>
<h2>Tools</h2>
<dl>{% for name, text in tools.items() %}<dt><code>{{ name }}</code></dt><dd>{{ text }}</dd>{% endfor %}</dl>
<h2>Resources</h2>
<dl>{% for uri, text in resources %}<dt><code>{{ uri }}</code></dt><dd>{{ text }}</dd>{% endfor %}</dl>
{% endblock %}
"""


def init_app(app: Flask) -> None:
    """Register the page a browser gets at ``/mcp`` (the front routes everything else there to the endpoint)."""
    app.register_blueprint(bp)


@bp.get("/mcp")
def page() -> Response:
    """What ``/mcp`` is: its tools, its resources and a client configuration."""
    url = public_url("mcp")
    config = json.dumps({"mcpServers": {"genai-kg": {"type": "http", "url": url}}}, indent=2)
    resources = [(ONTOLOGY_URI, RESOURCES["ontology"][1]), (public_url(VOID_PATH), RESOURCES["void"][1])]
    html = render_template_string(PAGE, url=url, config=config, tools=TOOLS, resources=resources)
    return Response(html, mimetype="text/html")


def create(app: Flask) -> MCPEndpoint:
    """The ASGI app to mount at ``/mcp`` for the Flask ``app`` (its query service, configuration and queries)."""
    return MCPEndpoint(app)


class MCPEndpoint:
    """The mounted ASGI app; ``/mcp`` itself is the endpoint.

    The SDK is imported, and its server built, by the first request to ``/mcp``, in a thread (its imports
    build hundreds of pydantic models: about 0.9 s, a third of a server's start when it was built there). That
    request starts the SDK's session manager as a lifespan of its own (its task group), which the front's
    shutdown stops; until then, the front's lifespan has nothing to run here.
    """

    def __init__(self, app: Flask) -> None:
        self.tools = Tools(app)
        self.config: Config = app.config["GENAI_KG"]
        self._built: tuple[MCPServer[Any], Lifespan] | None = None
        self._building = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["path"].rstrip("/") != scope.get("root_path", "").rstrip("/"):
            body = json.dumps({"type": "about:blank", "status": 404, "title": "Not Found", "detail": "see /mcp"})
            head = [(b"content-type", b"application/problem+json"), (b"content-length", b"%d" % len(body))]
            await send({"type": "http.response.start", "status": 404, "headers": head})
            await send({"type": "http.response.body", "body": body.encode()})
            return
        server = await self._server(scope.get("root_path", "/mcp"))
        await server.session_manager.handle_request(scope, receive, send)

    async def _server(self, prefix: str) -> MCPServer[Any]:
        """The SDK's server, built and its session manager started by the first request."""
        async with self._building:
            if self._built is None:
                server, lifespan_app = await asyncio.to_thread(self._build)
                lifespan = Lifespan(prefix, lifespan_app)
                await lifespan.startup()
                self._built = (server, lifespan)
        return self._built[0]

    def _build(self) -> tuple[MCPServer[Any], ASGIApp]:
        server = build_server(self.tools)
        # The Starlette app is kept for its lifespan (the session manager's task group); requests go straight to
        # the session manager, since the front has already matched the path.
        lifespan_app = server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            transport_security=transport_security(self.config),
            max_request_body_size=min(self.config.max_body_bytes, self.config.max_query_length * 6 + 64 * 1024),
        )
        return server, lifespan_app

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """The front's lifespan: nothing to start; at its end, the SDK's session manager if a request started it."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._built is not None:
                    try:
                        await self._built[1].shutdown()
                    except LifespanFailed as failed:
                        log.warning("%s", failed)
                await send({"type": "lifespan.shutdown.complete"})
                return


def transport_security(config: Config) -> TransportSecuritySettings:
    """DNS-rebinding protection: the Host (and any Origin) must be this machine's loopback names, the address
    the server listens on, or the configured public URL's host."""
    from mcp.server.transport_security import TransportSecuritySettings

    hosts = ["127.0.0.1", "localhost", "[::1]", "127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1", "http://localhost", "http://[::1]", "http://127.0.0.1:*", "http://localhost:*"]
    origins.append("http://[::1]:*")
    if config.host not in ("0.0.0.0", "::", "", "127.0.0.1", "localhost", "::1"):
        host = f"[{config.host}]" if ":" in config.host else config.host
        hosts.append(f"{host}:{config.port}")
        origins.append(f"http://{host}:{config.port}")
    if config.base_url:
        public = urlsplit(config.base_url)
        hosts.append(public.netloc)
        origins.append(f"{public.scheme}://{public.netloc}")
        if public.port is None:  # a Host header may name the default port
            hosts.append(f"{public.netloc}:{443 if public.scheme == 'https' else 80}")
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


class Tools:
    """What the tools do, over one app's query service: each method returns text, or raises the
    :class:`~graph.errors.GraphError` the REST API would answer with a 4xx or 5xx."""

    def __init__(self, app: Flask) -> None:
        self.config: Config = app.config["GENAI_KG"]
        self.service = app.extensions[SERVICE]
        self.queries: dict[str, NamedQuery] = app.extensions[QUERIES]
        host = "127.0.0.1" if self.config.host in ("0.0.0.0", "::", "") else self.config.host
        host = f"[{host}]" if ":" in host else host
        self.site = (self.config.base_url or f"http://{host}:{self.config.port}").rstrip("/") + "/"

    # -- querying -----------------------------------------------------------------------------------

    def sparql_query(self, query: str, limit: int, format: str) -> str:
        if len(query) > self.config.max_query_length:
            raise TooLarge(
                f"the query is {len(query)} characters long; this service accepts at most "
                f"{self.config.max_query_length}"
            )
        form = query_form(query)
        if form is None and top_level_keyword(query, *UPDATE_WORDS):
            raise BadQuery("this endpoint is read-only: SPARQL updates (INSERT, DELETE, LOAD, …) are refused")
        check_sparql(query, self.config.input_limits(), what="query")
        self.config.outbound().check_sparql(query, PREFIXES)
        work = QueryRequest(query, formats=_formats(form == "ASK"), base_iri=self.site + "sparql")
        return self._answer(work, limit, format)

    def run_named_query(self, name: str, parameters: dict[str, str], limit: int, format: str) -> str:
        query = named_queries.get(self.queries, name)
        if len(parameters) > MAX_PARAMS:
            raise BadParameter("parameters", f"{len(parameters)} given; {name} takes {len(query.params)}")
        for key, value in parameters.items():
            if len(value) > MAX_VALUE:
                raise BadParameter(key, f"{len(value)} characters long; at most {MAX_VALUE}")
        sparql, substitutions = query.prepare(parameters, self.config.outbound())  # SERVICE endpoints checked
        work = QueryRequest(sparql, formats=_formats(query.kind == "ask"), substitutions=substitutions)
        return self._answer(work, limit, format)

    def list_named_queries(self) -> str:
        listed = [query_header(q) for q in sorted(self.queries.values(), key=lambda q: q.name)]
        return _json({"queries": listed})

    def _answer(self, work: QueryRequest, limit: int, format: str) -> str:
        """Run a query and give its answer as text: at most ``limit`` rows and :data:`MAX_TEXT` characters,
        with a note when rows were left out."""
        if not 1 <= limit <= MAX_ROWS:
            raise BadParameter("limit", f"must be from 1 to {MAX_ROWS}, not {limit}")
        if format not in ("json", "csv"):
            raise BadParameter("format", f"must be json or csv, not {format!r}")
        answer: Answer = self.service.run(work)
        wanted = {TSV: limit + 1, N_TRIPLES: limit}.get(answer.media_type or "", MAX_ROWS)  # TSV has a header
        lines, more = _read_lines(answer, wanted)
        if answer.media_type == JSON:  # ASK
            return _json({"boolean": json.loads(b"".join(lines))["boolean"]})
        if answer.media_type == N_TRIPLES:
            kept = _fit(lines)
            text, shown = _turtle(_parse_triples(lines[:kept])), kept
            truncated = more or kept < len(lines)
        else:
            solutions = parse_query_results(b"".join(lines) or b"\n", format=QueryResultsFormat.TSV)
            if isinstance(solutions, QueryBoolean):  # an ASK the lexer did not tell: TSV says true or false
                return _json({"boolean": bool(solutions)})
            columns, rows = _solutions(solutions)
            shown = _fit([_json(row).encode() for row in rows])
            truncated = more or shown < len(rows)
            text = _table(columns, rows[:shown], format, _note(shown) if truncated else None)
        if truncated and answer.media_type == N_TRIPLES:
            text += f"\n# {_note(shown)}\n"
        return text

    # -- resources of the graph ---------------------------------------------------------------------

    def describe(self, iri: str) -> str:
        full = _iri(iri, "iri")
        triples = self.service.value(Call(describe.document, (full,)))
        if triples is None:
            raise NotFound(f"nothing is known about <{full}>")
        text, cut = _cut(_turtle(triples))
        return text + (f"\n# truncated at {MAX_TEXT} characters; see {self.site}sparql for the rest" if cut else "")

    def search(self, text: str, limit: int) -> str:
        text = text.strip()
        if not text or len(text) > MAX_SEARCH:
            raise BadParameter("text", f"must be 1 to {MAX_SEARCH} characters")
        if not 1 <= limit <= MAX_SEARCH_RESULTS:
            raise BadParameter("limit", f"must be from 1 to {MAX_SEARCH_RESULTS}, not {limit}")
        found = self.service.value(Call(search.search, (text,)))
        return _json({"results": [{"id": compact(node.value), "label": name} for node, name in found[:limit]]})

    def explain(self, iri: str, class_iri: str) -> str:
        work = Call(inference.is_a, (_iri(iri, "iri"), _iri(class_iri, "class_iri")), kind="infer")
        data = self.service.value(work, cached=True)
        return _json({**data, "iri": compact(data["iri"]), "class": compact(data["class"])})

    def ontology(self) -> str:
        return _turtle(self.service.value(Call(ontology_triples), cached=True))

    def void(self) -> str:
        stats = self.service.value(Call(statistics, kind="stats"), cached=True)
        return _turtle(void_triples(stats, site=self.site))


def build_server(tools: Tools) -> MCPServer[Any]:
    """The MCP server: its tools and resources, each a thin wrapper of :class:`Tools`."""
    from mcp.server.mcpserver import MCPServer
    from mcp_types import ToolAnnotations

    read_only = ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )
    server: MCPServer[Any] = MCPServer(
        "genai-kg",
        title="genai-kg: a knowledge graph about generative AI",
        instructions=(
            "A knowledge graph of generative-AI models, their organisations, modalities and architectures, with "
            "an OWL 2 RL reasoner. Search by label to find identifiers (gaid:… for resources, gai:… for "
            "classes and properties), describe them, ask SPARQL (read-only; prefixes gai:, gaid:, rdfs:, skos: "
            "and the usual ones are predeclared) or run the named queries. Results are capped: ask for what "
            "you need."
        ),
        website_url=tools.site,
        log_level="WARNING",
    )

    @server.tool(description=TOOLS["sparql_query"], annotations=read_only, structured_output=False)
    def sparql_query(query: str, limit: int = DEFAULT_ROWS, format: str = "json") -> str:
        return _tool(lambda: tools.sparql_query(query, limit, format))

    @server.tool(description=TOOLS["describe"], annotations=read_only, structured_output=False)
    def describe(iri: str) -> str:
        return _tool(lambda: tools.describe(iri))

    @server.tool(description=TOOLS["search"], annotations=read_only, structured_output=False)
    def search(text: str, limit: int = 20) -> str:
        return _tool(lambda: tools.search(text, limit))

    @server.tool(description=TOOLS["explain"], annotations=read_only, structured_output=False)
    def explain(iri: str, class_iri: str) -> str:
        return _tool(lambda: tools.explain(iri, class_iri))

    @server.tool(description=TOOLS["list_named_queries"], annotations=read_only, structured_output=False)
    def list_named_queries() -> str:
        return _tool(tools.list_named_queries)

    @server.tool(description=TOOLS["run_named_query"], annotations=read_only, structured_output=False)
    def run_named_query(
        name: str, parameters: dict[str, str] | None = None, limit: int = DEFAULT_ROWS, format: str = "json"
    ) -> str:
        return _tool(lambda: tools.run_named_query(name, parameters or {}, limit, format))

    @server.resource(
        ONTOLOGY_URI,
        name="ontology",
        title=RESOURCES["ontology"][0],
        description=RESOURCES["ontology"][1],
        mime_type="text/turtle",
    )
    def ontology() -> str:
        return _resource(tools.ontology)

    @server.resource(
        tools.site.rstrip("/") + VOID_PATH,
        name="void",
        title=RESOURCES["void"][0],
        description=RESOURCES["void"][1],
        mime_type="text/turtle",
    )
    def void() -> str:
        return _resource(tools.void)

    return server


def _tool(work: Callable[[], str]) -> str:
    """Run a tool's work: the service's refusals and failures become tool errors with their message."""
    from mcp.server.mcpserver.exceptions import ToolError

    try:
        return work()
    except GraphError as error:
        raise ToolError(str(error)) from None


def _resource(work: Callable[[], str]) -> str:
    from mcp.server.mcpserver.exceptions import ResourceError

    try:
        return work()
    except GraphError as error:
        raise ResourceError(str(error)) from None


def _formats(ask: bool) -> Formats:
    """Line-based formats, so that an answer can be cut between rows: TSV for solutions (JSON for a boolean,
    which TSV cannot say), N-Triples for graphs."""
    return Formats(results_type=JSON if ask else TSV, graph_type=N_TRIPLES)


def _read_lines(answer: Answer, wanted: int) -> tuple[list[bytes], bool]:
    """Whole lines of the answer: the header line (TSV) and ``wanted`` more at most, read under
    :data:`MAX_READ` bytes; and whether the answer had more. The work is closed when not read to its end."""
    chunks: Iterator[bytes] = answer.chunks
    lines: list[bytes] = []
    pending = b""
    read = 0
    more = False
    try:
        for chunk in chunks:
            read += len(chunk)
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            lines.extend(parts)
            if len(lines) > wanted or read > MAX_READ:
                more = True
                break
        else:
            if pending:
                lines.append(pending)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    if len(lines) > wanted:
        del lines[wanted:]
        more = True
    return [line + b"\n" for line in lines if line], more


def _solutions(solutions: QuerySolutions) -> tuple[list[str], list[list[str | None]]]:
    """Solutions read from TSV lines: the columns and the rows' values as an agent reads them."""
    return [v.value for v in solutions.variables], [[_value(term) for term in solution] for solution in solutions]


def _table(columns: list[str], rows: list[list[str | None]], format: str, note: str | None) -> str:
    """Rows as compact JSON (``columns``, ``rows``, and ``truncated`` with a ``note``) or CSV (the note on a
    last line that starts with ``#``)."""
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return out.getvalue() + (f"# {note}\n" if note else "")
    data: dict[str, Any] = {"columns": columns, "rows": rows}
    if note:
        data |= {"truncated": True, "note": note}
    return _json(data)


def _note(shown: int) -> str:
    return (
        f"truncated: only the first {shown} results are shown (ask for up to {MAX_ROWS} with limit, within "
        f"{MAX_TEXT} characters; or narrow the query: LIMIT/OFFSET, fewer variables, FILTER)"
    )


def _fit(items: list[bytes]) -> int:
    """How many of the first ``items`` fit in :data:`MAX_TEXT` (less room for the framing and the note)."""
    room = MAX_TEXT - 1024
    for count, item in enumerate(items):
        room -= len(item) + 1
        if room < 0:
            return count
    return len(items)


def _parse_triples(lines: list[bytes]) -> list[Any]:
    return [quad.triple for quad in parse(b"".join(lines), format=RdfFormat.N_TRIPLES)]


def _value(term: object) -> str | None:
    """A term as an agent reads it: IRIs as prefix:Local where a prefix fits, literals as their text (with
    ``@lang``, or ``^^type`` unless it is a string or a number), blank nodes as ``_:id``."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return compact(term.value)
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal):
        if term.language:
            return f"{term.value}@{term.language}"
        datatype = term.datatype.value
        if datatype == XSD_STRING or datatype.removeprefix(PREFIXES["xsd"]) in ("integer", "decimal", "double"):
            return term.value
        return f"{term.value}^^{compact(datatype)}"
    return str(term)


def _turtle(triples: list[Any]) -> str:
    body = serialize(triples, format=RdfFormat.TURTLE, prefixes=safe_prefixes(triples))
    assert body is not None
    return body.decode()


def _iri(name: str, field: str) -> str:
    """The full IRI of ``name`` (a full IRI or ``prefix:Local``), checked: :class:`BadParameter` otherwise."""
    name = name.strip()
    if not name or len(name) > MAX_IRI:
        raise BadParameter(field, f"must be an IRI or prefix:Local of 1 to {MAX_IRI} characters")
    full = expand(name)
    try:
        NamedNode(full)
    except ValueError:
        raise BadParameter(field, f"{name!r} is not an IRI (give a full IRI or prefix:Local)") from None
    if ":" not in full:
        raise BadParameter(field, f"{name!r} is not an IRI (give a full IRI or prefix:Local)")
    return full


def _cut(text: str) -> tuple[str, bool]:
    return (text, False) if len(text) <= MAX_TEXT else (text[:MAX_TEXT], True)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
