"""Dataset clauses in SPARQL text: whether a query or update names its own dataset, and the protocol's one.

A query with ``FROM``/``FROM NAMED`` keeps its dataset (the store's union default graph must not replace
it). Oxigraph's Python API takes no dataset for updates, so the protocol's dataset is written into the update
the way the specification defines it: as if each ``DELETE``/``INSERT … WHERE`` operation carried
``USING <g>``/``USING NAMED <g>``. The text is scanned with a tokenizer that knows SPARQL's strings, IRIs and
comments, and only validated IRIs (serialised by pyoxigraph) are inserted — never the caller's raw text.
An update that names its own dataset (``USING`` or ``WITH``) and also gets protocol parameters is refused,
as the protocol requires.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyoxigraph import NamedNode

from .errors import BadQuery

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<open>\{)
    | (?P<close>\})
    | (?P<var>[?$]\w+)
    | (?P<word>[A-Za-z_][\w\-]*(?::[\w\-.]*)?|:[\w\-.]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int
    depth: int


def _tokens(sparql: str) -> Iterator[_Token]:
    """Significant tokens with the brace depth they stand at (whitespace and comments dropped)."""
    depth = 0
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup or "other"
        if kind in ("space", "comment"):
            continue
        if kind == "close":
            depth -= 1
        yield _Token(kind, match.group(), match.start(), match.end(), depth)
        if kind == "open":
            depth += 1


def _keyword(token: _Token, *words: str) -> bool:
    return token.kind == "word" and token.depth == 0 and token.text.upper() in words


def names_dataset(sparql: str) -> bool:
    """True when the update has a ``USING`` or ``WITH`` clause of its own (outside strings and groups)."""
    return any(_keyword(token, "USING", "WITH") for token in _tokens(sparql))


def query_names_dataset(sparql: str) -> bool:
    """True when the query has a ``FROM`` or ``FROM NAMED`` clause (outside strings and groups).

    >>> query_names_dataset("SELECT * FROM <http://ex/g> WHERE { ?s ?p 'FROM' }")
    True
    >>> query_names_dataset("SELECT * WHERE { ?s ?p 'FROM' } # FROM")
    False
    """
    return any(_keyword(token, "FROM") for token in _tokens(sparql))


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
    tokens = list(_tokens(sparql))
    out, cursor = [], 0
    for index, token in enumerate(tokens):
        if not _keyword(token, "WHERE"):
            continue
        previous = tokens[index - 1] if index else None
        if previous is not None and _keyword(previous, "DELETE"):
            group = _group_after(tokens, index)
            if group is None:
                continue  # not well formed: let the parser report it
            pattern = sparql[tokens[group[0]].start : tokens[group[1]].end]
            out += [sparql[cursor : token.start], f"{pattern} {dataset}"]
        else:
            out += [sparql[cursor : token.start], dataset]
        cursor = token.start
    out.append(sparql[cursor:])
    return "".join(out)


def _group_after(tokens: list[_Token], index: int) -> tuple[int, int] | None:
    """The indexes of the braces of the group that follows ``tokens[index]``, or None."""
    first = index + 1
    if first >= len(tokens) or tokens[first].kind != "open":
        return None
    for last in range(first + 1, len(tokens)):
        if tokens[last].kind == "close" and tokens[last].depth == tokens[first].depth:
            return first, last
    return None
