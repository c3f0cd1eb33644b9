"""Dataset clauses in SPARQL text: whether a query or update names its own dataset, and the protocol's one.

A query with ``FROM``/``FROM NAMED`` keeps its dataset (the store's union default graph must not replace
it). Oxigraph's Python API takes no dataset for updates, so the protocol's dataset is written into the update
the way the specification defines it: as if each ``DELETE``/``INSERT … WHERE`` operation carried
``USING <g>``/``USING NAMED <g>``. The text is scanned with a tokenizer that knows SPARQL's strings, IRIs and
comments (:mod:`.sparql_lexer`), and only validated IRIs (serialised by pyoxigraph) are inserted — never the caller's raw text.
An update that names its own dataset (``USING`` or ``WITH``) and also gets protocol parameters is refused,
as the protocol requires.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyoxigraph import NamedNode

from .errors import BadQuery
from .sparql_lexer import Token, tokens, top_level_keyword


def names_dataset(sparql: str) -> bool:
    """True when the update has a ``USING`` or ``WITH`` clause of its own (outside strings and groups)."""
    return top_level_keyword(sparql, "USING", "WITH")


def query_names_dataset(sparql: str) -> bool:
    """True when the query has a ``FROM`` or ``FROM NAMED`` clause (outside strings and groups).

    >>> query_names_dataset("SELECT * FROM <http://ex/g> WHERE { ?s ?p 'FROM' }")
    True
    >>> query_names_dataset("SELECT * WHERE { ?s ?p 'FROM' } # FROM")
    False
    """
    return top_level_keyword(sparql, "FROM")


def _iri(value: str) -> str:
    try:
        return str(NamedNode(value))
    except ValueError as error:
        raise BadQuery(f"not an IRI: {value!r}") from error


def with_using(sparql: str, using: Iterable[str] = (), using_named: Iterable[str] = ()) -> str:
    """The update with the protocol's dataset written in as ``USING``/``USING NAMED`` before each ``WHERE``.

    >>> with_using("INSERT { ?s a <t> } WHERE { ?s ?p ?o }", ["http://ex/g"])
    'INSERT { ?s a <t> } USING <http://ex/g> WHERE { ?s ?p ?o }'
    >>> with_using("DELETE WHERE { ?s <p> ?o }", ["http://ex/g"])
    'DELETE { ?s <p> ?o } USING <http://ex/g> WHERE { ?s <p> ?o }'
    """
    clauses = [f"USING {_iri(g)}" for g in using] + [f"USING NAMED {_iri(g)}" for g in using_named]
    if not clauses:
        return sparql
    if names_dataset(sparql):
        raise BadQuery(
            "the update names its own dataset (USING or WITH) and the request adds using-graph-uri or "
            "using-named-graph-uri; send one or the other"
        )
    dataset = " ".join(clauses) + " "
    listed = list(tokens(sparql))
    out, cursor = [], 0
    for index, token in enumerate(listed):
        if not (token.depth == 0 and token.is_keyword("WHERE")):
            continue
        previous = listed[index - 1] if index else None
        if previous is not None and previous.depth == 0 and previous.is_keyword("DELETE"):
            group = _group_after(listed, index)
            if group is None:
                continue  # not well formed: let the parser report it
            pattern = sparql[listed[group[0]].start : listed[group[1]].end]
            out += [sparql[cursor : token.start], f"{pattern} {dataset}"]
        else:
            out += [sparql[cursor : token.start], dataset]
        cursor = token.start
    out.append(sparql[cursor:])
    return "".join(out)


def _group_after(listed: list[Token], index: int) -> tuple[int, int] | None:
    """The indexes of the braces of the group that follows ``listed[index]``, or None."""
    first = index + 1
    if first >= len(listed) or listed[first].kind != "open":
        return None
    for last in range(first + 1, len(listed)):
        if listed[last].kind == "close" and listed[last].depth == listed[first].depth:
            return first, last
    return None
