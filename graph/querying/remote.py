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
from pyoxigraph import QueryBoolean, QueryResultsFormat, RdfFormat, Triple, parse, parse_query_results, serialize
from urllib3.exceptions import HTTPError, ReadTimeoutError

from .. import skolem
from ..backend import TripleResult
from ..deadline import Deadline, bounded_by
from ..errors import BadQuery, EngineError, NotAcceptable, QueryTimeout, Unavailable
from ..namespaces import PREFIXES
from ..outbound import remote_failure
from ..remote import RemoteBackend, answer_format, prologue, with_values
from ..results import write
from ..sparql_lexer import called_endpoints, query_form
from ..store import KnowledgeGraph
from .work import Answer, Buffer, QueryRequest, Work

CHUNK = 64 * 1024
#: Triples per piece when a graph answer is written again while it streams.
BATCH = 10_000
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
            return Answer(output.media_type, _blank_nodes(output.media_type, output.chunks), value)

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
        # a format whose Skolem IRIs can be rewritten while it streams (graph/skolem.py), then one every
        # engine writes (so that we, not the engine, say 406)
        asked = _streamable(wanted)
        accept = ([asked] if asked is not None else []) + [f"{fallback.media_type};q=0.01"]
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
        media_type, rdf, results = answer_format(response.headers.get("Content-Type"))
        if rdf is None and results is None:
            response.close()
            raise EngineError(f"the SPARQL engine answered in a format genai-kg does not know: {media_type!r}")
        try:
            chosen = formats.for_kind(graph=rdf is not None)
        except NotAcceptable:
            response.close()  # unread: the connection cannot go back to the pool
            raise
        if media_type not in skolem.STREAMED:  # not asked for: parsed, its Skolem IRIs mapped, written again
            return _converted(response, deadline, rdf, results, chosen)
        # CSV is made from TSV by the rewrite itself
        converts = media_type == skolem.bare(QueryResultsFormat.TSV.media_type) and chosen == QueryResultsFormat.CSV
        rewriter = skolem.for_media_type(chosen.media_type if converts else media_type)
        chunks = rewriter.stream(_chunks(response, deadline))
        if skolem.bare(chosen.media_type) != media_type and not converts:
            return _reserialised(chunks, rdf, results, chosen)
        first = _first(chunks)
        if first.complete:
            _check_whole(first.data, chosen if converts else rdf or results, request.sparql)
        return Answer(chosen.media_type, first.replay(chunks))


def _blank_nodes(media_type: str | None, chunks: list[bytes]) -> Iterator[bytes]:
    """An RDF body a work wrote (a Graph Store GET, a dump) with the engine's Skolem IRIs as blank nodes."""
    rdf = RdfFormat.from_media_type(media_type) if media_type else None
    if rdf is None:
        return iter(chunks)
    if skolem.bare(rdf.media_type) in skolem.STREAMED:
        return skolem.for_media_type(rdf.media_type).stream(iter(chunks))
    parsed = parse(_Reader(iter(chunks)), rdf)  # type: ignore[arg-type]
    if rdf.supports_datasets:
        return iter([serialize(map(skolem.blank_quad, parsed), None, rdf) or b""])
    return iter([serialize((skolem.blank_triple(q.triple) for q in parsed), None, rdf) or b""])


def _streamable(wanted: RdfFormat | QueryResultsFormat | None) -> str | None:
    """The media type to ask the engine for, when the client wants ``wanted``: one that can be rewritten
    while it streams (N-Triples for any graph format, TSV for CSV), None when the client accepts nothing."""
    if wanted is None:
        return None
    if isinstance(wanted, RdfFormat):
        return RdfFormat.N_TRIPLES.media_type
    if wanted == QueryResultsFormat.CSV:
        return QueryResultsFormat.TSV.media_type
    return (
        wanted.media_type if skolem.bare(wanted.media_type) in skolem.STREAMED else QueryResultsFormat.JSON.media_type
    )


def _reserialised(
    chunks: Iterator[bytes],
    rdf: RdfFormat | None,
    results: QueryResultsFormat | None,
    chosen: RdfFormat | QueryResultsFormat,
) -> Answer:
    """A rewritten answer written again in the client's format (Turtle, RDF/XML, JSON-LD…: formats that cannot
    be rewritten as text), whole."""
    reader = _Reader(chunks)
    if rdf is not None:
        assert isinstance(chosen, RdfFormat)
        triples = (q.triple for q in parse(reader, rdf))  # type: ignore[arg-type]
        if chosen == RdfFormat.TURTLE:  # Turtle documents without prefixes add up: it streams, in batches
            return Answer(chosen.media_type, _in_batches(triples, chosen))
        return Answer(chosen.media_type, iter([serialize(TripleResult(triples), None, chosen) or b""]))
    assert results is not None and isinstance(chosen, QueryResultsFormat)
    parsed = parse_query_results(reader, results)  # type: ignore[arg-type]
    return Answer(chosen.media_type, iter([write(parsed, chosen) or b""]))


def _in_batches(triples: Iterator[Triple], format: RdfFormat) -> Iterator[bytes]:
    """Triples written as they come, ``BATCH`` at a time (for formats whose documents can be concatenated)."""
    batch: list[Triple] = []
    for triple in triples:
        batch.append(triple)
        if len(batch) >= BATCH:
            yield serialize(batch, None, format) or b""
            batch = []
    if batch:
        yield serialize(batch, None, format) or b""


def _converted(
    response: urllib3.BaseHTTPResponse,
    deadline: Deadline,
    rdf: RdfFormat | None,
    results: QueryResultsFormat | None,
    chosen: RdfFormat | QueryResultsFormat,
) -> Answer:
    """An answer in a format genai-kg did not ask for: RDF is parsed, its Skolem IRIs turned into blank nodes,
    and written again; results in such a format (CSV, which cannot tell an IRI from text) are passed on."""
    if rdf is not None:
        assert isinstance(chosen, RdfFormat)
        parsed = parse(_Reader(_chunks(response, deadline)), rdf)  # type: ignore[arg-type]
        triples = TripleResult(skolem.blank_triple(q.triple) for q in parsed)
        return Answer(chosen.media_type, iter([serialize(triples, None, chosen) or b""]))
    assert results is not None and isinstance(chosen, QueryResultsFormat)
    if chosen == results:
        return Answer(chosen.media_type, _chunks(response, deadline))
    parsed_results = parse_query_results(_Reader(_chunks(response, deadline)), results)  # type: ignore[arg-type]
    return Answer(chosen.media_type, iter([write(parsed_results, chosen) or b""]))


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
    """An answer's chunks as a file for a parser (bounded by the deadline as the chunks are)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
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
