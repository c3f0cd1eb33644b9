"""A batch of reconciliation queries answered: each name matched (by the one matcher, :mod:`graph.matching`),
each candidate's score weighed by the query's developer and other properties, best first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyoxigraph import Literal, NamedNode

from ..builds import reads
from ..matching import SAME_NAME, Candidate, Scored, compact
from ..namespaces import GAI, GAID, PREFIXES
from ..store import KnowledgeGraph
from .identifiers import short
from .index import KEY, Index, index
from .parsing import Constraint, Query

DEVELOPED_BY = GAI + "developedBy"
XSD = PREFIXES["xsd"]
#: How much an organisation given with the query keeps of a candidate's score, by how it relates (see matching).
ORGANIZATION_FACTOR = {2: 1.0, 1: 0.95, 0: 0.9, -1: 0.5}
#: How much a property constraint keeps: met, not known for the candidate, contradicted.
PROPERTY_FACTOR = {True: 1.0, None: 0.95, False: 0.7}


@reads(KEY)
def reconcile(kg: KnowledgeGraph, queries: Sequence[Query]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The reconciliation result batch for ``queries``: each query's candidates, best first."""
    found = index(kg)
    return {query.key: {"result": _result(kg, found, query)} for query in queries}


def _result(kg: KnowledgeGraph, found: Index, query: Query) -> list[dict[str, Any]]:
    organizations = [
        value.iri or value.text for c in query.constraints if c.property == DEVELOPED_BY for value in c.values
    ]
    others = [c for c in query.constraints if c.property != DEVELOPED_BY]
    by_id = found.by_id(query.text) if query.text else None
    if by_id is not None:
        scored = [Scored(by_id, "exact", 1.0, match=True)]
    elif query.text is not None:
        result = found.matcher.match(
            query.text, type=query.types, all_types=query.all_types, organizations=organizations
        )
        scored = list(result.candidates)
    else:
        developed = found.matcher.developed_by(organizations, type=query.types, all_types=query.all_types)
        scored = [Scored(c, "property", 0.5, organization=2) for c in developed] if organizations else []
    entries = []
    for rank, candidate in enumerate(scored[: query.limit]):
        features: list[dict[str, Any]] = [
            {"id": "name", "value": round(100 * candidate.score, 2)},
            {"id": "same_name", "value": candidate.kind in SAME_NAME},
        ]
        score = 100 * candidate.score
        if organizations:
            score *= ORGANIZATION_FACTOR[candidate.organization]
            features.append({"id": "developer", "value": candidate.organization})
        match = candidate.match and rank == 0
        for constraint in others:
            met = _meets(kg, found, candidate.candidate.iri, constraint)
            score *= PROPERTY_FACTOR[met]
            features.append({"id": "property:" + short(constraint.property), "value": bool(met)})
            match = match and met is not False
        entries.append(_candidate(found, candidate.candidate, round(score, 2), match, features))
    entries.sort(key=lambda e: -e["score"])
    for entry in entries[1:]:  # a match that properties moved down is no longer the clear winner
        if entry["match"]:
            entry["match"] = entries[0]["match"] = False
    return entries


def _candidate(found: Index, candidate: Candidate, score: float, match: bool, features: list[Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": short(candidate.iri, GAID), "name": candidate.label}
    description = found.descriptions.get(candidate.iri)
    if description:
        entry["description"] = description
    entry["score"] = score
    entry["match"] = match
    entry["type"] = [found.type_entry(t) for t in found.specific_types(candidate)]
    entry["features"] = features
    return entry


def _meets(kg: KnowledgeGraph, found: Index, iri: str, constraint: Constraint) -> bool | None:
    """Whether the entity has one of the constraint's values for its property (None: it has none at all)."""
    have = {q.object for q in kg.quads(NamedNode(iri), NamedNode(constraint.property), None)}
    if not have:
        return None
    for value in constraint.values:
        key = compact(value.text)
        for term in have:
            if isinstance(term, NamedNode):
                if term.value == value.iri or (key and compact(found.name(term.value)) == key):
                    return True
            elif isinstance(term, Literal) and key:
                mine = compact(term.value)
                dated = term.datatype.value.startswith(XSD + "g") or term.datatype.value == XSD + "date"
                if mine == key or (dated and (mine.startswith(key) or key.startswith(mine))):
                    return True
                if _number(term.value) is not None and _number(term.value) == _number(value.text):
                    return True
    return False


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
