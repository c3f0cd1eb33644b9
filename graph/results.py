"""Writing query results: SPARQL result formats for SELECT/ASK, RDF formats for CONSTRUCT/DESCRIBE.

Serialisation is pyoxigraph's own (no per-row Python on the hot path); this module only chooses the format.
"""

from __future__ import annotations

from typing import IO

from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
)

from .errors import BadRequest
from .namespaces import compact
from .store import GRAPH_RESULTS, QueryResult

#: Short names users type (CLI ``--format``, ``?format=``) for each format.
RESULT_FORMATS: dict[str, QueryResultsFormat] = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, RdfFormat] = {
    "ttl": RdfFormat.TURTLE,
    "turtle": RdfFormat.TURTLE,
    "nt": RdfFormat.N_TRIPLES,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdf": RdfFormat.RDF_XML,
    "rdfxml": RdfFormat.RDF_XML,
    "xml": RdfFormat.RDF_XML,
    "trig": RdfFormat.TRIG,
    "nq": RdfFormat.N_QUADS,
    "nquads": RdfFormat.N_QUADS,
}


def is_graph(result: QueryResult) -> bool:
    """True for CONSTRUCT/DESCRIBE results (RDF), false for SELECT/ASK (SPARQL results)."""
    return isinstance(result, GRAPH_RESULTS)


def format_for(result: QueryResult, name: str) -> QueryResultsFormat | RdfFormat:
    """The format called ``name`` (short name, extension or media type) that fits this kind of result."""
    key = name.lower()
    if is_graph(result):
        found_rdf = GRAPH_FORMATS.get(key) or (RdfFormat.from_media_type(key) if "/" in key else None)
        if found_rdf is not None:
            return found_rdf
        expected = sorted(GRAPH_FORMATS)
    else:
        found = RESULT_FORMATS.get(key) or (QueryResultsFormat.from_media_type(key) if "/" in key else None)
        if found is not None:
            return found
        expected = sorted(RESULT_FORMATS)
    raise BadRequest(f"unknown result format {name!r}; expected one of {', '.join(expected)}")


def write(result: QueryResult, format: QueryResultsFormat | RdfFormat, output: IO[bytes] | None = None) -> bytes | None:
    """Serialise ``result`` to ``output`` (or return the bytes when ``output`` is None)."""
    if isinstance(result, GRAPH_RESULTS):
        assert isinstance(format, RdfFormat)
        return result.serialize(output, format=format)
    assert isinstance(format, QueryResultsFormat)
    return result.serialize(output, format=format)


def as_table(result: QueryResult) -> str:
    """A plain-text table for people (the CLI's default output), with IRIs compacted to prefixes."""
    if isinstance(result, QueryBoolean):
        return "true" if bool(result) else "false"
    if isinstance(result, GRAPH_RESULTS):
        rows = [[compact_term(t.subject), compact_term(t.predicate), compact_term(t.object)] for t in result]
        header = ["subject", "predicate", "object"]
    else:
        assert isinstance(result, QuerySolutions)
        header = [v.value for v in result.variables]
        rows = [[compact_term(s[v]) if s[v] is not None else "" for v in result.variables] for s in result]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def compact_term(term: object) -> str:
    """A term as a person would write it: ``gaid:ChatGPT``, ``"text"@en``, ``42``."""
    if isinstance(term, NamedNode):
        short = compact(term.value)
        return short if short != term.value else str(term)
    if isinstance(term, Literal):
        datatype = term.datatype.value
        if datatype.endswith(("#integer", "#decimal", "#double", "#boolean", "#string")) and not term.language:
            return term.value
        return str(term)
    return str(term)
