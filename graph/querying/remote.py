"""The runner for a remote engine: a query's answer streams through, in the format the client chose.

The engine is asked for exactly the media types the client accepts, so its bytes are passed on unparsed and
a large answer costs no memory here. When an engine answers in another format than the one chosen (some
engines lack TSV or JSON-LD), the answer is parsed and written again. At the deadline the request is
abandoned and its connection dropped: the client gets a 503 before the first byte, or a cut transfer after
it. An engine that streams its answer stops there; one busy computing an aggregate may go on (Oxigraph
0.5.13 does, even with ``--timeout-s``), so give the engine its own limits too (``docs/deploy.md``).

Any other work runs in the calling thread against the knowledge graph (which talks to the engine), every
request it makes bounded by the work's deadline (:func:`.deadline.bounded_by`).
"""

from __future__ import annotations

from collections.abc import Iterator

import urllib3
from pyoxigraph import QueryBoolean, QueryResultsFormat, RdfFormat, parse, parse_query_results, serialize
from urllib3.exceptions import HTTPError, ReadTimeoutError

from ..backend import TripleResult
from ..deadline import Deadline, bounded_by
from ..errors import BadQuery, EngineError, NotAcceptable, QueryTimeout, Unavailable
from ..namespaces import PREFIXES
from ..outbound import remote_failure
from ..remote import RemoteBackend, prologue, with_values
from ..results import write
from ..sparql_lexer import called_endpoints, query_form
from ..store import KnowledgeGraph
from .work import Answer, Buffer, QueryRequest, Work

CHUNK = 64 * 1024
#: Formats every engine writes, asked for at a low preference so that a wrong kind of answer still arrives.
_FALLBACK_RESULTS = QueryResultsFormat.JSON
_FALLBACK_GRAPH = RdfFormat.N_TRIPLES


