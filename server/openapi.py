"""The OpenAPI 3.1 description of the service at ``/openapi.json``, and ``/api``, a page that documents and tries it.

Every named query is an operation (GET with a query string, POST with a form) built from its header; the
fixed endpoints are described briefly, and only those this app actually serves.
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template

from graph.binding import Param
from graph.named_queries import NamedQuery

from .context import get_queries, public_url
from .negotiation import GRAPH_TYPES
from .sparql import RESULT_TYPES

bp = Blueprint("openapi", __name__)

PROBLEM = {"$ref": "#/components/responses/Problem"}
SCHEMAS: dict[str, dict[str, Any]] = {
    "iri": {"type": "string", "pattern": r"^[^\s<>\"{}|^`\\]+$"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
    "langString": {"type": "string", "pattern": r"^[\s\S]*@[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
}
TYPE_NOTES = {
    "iri": "An absolute IRI or prefix:Local (gai:, gaid:, wd:, skos:, …).",
    "langString": "Text with a language tag: text@en.",
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/openapi.json")
def document() -> Response:
    return jsonify(build(get_queries(), current_app, public_url().rstrip("/")))


@bp.get("/api")
def api() -> Response:
    """Swagger UI, vendored: no CDN, no validator badge; the site's policy lets the page call only this site."""
    return Response(render_template("api.html"), mimetype="text/html")


def build(queries: dict[str, NamedQuery], app: Flask, server: str) -> dict[str, Any]:
    """The whole OpenAPI document: named queries first, then the fixed endpoints the app serves."""
    paths: dict[str, Any] = {}
    for name in sorted(queries):
        paths[f"/queries/{name}"] = _query_path(queries[name])
    paths.update(_fixed_paths(app))
    try:
        version = metadata.version("genai-kg")
    except metadata.PackageNotFoundError:
        version = "0"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "genai-kg",
            "version": version,
            "summary": "A knowledge graph about generative AI: named queries, SPARQL, linked data and inference.",
            "description": (
                "Named queries are SPARQL files with typed parameters; values are bound as RDF terms, never "
                "pasted into the query. Results follow content negotiation (Accept) as on /sparql."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": server}],
        "tags": [
            {"name": "named queries", "description": "queries/*.rq as REST endpoints"},
            {"name": "sparql", "description": "SPARQL 1.1 Protocol and Graph Store"},
            {"name": "linked data", "description": "pages of resources and ontology terms"},
            {"name": "inference", "description": "the inference API"},
            {"name": "reconciliation", "description": "the Reconciliation Service API 0.2 (OpenRefine)"},
            {"name": "operations", "description": "health and metrics"},
        ],
        "paths": paths,
        "components": {
            "responses": {
                "Problem": {
                    "description": "A bad parameter or query, in RFC 9457 problem details (or plain text)",
                    "content": {
                        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
                        "text/plain": {"schema": {"type": "string"}},
                    },
                }
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "status": {"type": "integer"},
                        "title": {"type": "string"},
                        "detail": {"type": "string"},
                    },
                }
            },
        },
    }


def _schema(param: Param) -> dict[str, Any]:
    schema = dict(SCHEMAS[param.type])
    if param.enum:
        schema["enum"] = [_typed(param, choice) for choice in param.enum]
    if param.default is not None:
        schema["default"] = _typed(param, param.default)
    return schema


def _typed(param: Param, value: str) -> Any:
    """A header value as the JSON value its schema type expects."""
    if param.type == "integer":
        return int(value)
    if param.type == "decimal":
        return float(value)
    if param.type == "boolean":
        return value in ("true", "1")
    return value


def _parameter(param: Param) -> dict[str, Any]:
    description = " ".join(part for part in (param.description, TYPE_NOTES.get(param.type, "")) if part)
    spec: dict[str, Any] = {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": description or param.type,
        "schema": _schema(param),
    }
    if param.example is not None:
        spec["example"] = _typed(param, param.example)
    return spec


def _results(kind: str) -> dict[str, Any]:
    types = GRAPH_TYPES if kind == "graph" else RESULT_TYPES
    content = {media: {"schema": {"type": "object" if "json" in media else "string"}} for media in types}
    content["text/html"] = {"schema": {"type": "string"}}
    return {
        "200": {"description": "the query's results, in the format the Accept header chooses", "content": content},
        "400": PROBLEM,
        "406": {"description": "the Accept header allows none of the formats of this kind of result"},
    }


