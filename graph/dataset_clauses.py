"""Dataset clauses in SPARQL text: whether a query names its own dataset (``FROM``/``FROM NAMED``).

A query with ``FROM``/``FROM NAMED`` keeps its dataset (the store's union default graph must not replace it).
The text is scanned with the one SPARQL lexer (:mod:`.sparql_lexer`), which knows strings, IRIs and comments.
An update's dataset (``WITH``, ``USING``, the protocol's ``using-graph-uri``) is the update planner's
(:mod:`.updates`), which evaluates each ``WHERE`` over exactly that dataset.
"""

from __future__ import annotations

from .sparql_lexer import top_level_keyword


def query_names_dataset(sparql: str) -> bool:
    """True when the query has a ``FROM`` or ``FROM NAMED`` clause (outside strings and groups).

    >>> query_names_dataset("SELECT * FROM <http://ex/g> WHERE { ?s ?p 'FROM' }")
    True
    >>> query_names_dataset("SELECT * WHERE { ?s ?p 'FROM' } # FROM")
    False
    """
    return top_level_keyword(sparql, "FROM")