class RemoteRunner:
    """Runs works against the knowledge graph's remote engine."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        if not isinstance(kg.backend, RemoteBackend):
            raise TypeError("a remote runner needs a knowledge graph on a remote engine")
        self.kg = kg
        self.backend: RemoteBackend = kg.backend

    def run(self, work: Work, deadline: Deadline) -> Answer:
        with bounded_by(deadline):
            if isinstance(work, QueryRequest):
                return self._query(work, deadline)
            output = Buffer()
            value = work.run(self.kg, output)
            return Answer(output.media_type, iter(output.chunks), value)

    def stats(self) -> dict[str, int]:
        return {}

    def close(self) -> None:
        pass

    def _query(self, request: QueryRequest, deadline: Deadline) -> Answer:
        formats, timeout = request.formats, deadline.remaining()
        dataset = self.kg.dataset(
            request.sparql,
            infer=request.infer,
            default_graph_uris=request.default_graph_uris,
            named_graph_uris=request.named_graph_uris,
        )
        text = prologue(with_values(request.sparql, dict(request.substitutions)), request.base_iri)
        graph = query_form(request.sparql) in ("CONSTRUCT", "DESCRIBE")
        wanted, fallback = (formats.graph, _FALLBACK_GRAPH) if graph else (formats.results, _FALLBACK_RESULTS)
        # the client's format first, and one every engine writes (so that we, not the engine, say 406)
        accept = ([wanted.media_type] if wanted is not None else []) + [f"{fallback.media_type};q=0.01"]
        fields = self.backend.dataset_fields(dataset)
        client = self.backend.client
        try:
            try:
                response = client.sparql(
                    "query", text, fields=fields, accept=", ".join(accept), timeout=timeout, stream=True
                )
            except NotAcceptable:  # an engine that refuses rather than falls back (Virtuoso and N-Quads, say)
                response = client.sparql(
                    "query", text, fields=fields, accept=fallback.media_type, timeout=timeout, stream=True
                )
        except SyntaxError as error:
            raise BadQuery(str(error)) from error
        except EngineError as error:
            if called_endpoints(request.sparql, PREFIXES):
                raise BadQuery(remote_failure(error)) from None
            raise
        media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        rdf, results = RdfFormat.from_media_type(media_type), QueryResultsFormat.from_media_type(media_type)
        if rdf is not None:
            chosen = formats.graph
            if chosen is None:
                response.close()  # unread: the connection cannot go back to the pool
                raise NotAcceptable(
                    "this query produces an RDF graph, and the Accept header allows none of its formats"
                )
            if chosen != rdf:
                triples = TripleResult(q.triple for q in parse(_Reader(response, deadline), rdf))  # type: ignore[arg-type]
                return Answer(chosen.media_type, iter([serialize(triples, None, chosen) or b""]))
        elif results is not None:
            chosen = formats.results  # type: ignore[assignment]
            if chosen is None:
                response.close()  # unread: the connection cannot go back to the pool
                raise NotAcceptable(
                    "this query produces SPARQL results, and the Accept header allows none of their formats"
                )
            if chosen != results:
                parsed = parse_query_results(_Reader(response, deadline), results)  # type: ignore[arg-type]
                return Answer(chosen.media_type, iter([write(parsed, chosen) or b""]))
        else:
            response.close()
            raise EngineError(f"the SPARQL engine answered in a format genai-kg does not know: {media_type!r}")
        chunks = _chunks(response, deadline)
        first = _first(chunks)
        if first.complete:
            _check_whole(first.data, rdf or results, request.sparql)
        return Answer(chosen.media_type, first.replay(chunks))


def _chunks(response: urllib3.BaseHTTPResponse, deadline: Deadline) -> Iterator[bytes]:
    """The response body in chunks; :class:`QueryTimeout` once the deadline has passed."""
    finished = False
    try:
        while True:
            if deadline.expired():
                raise deadline.timeout("the query, while its answer was being sent,")
            try:
                chunk = response.read(CHUNK)
            except ReadTimeoutError as error:
                raise QueryTimeout("the SPARQL engine stopped sending within the time budget") from error
            except HTTPError as error:
                raise Unavailable(f"the SPARQL engine's answer broke off: {error}") from error
            if not chunk:
                finished = True
                return
            yield chunk
    finally:
        if finished:
            response.release_conn()
        else:
            response.close()  # drop the connection: the engine stops sending


class _Reader:
    """The response as a file for a parser, bounded by the deadline."""

    def __init__(self, response: urllib3.BaseHTTPResponse, deadline: Deadline) -> None:
        self._chunks = _chunks(response, deadline)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class _First:
    """The first chunks of an answer, up to ``CHUNK`` bytes, and whether they were all of it."""

    def __init__(self, data: bytes, complete: bool) -> None:
        self.data = data
        self.complete = complete

    def replay(self, rest: Iterator[bytes]) -> Iterator[bytes]:
        if self.data:
            yield self.data
        yield from rest


def _first(chunks: Iterator[bytes]) -> _First:
    data = b""
    for chunk in chunks:
        data += chunk
        if len(data) >= CHUNK:
            return _First(data, complete=False)
    return _First(data, complete=True)


def _check_whole(data: bytes, format: QueryResultsFormat | RdfFormat | None, sparql: str) -> None:
    """A small answer is parsed before it is sent: some engines report an evaluation error (a failed
    SERVICE call, say) inside a 200 answer, which must become our 400, not a broken 200."""
    try:
        if isinstance(format, RdfFormat):
            for _ in parse(data, format):
                pass
        elif format in (QueryResultsFormat.JSON, QueryResultsFormat.XML, QueryResultsFormat.TSV):
            result = parse_query_results(data, format)
            if not isinstance(result, QueryBoolean):
                for _ in result:
                    pass
    except (SyntaxError, ValueError) as error:
        if called_endpoints(sparql, PREFIXES):  # the engine's words may quote the remote answer
            raise BadQuery(remote_failure(EngineError(str(error)))) from None
        raise BadQuery(f"the query could not be evaluated: {data[-500:].decode('utf-8', 'replace')}") from error
