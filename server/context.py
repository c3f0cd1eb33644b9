"""The one way views reach the app's resources, and the one way to say where the service is on the web.

``create_app`` puts the knowledge graph, the query service and the named queries on the app
(``app.extensions``); views reach them through the accessors below. Public URLs come from
``Config.base_url`` when it is configured, else from the request's own root.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from flask import current_app, request
from jinja2 import TemplateNotFound
from werkzeug.sansio.utils import get_current_url

from graph import KnowledgeGraph
from graph.named_queries import NamedQuery

from .config import Config

if TYPE_CHECKING:
    from graph.querying.service import QueryService

GRAPH = "genai_kg"
SERVICE = "genai_kg_service"
QUERIES = "genai_kg_named_queries"


def get_config() -> Config:
    config: Config = current_app.config["GENAI_KG"]
    return config


def get_graph() -> KnowledgeGraph:
    """The knowledge graph of the app handling the current request."""
    kg: KnowledgeGraph = current_app.extensions[GRAPH]
    return kg


def get_service() -> QueryService:
    """The query service: it runs every request's reading work within the request's budget."""
    service: QueryService = current_app.extensions[SERVICE]
    return service


def page_layout(fallback: str) -> str:
    """The template a page extends: the site's ``base.html`` when the pages blueprint provides one, else
    ``fallback`` (a blueprint's own small layout, for an app built without the pages)."""
    try:
        current_app.jinja_env.get_template("base.html")
    except TemplateNotFound:
        return fallback
    return "base.html"


def get_queries() -> dict[str, NamedQuery]:
    """The named queries, by name."""
    queries: dict[str, NamedQuery] = current_app.extensions[QUERIES]
    return queries


def public_url(path: str = "") -> str:
    """The absolute public URL of ``path`` (relative to the app's root): under ``Config.base_url`` when it is
    configured, else under the root this request came to (scheme, host and any script root of a proxy)."""
    base = get_config().base_url or _root(request.scheme, request.host, request.root_path)
    return base.rstrip("/") + "/" + path.lstrip("/")


@functools.lru_cache(maxsize=64)
def _root(scheme: str, host: str, root_path: str) -> str:
    """``request.url_root``, built once per scheme, host and script root rather than once per request (it
    decodes the URL as an IRI: a tenth of a small query's cost)."""
    return get_current_url(scheme, host, root_path)


def link(path: str) -> str:
    """What an HTML link to ``path`` (relative to the app's root) says: absolute under the configured base
    URL, else a path on this host — never built from the request's Host header, which a client chooses."""
    base = get_config().base_url
    if base:
        return base.rstrip("/") + "/" + path.lstrip("/")
    return request.script_root + "/" + path.lstrip("/")
