"""The application factory: ``create_app(config)`` builds the whole service around one knowledge graph."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from graph import KnowledgeGraph, open_knowledge_graph
from graph.builds import Builds, engine_folder
from graph.querying.service import service_for
from graph.querying.snapshots import scratch_directory

from . import (
    caching,
    errors,
    graph_store,
    inference,
    mcp,
    openapi,
    ops,
    pages,
    queries,
    reconcile,
    security,
    sparql,
    void,
)
from .config import Config
from .context import GRAPH, SERVICE


def create_app(config: Config | None = None, *, kg: KnowledgeGraph | None = None) -> Flask:
    """Build the Flask app; ``config`` defaults to the ``GENAI_KG_*`` environment, ``kg`` to its store."""
    config = config or Config.from_env()
    app = Flask(__name__)
    app.config["GENAI_KG"] = config
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    memory = False
    endpoints = config.endpoints()
    if kg is None and endpoints is not None:
        kg = open_knowledge_graph(
            read_only=config.read_only, endpoints=endpoints, timeout=config.query_timeout, bulk=config.bulk_thresholds()
        )
    elif kg is None:
        store, memory = config.store, config.store is None
        if memory and config.query_workers:
            store = scratch_directory()  # worker processes read files: --memory uses a folder removed at exit
        kg = open_knowledge_graph(store, read_only=config.read_only and not memory, bulk=config.bulk_thresholds())
    if config.builds_folder is not None:
        kg.builds = Builds(config.builds_folder)
    elif endpoints is not None:
        kg.builds = Builds(engine_folder(endpoints.query))
    app.extensions[GRAPH] = kg
    app.extensions[SERVICE] = service_for(
        kg,
        workers=config.query_workers,
        max_queries=config.max_queries,
        max_per_client=config.max_client_queries,
        timeout=config.query_timeout,
        memory=config.query_memory and config.query_memory * 2**20,
    )
    if memory and config.read_only:
        kg.read_only = True  # --memory --read-only: the shipped graph is loaded (and snapshotted); writes refused
    errors.init_app(app)
    security.init_app(app)
    ops.init_app(app)
    caching.init_app(app)
    CORS(
        app,
        origins=list(config.cors_origins),
        allow_headers="*",  # reflect what a preflight asks for: Authorization, Content-Type, Accept, …
        expose_headers=["Location", "Link", "Content-Location", "WWW-Authenticate", "Retry-After"],
    )
    security.reuse_cors_without_origin(app)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(graph_store.bp)
    inference.init_app(app)
    queries.init_app(app)
    openapi.init_app(app)
    pages.init_app(app)
    void.init_app(app)
    mcp.init_app(app)
    app.register_blueprint(reconcile.bp)
    return app