def _operation_id(name: str, method: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", name)
    return method + "".join(word[:1].upper() + word[1:] for word in words if word)


def _query_path(query: NamedQuery) -> dict[str, Any]:
    tags = f"\n\nTags: {', '.join(query.tags)}." if query.tags else ""
    description = f"{query.description}{tags}\n\nThe SPARQL: /queries/{query.name}.rq".strip()
    common = {"summary": query.title, "description": description, "tags": ["named queries"]}
    form = {
        "type": "object",
        "properties": {p.name: _schema(p) for p in query.params},
        "required": [p.name for p in query.params if p.required],
    }
    return {
        "get": {
            **common,
            "operationId": _operation_id(query.name, "get"),
            "parameters": [_parameter(p) for p in query.params],
            "responses": _results(query.kind),
        },
        "post": {
            **common,
            "operationId": _operation_id(query.name, "post"),
            "requestBody": {"required": False, "content": {"application/x-www-form-urlencoded": {"schema": form}}},
            "responses": {**_results(query.kind), "415": {"description": "the body is not a form"}},
        },
    }


def _path_parameter(name: str, example: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "example": example}


def _query_parameter(name: str, description: str, example: str | None = None, **schema: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "string", **schema},
    }
    if example is not None:
        spec["example"] = example
    return spec


#: A request body of RDF, in any of the types the Graph Store and classification read.
RDF_BODY = {"content": {media: {"schema": {"type": "string"}} for media in GRAPH_TYPES}}

#: The query parameters of the inference API's views, by endpoint.
INFER_PARAMETERS = {
    "inference.types": ("iri",),
    "inference.is_a": ("iri", "class"),
    "inference.explain_triple": ("subject", "predicate", "object"),
    "inference.superclasses": ("class",),
    "inference.subclasses": ("class",),
    "inference.consistency": ("shacl",),
}
INFER_EXAMPLES = {"iri": "gaid:ChatGPT", "class": "gai:GenerativeAI", "subject": "gaid:ChatGPT", "shacl": "false"}
INFER_NOTES = {"shacl": "false skips the SHACL shapes"}

RDF_PAGE = {
    "200": {
        "description": "the resource, content-negotiated",
        "content": {media: {"schema": {"type": "string"}} for media in ["text/html", *GRAPH_TYPES[:4]]},
    },
    "404": {"description": "no such resource"},
}

