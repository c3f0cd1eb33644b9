"""The suggest services: entities, types and properties whose name contains what the user has typed so far,
compared as the matcher compares names (:mod:`graph.matching`)."""

from __future__ import annotations

from typing import Any

from ..builds import reads
from ..matching import NameSearch
from ..namespaces import GAID
from ..store import KnowledgeGraph
from .identifiers import short
from .index import KEY, Index, Term, index


@reads(KEY)
def suggest_entities(kg: KnowledgeGraph, prefix: str, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Entities whose name contains ``prefix`` (compared as the matcher does), exact and starting names first."""
    found = index(kg)
    named = found.by_id(prefix)
    hits = [named] if named else found.matcher.search(prefix, limit=cursor + limit) if prefix.strip() else []
    result = []
    for candidate in hits[cursor : cursor + limit]:
        entry: dict[str, Any] = {"id": short(candidate.iri, GAID), "name": candidate.label}
        if found.descriptions.get(candidate.iri):
            entry["description"] = found.descriptions[candidate.iri]
        entry["notable"] = [found.type_entry(t) for t in found.specific_types(candidate)]
        result.append(entry)
    return result


def _suggest_terms(found: Index, terms: dict[str, Term], prefix: str, cursor: int, limit: int) -> list[Term]:
    if not prefix.strip():
        ranked = sorted(terms.values(), key=lambda t: (t.name.lower(), t.iri))
    else:
        names = [
            (iri, name) for iri, term in terms.items() for name in (term.name, short(iri), *found.aliases.get(iri, ()))
        ]
        ranked = [terms[iri] for iri in NameSearch(names).find(prefix, limit=cursor + limit)]
    return ranked[cursor : cursor + limit]


@reads(KEY)
def suggest_types(kg: KnowledgeGraph, prefix: str, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Classes of the ontology whose name contains ``prefix``."""
    found = index(kg)
    return [
        {**term.entry(), "broader": [found.type_entry(b) for b in term.broader]}
        for term in _suggest_terms(found, found.classes, prefix, cursor, limit)
    ]


@reads(KEY)
def suggest_properties(kg: KnowledgeGraph, prefix: str, cursor: int, limit: int) -> list[dict[str, str]]:
    """Properties whose name contains ``prefix``: the ontology's, and a few of SKOS's."""
    found = index(kg)
    return [term.entry() for term in _suggest_terms(found, found.properties, prefix, cursor, limit)]
