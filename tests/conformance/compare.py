"""Comparing results the way the W3C suites define it: solutions as multisets (or sequences) up to blank nodes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import rdflib
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    parse,
    parse_query_results,
    serialize,
)
from rdflib.compare import isomorphic

Term = NamedNode | BlankNode | Literal | Triple
Row = dict[str, Term]

RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RESULT_FORMATS = {".srx": QueryResultsFormat.XML, ".srj": QueryResultsFormat.JSON, ".tsv": QueryResultsFormat.TSV}


def rdf_format(path: Path) -> RdfFormat:
    found = RdfFormat.from_extension(path.suffix.lstrip("."))
    if found is None:
        raise ValueError(f"unknown RDF file type: {path}")
    return found


def solutions(result: QuerySolutions | QueryBoolean) -> bool | list[Row]:
    """A boolean, or the solutions as dicts from variable name to term."""
    if isinstance(result, QueryBoolean):
        return bool(result)
    names = [v.value for v in result.variables]
    return [{name: row[name] for name in names if row[name] is not None} for row in result]


def expected_results(path: Path) -> bool | list[Row] | rdflib.Graph:
    """The expected result of a query test: a boolean, solutions, or a graph."""
    if path.suffix in RESULT_FORMATS:
        return solutions(parse_query_results(path.read_bytes(), RESULT_FORMATS[path.suffix]))
    graph = to_rdflib(parse(path.read_bytes(), rdf_format(path), base_iri=path.resolve().as_uri()))
    result_set = rdflib.URIRef(RS + "ResultSet")
    if (None, rdflib.RDF.type, result_set) in graph:
        return _result_set(graph)
    return graph


def _result_set(graph: rdflib.Graph) -> bool | list[Row]:
    """The rs: vocabulary (SPARQL 1.0 tests) read back into a boolean or solutions."""
    rs = rdflib.Namespace(RS)
    node = graph.value(predicate=rdflib.RDF.type, object=rs.ResultSet)
    boolean = graph.value(node, rs.boolean)
    if boolean is not None:
        return bool(boolean.toPython())  # type: ignore[attr-defined]
    indexed: list[tuple[int, Row]] = []
    for solution in graph.objects(node, rs.solution):
        row: Row = {}
        for binding in graph.objects(solution, rs.binding):
            name = str(graph.value(binding, rs.variable))
            row[name] = from_rdflib(graph.value(binding, rs.value))  # type: ignore[arg-type]
        index = graph.value(solution, rs["index"])  # rs.index is str.index
        indexed.append((int(index) if index is not None else 0, row))  # type: ignore[call-overload]
    return [row for _, row in sorted(indexed, key=lambda pair: pair[0])]


def to_rdflib(quads: Iterable[object]) -> rdflib.Graph:
    """Triples from pyoxigraph into an rdflib graph (through N-Triples, so every term survives as written)."""
    triples = [q.triple if hasattr(q, "triple") else q for q in quads]  # type: ignore[attr-defined]
    return rdflib.Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")


def from_rdflib(term: rdflib.term.Node) -> Term:
    if isinstance(term, rdflib.BNode):
        return BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return Literal(str(term), language=term.language)
        return Literal(str(term), datatype=NamedNode(str(term.datatype)) if term.datatype else None)
    return NamedNode(str(term))


def same_solutions(expected: list[Row], actual: list[Row], *, ordered: bool) -> bool:
    """Equal as multisets (or sequences) of solutions, under one bijection between blank nodes."""
    if len(expected) != len(actual):
        return False
    return _match(expected, actual, 0, set(), {}, {}, ordered)


def _match(
    expected: list[Row],
    actual: list[Row],
    index: int,
    used: set[int],
    forward: dict[str, str],
    backward: dict[str, str],
    ordered: bool,
) -> bool:
    if index == len(expected):
        return True
    candidates = [index] if ordered else [i for i in range(len(actual)) if i not in used]
    for candidate in candidates:
        extended = _unify(expected[index], actual[candidate], forward, backward)
        if extended is None:
            continue
        if _match(expected, actual, index + 1, used | {candidate}, *extended, ordered):
            return True
    return False


def _unify(
    expected: Mapping[str, Term], actual: Mapping[str, Term], forward: dict[str, str], backward: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]] | None:
    if expected.keys() != actual.keys():
        return None
    forward, backward = dict(forward), dict(backward)
    for name, term in expected.items():
        other = actual[name]
        if isinstance(term, BlankNode) and isinstance(other, BlankNode):
            if forward.setdefault(term.value, other.value) != other.value:
                return None
            if backward.setdefault(other.value, term.value) != term.value:
                return None
        elif term != other:
            return None
    return forward, backward


def same_graph(expected: rdflib.Graph, actual: rdflib.Graph) -> bool:
    return isomorphic(expected, actual)


_SCRATCH = Store()
_S, _P = NamedNode("urn:x-canonical:s"), NamedNode("urn:x-canonical:p")


def canonical(term: Term) -> Term:
    """The term as Oxigraph stores it: typed literals of XSD value types get their canonical lexical form."""
    if not isinstance(term, Literal):
        return term
    _SCRATCH.clear()
    _SCRATCH.add(Quad(_S, _P, term))
    stored = next(iter(_SCRATCH)).object
    assert isinstance(stored, Literal)
    return stored


def canonical_rows(rows: list[Row]) -> list[Row]:
    return [{name: canonical(term) for name, term in row.items()} for row in rows]


def canonical_graph(graph: rdflib.Graph) -> rdflib.Graph:
    out = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal):
            o = _to_rdflib_literal(canonical(from_rdflib(o)))
        out.add((s, p, o))
    return out


def _to_rdflib_literal(term: Term) -> rdflib.Literal:
    assert isinstance(term, Literal)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