#: The Reconciliation Service API 0.2 (server/reconcile.py; docs/reconciliation.md).
RECONCILE_JSON = {"application/json": {"schema": {"type": "object"}}}
RECONCILE_CALLBACK = _query_parameter(
    "callback", "JSONP: the answer wrapped in a call of this function (GET only)", pattern=r"^[A-Za-z_$][\w$.]*$"
)
RECONCILE_SUGGEST = [
    _query_parameter("prefix", "What the user typed so far", "dall", maxLength=200),
    _query_parameter("cursor", "Suggestions to skip", "0", pattern="^[0-9]+$"),
    _query_parameter("limit", "Suggestions at most (50)", "10", pattern="^[0-9]+$"),
    RECONCILE_CALLBACK,
]
RECONCILE_ANSWERS = {"200": {"description": "JSON", "content": RECONCILE_JSON}, "400": PROBLEM, "413": PROBLEM}
RECONCILE: dict[str, tuple[str, dict[str, Any]]] = {
    "/reconcile": (
        "/reconcile",
        {
            "get": {
                "tags": ["reconciliation"],
                "summary": "The service manifest; with queries= a reconciliation batch, with extend= a data extension",
                "operationId": "reconcile",
                "parameters": [
                    _query_parameter(
                        "queries",
                        "A reconciliation query batch (JSON)",
                        '{"q0": {"query": "DALL-E 3", "type": "AIModel"}}',
                    ),
                    _query_parameter("extend", "A data extension query (JSON)"),
                    RECONCILE_CALLBACK,
                ],
                "responses": RECONCILE_ANSWERS,
            },
            "post": {
                "tags": ["reconciliation"],
                "summary": "A reconciliation batch (queries=) or a data extension (extend=), as a form",
                "operationId": "reconcilePost",
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"queries": {"type": "string"}, "extend": {"type": "string"}},
                            }
                        }
                    }
                },
                "responses": RECONCILE_ANSWERS,
            },
        },
    ),
    **{
        f"/reconcile/suggest/{kind}": (
            f"/reconcile/suggest/{kind}",
            {
                "get": {
                    "tags": ["reconciliation"],
                    "summary": f"Suggest {plural} whose name contains the prefix",
                    "operationId": f"reconcileSuggest{kind.capitalize()}",
                    "parameters": RECONCILE_SUGGEST,
                    "responses": RECONCILE_ANSWERS,
                }
            },
        )
        for kind, plural in (("entity", "entities"), ("type", "types"), ("property", "properties"))
    },
    "/reconcile/properties": (
        "/reconcile/properties",
        {
            "get": {
                "tags": ["reconciliation"],
                "summary": "Properties to fetch by data extension for members of a type",
                "operationId": "reconcileProperties",
                "parameters": [
                    _query_parameter("type", "A class of the ontology (none: any entity)", "AIModel", maxLength=200),
                    _query_parameter("limit", "Properties at most (200)", "10", pattern="^[0-9]+$"),
                    RECONCILE_CALLBACK,
                ],
                "responses": RECONCILE_ANSWERS,
            }
        },
    ),
    "/reconcile/preview": (
        "/reconcile/preview",
        {
            "get": {
                "tags": ["reconciliation"],
                "summary": "A small HTML preview of an entity (for a frame in OpenRefine)",
                "operationId": "reconcilePreview",
                "parameters": [
                    {**_query_parameter("id", "An entity's id", "DALL-E_3", maxLength=200), "required": True}
                ],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}},
                    "400": PROBLEM,
                    "404": {"description": "no such entity"},
                },
            }
        },
    ),
}

