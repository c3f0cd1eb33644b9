"""What the tools and resources of ``/mcp`` do (``server/mcp.py`` is the protocol's side): each a method of
:class:`Tools` over one app's query service, returning text for an agent, bounded in rows and characters.

Every work goes through the query service (admission, budget, workers), as a request's does; a refused input,
a missing resource or a query past its budget raises the :class:`~graph.errors.GraphError` the REST API would
answer with, which the protocol's side turns into a tool error with its message.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import Flask
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
from graph.errors import BadParameter, BadQuery, NotFound, TooLarge
from graph.inference import api as inference
from graph.input_limits import check_sparql
from graph.named_queries import NamedQuery
from graph.namespaces import PREFIXES, compact, expand
from graph.querying.work import Answer, Call, Formats, QueryRequest
from graph.sparql_lexer import query_form, top_level_keyword
from graph.void import statistics, void_triples

from .config import Config
from .context import QUERIES, SERVICE
from .pages.rdf import safe_prefixes
from .queries import header as query_header

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
