"""Data extension: the values of chosen properties for reconciled entities, and which properties are worth
fetching for the members of a class."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from pyoxigraph import Literal, NamedNode

from ..builds import reads
from ..errors import BadParameter
from ..namespaces import GAI, GAID, PREFIXES
from ..store import KnowledgeGraph
from .identifiers import full, node, short
from .index import KEY, Index, index, select
from .parsing import MAX_EXTEND_VALUES, Extension

XSD = PREFIXES["xsd"]
USED = """
SELECT ?p (COUNT(DISTINCT ?x) AS ?n) ?type WHERE { ?x a ?type ; ?p ?o } GROUP BY ?p ?type ORDER BY DESC(?n) ?p
"""
USED_BY_ANY = "SELECT ?p (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x ?p ?o } GROUP BY ?p ORDER BY DESC(?n) ?p"
ABOUT = "SELECT ?p ?o ?s WHERE { ?s ?p ?o }"


@reads(KEY)
def propose_properties(kg: KnowledgeGraph, type_id: str, limit: int) -> list[dict[str, str]]:
    """The properties worth fetching for members of a class (of any entity, with no class): those its members
    have, most used first."""
    found = index(kg)
    kind = node(type_id or "AISystem", GAI, "type")  # OpenRefine sends an empty type for an untyped column
    if kind.value not in found.classes:
        raise BadParameter("type", f"{type_id[:80]!r} is not a class of the ontology")
    rows = select(kg, USED, type=kind) if type_id else select(kg, USED_BY_ANY)
    used = [row["p"].value for row in rows if isinstance(row["p"], NamedNode)]
    return [found.properties[p].entry() for p in used if p in found.properties][:limit]


@reads(KEY)
def extend(kg: KnowledgeGraph, extension: Extension) -> dict[str, Any]:
    """The data extension response: for each entity and property, its values (``{id, name}`` for our entities,
    ``{str}``, ``{int}``, ``{float}`` or ``{date}`` for the rest)."""
    found = index(kg)
    wanted = [(full(pid), pid, most) for pid, most in extension.properties]
    meta = []
    for iri, pid, _ in wanted:
        term = found.properties.get(iri)
        entry: dict[str, Any] = {"id": pid, "name": term.name if term else pid}
        if term and term.range in found.classes:
            entry["type"] = found.type_entry(term.range)
        meta.append(entry)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for id in extension.ids:
        values: dict[str, list[Any]] = {iri: [] for iri, _, _ in wanted}
        entity = node(id, GAID, "extend.ids")
        if entity.value in found.entities:
            for row in select(kg, ABOUT, s=entity):
                if row["p"].value in values and row["o"] not in values[row["p"].value]:
                    values[row["p"].value].append(row["o"])
        rows[id] = {
            pid: [_cell(found, term) for term in _ordered(values[iri])][: most or MAX_EXTEND_VALUES]
            for iri, pid, most in wanted
        }
    return {"meta": meta, "rows": rows}


def _ordered(terms: Iterable[Any]) -> list[Any]:
    return sorted(terms, key=lambda t: (not isinstance(t, NamedNode), str(t)))


DATE = re.compile(r"^-?\d{4,}-\d\d-\d\d$")
DATE_TIME = re.compile(r"^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")
INTEGERS = {XSD + n for n in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
FLOATS = {XSD + n for n in ("double", "float", "decimal")}


def _cell(found: Index, term: Any) -> dict[str, Any]:
    """One value as the data extension response writes it."""
    if isinstance(term, NamedNode):
        if term.value in found.entities:
            return {"id": short(term.value, GAID), "name": found.name(term.value)}
        return {"str": found.names.get(term.value) or term.value}
    if not isinstance(term, Literal):
        return {}
    kind, text = term.datatype.value, term.value
    try:
        if kind in INTEGERS:
            return {"int": int(text)}
        if kind in FLOATS and math.isfinite(float(text)):
            return {"float": float(text)}
    except ValueError:
        pass
    if kind == XSD + "date" and DATE.match(text):
        return {"date": text + "T00:00:00Z"}
    if kind == XSD + "dateTime" and DATE_TIME.match(text):
        return {"date": text}
    return {"str": text}
