"""Search by name, and "did you mean …" for names that are not there: the pages' search box, ``/id/`` names
that match nothing, and the MCP server's search tool.

Names are compared as the reconciliation compares them (:mod:`graph.matching`), so "dalle" finds DALL·E; every
resource's names are read once per generation (a build, :data:`NAMES_KEY`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyoxigraph import NamedNode, QuerySolutions

from .builds import reads
from .describe import TYPE, label
from .matching import NameSearch, compact, tokens
from .namespaces import GAI
from .store import KnowledgeGraph

#: Every name of every resource but the evidence records (passages quoted from sources); ``?alt`` marks the
#: alternative ones.
NAMES = """
SELECT ?x ?name ?alt WHERE {
  { ?x rdfs:label|skos:prefLabel ?name BIND(false AS ?alt) } UNION { ?x skos:altLabel ?name BIND(true AS ?alt) }
  FILTER(isIRI(?x) && isLiteral(?name))
  FILTER NOT EXISTS { ?x a gai:Evidence }
}
"""
#: The kinds of thing search ranks first after the ontology's own terms: systems, families, organisations.
PROMINENT = tuple(NamedNode(GAI + name) for name in ("AISystem", "ModelFamily", "Organization", "Product"))
#: Where a name written in camel case changes words: before a capital that follows a small letter, or that
#: starts a word after an acronym ("GPTModel").
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


#: The build search reads: every resource's names (:func:`_names`).
NAMES_KEY = "search names"


@reads(NAMES_KEY)
def search(kg: KnowledgeGraph, text: str, *, limit: int = 100) -> list[tuple[NamedNode, str]]:
    """Resources whose label or alternative label contains ``text``, ignoring case, accents and punctuation
    (:class:`graph.matching.NameSearch`, over names read once per generation). Ranked by name, then type:
    exact labels, then exact alternative labels, then the ontology's terms, then systems, families,
    organisations and products, then the rest (claims, sources); within each, label matches before
    alternative-label ones, then the matcher's order (names that start with the text, the shortest)."""
    names = kg.cached(NAMES_KEY, _names)
    primary, alternative = names.primary, names.alternative
    found = names.search.find(text, limit=10 * limit)
    key = compact(text)

    def rank(position: int, iri: str) -> tuple[int, int, int, int]:
        exact_label = any(compact(n) == key for n in primary.get(iri, ()))
        exact_alternative = any(compact(n) == key for n in alternative.get(iri, ()))
        exactness = 0 if exact_label else 1 if exact_alternative else 2
        node = NamedNode(iri)
        kind = 0 if iri.startswith(GAI) else 1 if any(_typed(kg, node, t) for t in PROMINENT) else 2
        by_label = 0 if any(key in compact(n) for n in primary.get(iri, ())) else 1
        return exactness, kind, by_label, position

    ranked = [iri for _, iri in sorted((rank(i, iri), iri) for i, iri in enumerate(found))][:limit]
    return [(NamedNode(iri), label(kg, NamedNode(iri))) for iri in ranked]


@dataclass(frozen=True)
class _Names:
    """Every resource's names, read once per generation for search (reading them took 4 s at 1.15M triples)."""

    search: NameSearch
    #: Labels, and alternative labels, by IRI.
    primary: dict[str, list[str]]
    alternative: dict[str, list[str]]


def _names(kg: KnowledgeGraph) -> _Names:
    result = kg.query(NAMES)
    assert isinstance(result, QuerySolutions)
    names: list[tuple[str, str]] = []
    alternative: dict[str, list[str]] = {}
    for row in result:
        iri, name = row["x"].value, row["name"].value
        names.append((iri, name))
        if row["alt"] is not None and row["alt"].value == "true":
            alternative.setdefault(iri, []).append(name)
    primary: dict[str, list[str]] = {}
    for iri, name in names:
        if name not in alternative.get(iri, ()):
            primary.setdefault(iri, []).append(name)
    return _Names(NameSearch(names), primary, alternative)


@reads(NAMES_KEY)
def suggestions(kg: KnowledgeGraph, name: str, *, limit: int = 5) -> list[tuple[str, str]]:
    """Names close to ``name`` (an unknown ``/id/`` name: ``GPT_4o`` → GPT-4o): the resources whose label
    contains it, else those containing its longest words, as (IRI, label).

    >>> CAMEL.sub(" ", "NoSuchGPT4o")
    'No Such GPT4o'
    """
    text = name.replace("_", " ")
    found = search(kg, text, limit=limit)
    words = tokens(CAMEL.sub(" ", text))  # "NoSuchGPT" has the words no, such, gpt
    for word in sorted(words, key=len, reverse=True):
        if len(found) >= limit or len(word) < 3:
            break
        found += [hit for hit in search(kg, word, limit=limit) if hit not in found]
    return [(node.value, title) for node, title in found[:limit]]


def _typed(kg: KnowledgeGraph, node: NamedNode, cls: NamedNode) -> bool:
    """Whether ``node`` is a ``cls`` (asserted or inferred)."""
    return next(iter(kg.quads(node, TYPE, cls)), None) is not None
