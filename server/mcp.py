"""``/mcp``: the knowledge graph for LLM agents, as a Model Context Protocol server (streamable HTTP).

Built with the ``mcp`` SDK's ``MCPServer`` and mounted on the HTTP front (``server/front.py``), which
relays its lifespan so that the SDK's session manager has its task group, and leaves a browser's ``GET /mcp``
to the Flask app, where :data:`bp` says what the endpoint is. The SDK is imported by the first request to
``/mcp`` (:class:`MCPEndpoint`), never at a server's start nor by the command line's other commands. It offers

- tools: ``sparql_query`` (read-only, budgeted, capped), ``describe``, ``search``, ``explain`` (is-a with its
  steps), ``list_named_queries`` and ``run_named_query`` (typed parameters, bound as the REST API binds them);
- resources: the ontology and the VoID description, in Turtle.

This module is the protocol's side: the endpoint, its page, the SDK's server and the tools' signatures. What the
tools do is :class:`~server.mcp_tools.Tools`. Nothing writes: a query runs as ``QueryRequest`` work, which can
only read, through the app's query service (admission, budget, workers), as a request's does; the handlers run
outside Flask's request context, so the service, the configuration and the named queries come from the app
given to :func:`create`. Inputs are bounded; a refused input, a missing resource or a query past its budget is
a tool error (``isError``) with the service's message. ``docs/mcp.md`` is the user's guide.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, render_template_string

from graph.errors import GraphError
from graph.namespaces import ONTOLOGY_IRI

from .asgi import ASGIApp, Lifespan, LifespanFailed, Receive, Scope, Send
from .config import Config
from .context import public_url
from .mcp_tools import DEFAULT_ROWS, Tools

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings


log = logging.getLogger(__name__)

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
