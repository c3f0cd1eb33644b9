"""Errors raised by ``graph``; the server maps each to one HTTP status in one place.

GraphError
├── BadRequest            the caller sent something unusable (-> 400)
│   ├── BadQuery          a SPARQL query or update that does not parse
│   ├── BadData           RDF that does not parse (with line and column)
│   ├── BadParameter      a named-query parameter that is missing or ill-typed
│   └── TooLarge          a body, a query or a write over its limit (-> 413)
├── NotFound              no such graph, resource or named query (-> 404)
├── ReadOnly              a write to a store opened read-only, or to the inferred graph (-> 403)
├── QueryTimeout          evaluation ran past its budget and was stopped (-> 503)
├── QueryOutOfMemory      evaluation needed more memory than a query worker may use, and was stopped (-> 503)
├── Unavailable           too many queries at once, or a query worker was lost (-> 503)
├── EngineError           the remote SPARQL engine failed or refused a request (-> 502)
└── Inconsistent          the data violates a disjointness or shape constraint
"""

from __future__ import annotations


class GraphError(Exception):
    """Base of every error ``graph`` raises on purpose."""


class BadRequest(GraphError):
    """The caller's input cannot be used."""


class BadQuery(BadRequest):
    """A SPARQL query or update that does not parse or cannot be evaluated."""


class BadData(BadRequest):
    """RDF that does not parse; ``line`` and ``column`` point at the problem when known."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class BadParameter(BadRequest):
    """A parameter that is missing or does not have the declared type."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"parameter {name!r}: {message}")
        self.name = name


class TooLarge(BadRequest):
    """A request body, query, update or write larger than the service accepts."""


class NotFound(GraphError):
    """The graph, resource or named query asked for does not exist."""


class NotAcceptable(GraphError):
    """The client accepts none of the formats this kind of result can be written in."""


class ReadOnly(GraphError):
    """A write was attempted on a store opened read-only, or into a graph only the reasoner writes."""

    @classmethod
    def reasoners(cls, graph: object) -> ReadOnly:
        """The one refusal of a write into a graph the reasoner owns (the inferred graph), on every path."""
        return cls(f"{graph} is read-only: the inferred graph follows from the asserted graphs; write those")


class QueryTimeout(GraphError):
    """A query ran past its time budget and was stopped."""


class QueryOutOfMemory(GraphError):
    """A work needed more memory than a query worker may use (``--query-memory``) and was stopped; unlike a
    busy service, the same request will fail again."""


class Unavailable(GraphError):
    """The service cannot take this query now (too many at once, or its worker was lost); retrying may work."""


class EngineError(GraphError):
    """The remote SPARQL engine behind this service answered with an error it should not have (-> 502)."""


class Inconsistent(GraphError):
    """The data contradicts the ontology (disjoint classes, violated shapes)."""
