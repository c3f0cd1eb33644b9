"""Reading work: what one request asks of the store, as one picklable value with one ``run()``.

Every kind of reading a request can cause — a SPARQL query, a named query, a page, a Graph Store read, a
dump, an inference question, the planning of an update — is a *work*: a frozen dataclass whose fields say
what to read and how to write it, and whose :meth:`Work.run` does it against a knowledge graph. The query
service (:mod:`.service`) runs it within the request's budget where it can be stopped: in a worker
process over a snapshot, against the remote engine, or in the calling thread. A work either streams a
body (it calls :meth:`Output.start` with the body's media type, then writes) or returns a value; both
cross the process boundary whole (pickled), so ``go to definition`` works on either side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pyoxigraph import QueryResultsFormat, RdfFormat

from .. import results
from ..builds import read_by
from ..errors import BadQuery, NotAcceptable
from ..outbound import remote_failure
from ..store import GRAPH_RESULTS, KnowledgeGraph, QueryResult, Term


class Output(Protocol):
    """Where a streaming work writes its body."""

    def start(self, media_type: str) -> None:
        """Say the body's media type; called once, before the first write."""
        ...

    def write(self, data: bytes) -> int: ...


class Work(Protocol):
    """Reading work the query service can run anywhere; see the module's docstring."""

    #: The kind of work, for statistics and logs: ``query``, ``page``, ``graph``, ``infer``, ``update``, …
    @property
    def kind(self) -> str: ...

    #: Whether the service's time budget applies (see :class:`Stream`).
    @property
    def budgeted(self) -> bool: ...

    #: The whole-graph index the work reads (a :meth:`~graph.store.KnowledgeGraph.cached` key), if any: a
    #: worker that built it for the store's generation is preferred, and waited for while it builds it.
    @property
    def index(self) -> str | None: ...

    def run(self, kg: KnowledgeGraph, output: Output) -> Any:
        """Read what is asked of ``kg``: stream a body to ``output`` (``start`` it first) or return a value."""
        ...


@dataclass
class Answer:
    """What running a work gave: a streamed body (its media type and chunks) or a value."""

    media_type: str | None = None
    chunks: Iterator[bytes] = field(default_factory=lambda: iter(()))
    value: Any = None

    def body(self) -> bytes:
        """The whole streamed body (for callers that need it at once: tables in pages, tests)."""
        return b"".join(self.chunks)


@dataclass(frozen=True)
class Formats:
    """The format to write each kind of result in; None where the client accepts none of ours.

    Kept as media types (pyoxigraph's format objects do not pickle); :meth:`of` makes one from formats.
    """

    results_type: str | None = QueryResultsFormat.JSON.media_type
    graph_type: str | None = RdfFormat.N_TRIPLES.media_type

    @classmethod
    def of(cls, results: QueryResultsFormat | None, graph: RdfFormat | None) -> Formats:
        return cls(results.media_type if results else None, graph.media_type if graph else None)

    @property
    def results(self) -> QueryResultsFormat | None:
        return QueryResultsFormat.from_media_type(self.results_type) if self.results_type else None

    @property
    def graph(self) -> RdfFormat | None:
        return RdfFormat.from_media_type(self.graph_type) if self.graph_type else None

    def pick(self, result: QueryResult) -> QueryResultsFormat | RdfFormat:
        """The format for this result's kind, or :class:`NotAcceptable` when the client accepts none."""
        return self.for_kind(graph=isinstance(result, GRAPH_RESULTS))

    def for_kind(self, *, graph: bool) -> QueryResultsFormat | RdfFormat:
        """The format for an RDF graph (``graph``) or for SPARQL results, or :class:`NotAcceptable` when the
        client accepts none of them."""
        chosen = self.graph if graph else self.results
        if chosen is None:
            kind = "an RDF graph" if graph else "SPARQL results"
            raise NotAcceptable(f"this query produces {kind}, and the Accept header allows none of their formats")
        return chosen


@dataclass(frozen=True)
class QueryRequest:
    """A SPARQL query (or a named query with its bound values) and its dataset, as the Protocol describes it."""

    kind: ClassVar[str] = "query"
    budgeted: ClassVar[bool] = True
    index: ClassVar[str | None] = None

    sparql: str
    formats: Formats = Formats()
    infer: bool = True
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    base_iri: str | None = None
    substitutions: tuple[tuple[str, Term], ...] = ()

    def run(self, kg: KnowledgeGraph, output: Output) -> None:
        result = kg.query(
            self.sparql,
            infer=self.infer,
            default_graph_uris=self.default_graph_uris,
            named_graph_uris=self.named_graph_uris,
            substitutions=dict(self.substitutions) or None,
            base_iri=self.base_iri,
        )
        chosen = self.formats.pick(result)
        output.start(chosen.media_type)
        try:
            results.write(result, chosen, output)  # type: ignore[arg-type]
        except BrokenPipeError:  # the output's: nobody is reading any more (the server stopped)
            raise
        except OSError as error:  # a SERVICE call that failed: its remote answer is never shown
            raise BadQuery(remote_failure(error)) from None
        except (ValueError, RuntimeError) as error:  # pyoxigraph evaluates lazily, while it serialises
            raise BadQuery(f"the query could not be evaluated: {error}") from error


@dataclass(frozen=True)
class Call:
    """A reading function of ``graph`` called on the knowledge graph: ``function(kg, *args)``, its value returned.

    The function is a module-level function (it pickles by name, and ``go to definition`` finds it from the
    call site); ``args`` must pickle too. Equal calls are equal values, so a service can cache their answers
    for as long as the store's generation holds.
    """

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kind: str = "page"
    budgeted: ClassVar[bool] = True

    @property
    def index(self) -> str | None:
        """The whole-graph build the function is marked as reading (:func:`graph.builds.reads`; see :class:`Work`)."""
        return read_by(self.function)

    def run(self, kg: KnowledgeGraph, output: Output) -> Any:
        return self.function(kg, *self.args)


@dataclass(frozen=True)
class Stream:
    """A function of ``graph`` that writes a body: ``function(kg, output, *args)`` starts ``output`` and writes.

    ``budgeted`` False is for a body that reads stored quads out once (a dump, a graph of the Graph Store):
    its work grows with the store, not with what the request asks, so the time budget would only cut it
    short on a large store (a Turtle dump of 4M quads was cut at 30 s, 205 MB in). It still takes a worker
    of the long lane past two seconds, and a client that stops reading is dropped after ``--send-timeout``.
    """

    function: Callable[..., None]
    args: tuple[Any, ...] = ()
    kind: str = "graph"
    budgeted: bool = True
    index: ClassVar[str | None] = None

    def run(self, kg: KnowledgeGraph, output: Output) -> None:
        self.function(kg, output, *self.args)


class Buffer:
    """An :class:`Output` that keeps the body in memory (the in-thread runner, tests)."""

    def __init__(self) -> None:
        self.media_type: str | None = None
        self.chunks: list[bytes] = []

    def start(self, media_type: str) -> None:
        self.media_type = media_type

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Serialisers flush; the chunks are kept as they come."""