#: The fixed endpoints, by Flask rule; a rule the app does not serve is left out of the document.
FIXED: dict[str, tuple[str, dict[str, Any]]] = {
    "/sparql": (
        "/sparql",
        {
            "get": {
                "tags": ["sparql"],
                "summary": "SPARQL 1.1 query (Protocol)",
                "operationId": "sparqlQuery",
                "parameters": [
                    _query_parameter("query", "A SPARQL 1.1 query", "ASK { ?s ?p ?o }"),
                    _query_parameter("infer", "Include the inferred graph (default true)", "true"),
                    _query_parameter("default-graph-uri", "A graph for the default graph"),
                    _query_parameter("named-graph-uri", "A graph usable with GRAPH"),
                ],
                "responses": {"200": {"description": "results or the service description"}, "400": PROBLEM},
            },
            "post": {
                "tags": ["sparql"],
                "summary": "SPARQL 1.1 query or update (Protocol); updates need a bearer token",
                "operationId": "sparqlPost",
                "requestBody": {
                    "content": {
                        "application/sparql-query": {"schema": {"type": "string"}},
                        "application/sparql-update": {"schema": {"type": "string"}},
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"query": {"type": "string"}, "update": {"type": "string"}},
                            }
                        },
                    }
                },
                "responses": {"200": {"description": "results"}, "204": {"description": "updated"}, "400": PROBLEM},
            },
        },
    ),
    "/store": (
        "/store",
        {
            method: {
                "tags": ["sparql"],
                "summary": f"Graph Store Protocol {method.upper()} (?default or ?graph=IRI)"
                + ("" if method == "get" else "; needs a bearer token"),
                "operationId": f"store{method.capitalize()}",
                "parameters": [
                    _query_parameter("graph", "The named graph's IRI", "https://w3id.org/genai-kg/graph/data"),
                    _query_parameter("default", "The default graph (give it empty)"),
                ],
                **({"requestBody": RDF_BODY} if method in ("put", "post") else {}),
                "responses": {"200": {"description": "the graph"}, "400": PROBLEM, "404": {"description": "none"}},
            }
            for method in ("get", "put", "post", "delete")
        },
    ),
    "/id/<name>": (
        "/id/{name}",
        {
            "get": {
                "tags": ["linked data"],
                "summary": "The page of https://w3id.org/genai-kg/id/{name}",
                "operationId": "resource",
                "parameters": [_path_parameter("name", "ChatGPT")],
                "responses": RDF_PAGE,
            }
        },
    ),
    "/ontology": (
        "/ontology",
        {
            "get": {
                "tags": ["linked data"],
                "summary": "The ontology https://w3id.org/genai-kg/ontology, content-negotiated",
                "operationId": "ontology",
                "responses": RDF_PAGE,
            }
        },
    ),
    "/ontology/<term>": (
        "/ontology/{term}",
        {
            "get": {
                "tags": ["linked data"],
                "summary": "The page of the ontology term https://w3id.org/genai-kg/ontology#{term}",
                "operationId": "ontologyTerm",
                "parameters": [_path_parameter("term", "LargeLanguageModel")],
                "responses": RDF_PAGE,
            }
        },
    ),
    "/.well-known/void": (
        "/.well-known/void",
        {
            "get": {
                "tags": ["linked data"],
                "summary": "VoID description of the dataset",
                "operationId": "void",
                "responses": RDF_PAGE,
            }
        },
    ),
    "/search": (
        "/search",
        {
            "get": {
                "tags": ["linked data"],
                "summary": "Resources whose label contains ?q=",
                "operationId": "search",
                "parameters": [_query_parameter("q", "Text to look for in labels", "GPT", maxLength=200)],
                "responses": {"200": {"description": "an HTML page"}, "400": PROBLEM},
            }
        },
    ),
    "/matrix": (
        "/matrix",
        {
            "get": {
                "tags": ["linked data"],
                "summary": "Generative AI systems counted by modality and architecture",
                "operationId": "matrix",
                "parameters": [_query_parameter("by", "Which modality", "output", enum=["output", "input", "any"])],
                "responses": {"200": {"description": "an HTML page"}, "400": PROBLEM},
            }
        },
    ),
    "/matrix/models": (
        "/matrix/models",
        {
            "get": {
                "tags": ["linked data"],
                "summary": "The systems of one cell of the matrix",
                "operationId": "matrixModels",
                "parameters": [
                    _query_parameter("modality", "A modality", "gai:ImageModality"),
                    _query_parameter("architecture", "An architecture", "gai:DiffusionArchitecture"),
                    _query_parameter("by", "Which modality", "output", enum=["output", "input", "any"]),
                ],
                "responses": {"200": {"description": "an HTML page"}, "400": PROBLEM},
            }
        },
    ),
    **RECONCILE,
    "/metrics": (
        "/metrics",
        {
            "get": {
                "tags": ["operations"],
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "responses": {
                    "200": {"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}
                },
            }
        },
    ),
    "/health": (
        "/health",
        {
            "get": {
                "tags": ["operations"],
                "summary": "Liveness and readiness",
                "operationId": "health",
                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}},
            }
        },
    ),
}


def _fixed_paths(app: Flask) -> dict[str, Any]:
    """The fixed endpoints this app serves; inference routes are described from their views' docstrings."""
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()}
    paths: dict[str, Any] = {}
    for pattern, (path, item) in FIXED.items():
        if pattern in rules:
            methods = {m.lower() for m in rules[pattern].methods or ()}
            paths[path] = {method: op for method, op in item.items() if method in methods}
    for rule in sorted(rules.values(), key=lambda r: r.rule):
        if not rule.rule.startswith("/infer/") or ".<" in rule.rule:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        view = app.view_functions[rule.endpoint]
        summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        item = {}
        for method in sorted(m.lower() for m in rule.methods or () if m in ("GET", "POST")):
            item[method] = {
                "tags": ["inference"],
                "summary": summary,
                "operationId": _operation_id(rule.endpoint.replace(".", "-"), method),
                "parameters": [_path_parameter(arg, "x") for arg in sorted(rule.arguments)]
                + [
                    _query_parameter(
                        name, INFER_NOTES.get(name, "A full IRI or prefix:Local"), INFER_EXAMPLES.get(name)
                    )
                    for name in INFER_PARAMETERS.get(rule.endpoint, ())
                ],
                "responses": {"200": {"description": "JSON, or HTML for a browser"}, "400": PROBLEM},
            }
            if method == "post":
                item[method]["requestBody"] = RDF_BODY
        paths[path] = item
    return paths
