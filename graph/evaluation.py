"""Evaluating a query request into serialised bytes, within a time budget.

An :class:`Evaluator` turns a :class:`QueryRequest` into an :class:`Answer`: the format chosen for the kind
of result the query turned out to produce, and the serialised bytes as an iterator of chunks. The server
only sends what an evaluator yields, so how evaluation is isolated and stopped lives here, not in HTTP code:
:class:`InProcessEvaluator` below, and :class:`graph.workers.WorkerPool`, which runs queries in worker
processes that it kills at the deadline (see ``docs/timeouts.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from pyoxigraph import QueryResultsFormat, RdfFormat

from . import results
from .errors import BadQuery, NotAcceptable
from .outbound import remote_failure
from .store import GRAPH_RESULTS, KnowledgeGraph, Term


@dataclass(frozen=True)
class QueryRequest:
    """A query and its dataset, as the SPARQL Protocol describes it."""

    sparql: str
    infer: bool = True
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    base_iri: str | None = None
    substitutions: tuple[tuple[str, Term], ...] = field(default=())


@dataclass(frozen=True)
class Formats:
    """The format to use for each kind of result; None where the client accepts none of ours."""

    results: QueryResultsFormat | None
    graph: RdfFormat | None


@dataclass
class Answer:
    format: QueryResultsFormat | RdfFormat
    chunks: Iterator[bytes]


class Evaluator(Protocol):
    def evaluate(self, request: QueryRequest, formats: Formats, *, timeout: float | None = None) -> Answer:
        """Evaluate ``request`` within ``timeout`` seconds (None: no limit), chunks included.

        Errors known before the first chunk are raised here (:class:`QueryTimeout` too); past the first
        chunk, iterating ``chunks`` raises, and the server must abort the response rather than end it.
        """
        ...

    def close(self) -> None: ...


def pick_format(result: results.QueryResult, formats: Formats) -> QueryResultsFormat | RdfFormat:
    """The format for this result's kind, or :class:`NotAcceptable` when the client accepts none."""
    chosen = formats.graph if isinstance(result, GRAPH_RESULTS) else formats.results
    if chosen is None:
        kind = "an RDF graph" if isinstance(result, GRAPH_RESULTS) else "SPARQL results"
        raise NotAcceptable(f"this query produces {kind}, and the Accept header allows none of their formats")
    return chosen


class InProcessEvaluator:
    """Evaluates in the calling thread (CLI, tests); it cannot stop a query, so it ignores ``timeout``."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg

    def evaluate(self, request: QueryRequest, formats: Formats, *, timeout: float | None = None) -> Answer:
        result = self.kg.query(
            request.sparql,
            infer=request.infer,
            default_graph_uris=request.default_graph_uris,
            named_graph_uris=request.named_graph_uris,
            substitutions=dict(request.substitutions) or None,
            base_iri=request.base_iri,
        )
        chosen = pick_format(result, formats)
        try:
            body = results.write(result, chosen)
        except OSError as error:  # a SERVICE call that failed: its remote answer is never shown
            raise BadQuery(remote_failure(error)) from None
        except (ValueError, RuntimeError) as error:  # lazy evaluation errors
            raise BadQuery(f"the query could not be evaluated: {error}") from error
        assert body is not None
        return Answer(chosen, iter([body]))

    def close(self) -> None:
        pass
