"""The API's requests, read strictly: a query batch (``queries=``) and a data extension (``extend=``), each
checked against the API's schema and bounded before it is read.

>>> [q.text for q in parse_batch('{"q0": {"query": "DALL·E 3", "type": "AIModel"}}')]
['DALL·E 3']
>>> parse_batch('{"q0": {"limit": 1}}')
Traceback (most recent call last):
graph.errors.BadRequest: queries: "q0" needs a "query" or at least one of "properties"
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest, TooLarge
from ..namespaces import GAI, GAID, expand
from .identifiers import full, node

#: Queries in one batch at most (the manifest says so as ``batchSize``; more is 413, as the API allows).
MAX_BATCH = 100
#: Candidates per query at most, and when the query does not say.
MAX_LIMIT, DEFAULT_LIMIT = 100, 10
#: Characters of a query string, a property value, an identifier or a batch key at most.
MAX_TEXT = 500
#: Property constraints per query, and values per constraint, at most.
MAX_PROPERTIES, MAX_VALUES = 20, 20
#: Entities and properties of one data extension at most.
MAX_IDS, MAX_EXTEND_PROPERTIES = 200, 20
#: Values per entity and property in a data extension at most.
MAX_EXTEND_VALUES = 100
#: How deeply a JSON parameter may nest (a batch's deepest value, ``{q: {properties: [{v: [{id}]}]}}``, is 5).
MAX_DEPTH = 8
#: Characters of one JSON parameter at most.
MAX_JSON = 1 << 20
#: Suggestions skipped at most (``cursor``).
MAX_CURSOR = 10_000

TYPE_STRICT = ("any", "should", "all")
QUERY_KEYS = frozenset({"query", "type", "limit", "properties", "type_strict"})


@dataclass(frozen=True)
class Value:
    """A property value of a query: an entity's IRI (when given as ``{"id": …}`` or as an IRI) and a text."""

    text: str
    iri: str | None = None


@dataclass(frozen=True)
class Constraint:
    """A property (its IRI) and the values a candidate should have for it."""

    property: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Query:
    """One reconciliation query of a batch."""

    key: str
    text: str | None
    types: tuple[str, ...] = ()
    all_types: bool = False
    limit: int = DEFAULT_LIMIT
    constraints: tuple[Constraint, ...] = ()


def load_json(text: str, what: str) -> Any:
    """``text`` parsed as JSON, after its size and nesting are checked (without recursion)."""
    if len(text) > MAX_JSON:
        raise TooLarge(f"{what}: {len(text)} characters; this service accepts at most {MAX_JSON}")
    depth = deepest = 0
    for bracket in re.sub(r'"(?:[^"\\]|\\.)*"?', "", text):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif bracket in "]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise BadRequest(f"{what}: the JSON nests {deepest} levels deep; this service accepts at most {MAX_DEPTH}")
    try:
        return json.loads(text)
    except ValueError as error:
        raise BadRequest(f"{what}: not JSON ({error})") from None


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{what} must be a string")
    if len(value) > MAX_TEXT:
        raise TooLarge(f"{what}: {len(value)} characters; this service accepts at most {MAX_TEXT}")
    return value


def _value(value: object, what: str) -> Value:
    if isinstance(value, dict):
        id = _text(value.get("id"), f"{what}.id")
        name = value.get("name")
        return Value(_text(name, f"{what}.name") if name is not None else id, full(id, GAID))
    if isinstance(value, bool):
        return Value("true" if value else "false")
    if isinstance(value, int | float):
        return Value(repr(value) if math.isfinite(value) else "")
    text = _text(value, what)
    return Value(text, expand(text) if ("://" in text or expand(text) != text) else None)


def _constraint(item: object, what: str) -> Constraint:
    if not isinstance(item, dict) or "pid" not in item or "v" not in item:
        raise BadRequest(f'{what} must be an object with "pid" and "v"')
    pid = _text(item["pid"], f"{what}.pid")
    values = item["v"] if isinstance(item["v"], list) else [item["v"]]
    if len(values) > MAX_VALUES:
        raise TooLarge(f"{what}: {len(values)} values; this service accepts at most {MAX_VALUES}")
    return Constraint(node(pid, GAI, f"{what}.pid").value, tuple(_value(v, f"{what}.v") for v in values))


def _query(key: str, spec: object) -> Query:
    what = f"queries: {json.dumps(key[:40])}"
    if not isinstance(spec, dict):
        raise BadRequest(f"{what} must be an object")
    unknown = sorted(set(spec) - QUERY_KEYS)
    if unknown:
        raise BadRequest(f"{what}: unknown field {unknown[0][:40]!r} (fields: {', '.join(sorted(QUERY_KEYS))})")
    text = _text(spec["query"], f"{what}.query") if "query" in spec else None
    kinds = spec.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, list) or len(kinds) > MAX_VALUES:
        raise BadRequest(f"{what}.type must be a type's id or a list of at most {MAX_VALUES} of them")
    types = tuple(full(_text(t, f"{what}.type")) for t in kinds)
    strict = spec.get("type_strict", "any")
    if strict not in TYPE_STRICT:
        raise BadRequest(f"{what}.type_strict must be one of {', '.join(TYPE_STRICT)}")
    limit = spec.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not 1 <= limit < math.inf:
        raise BadRequest(f"{what}.limit must be a positive number")
    items = spec.get("properties", [])
    if not isinstance(items, list):
        raise BadRequest(f"{what}.properties must be a list")
    if len(items) > MAX_PROPERTIES:
        raise TooLarge(f"{what}: {len(items)} properties; this service accepts at most {MAX_PROPERTIES}")
    constraints = tuple(_constraint(item, f"{what}.properties[{n}]") for n, item in enumerate(items))
    if text is None and not constraints:
        raise BadRequest(f'{what} needs a "query" or at least one of "properties"')
    return Query(key, text, types, strict == "all", min(int(limit), MAX_LIMIT), constraints)


def parse_batch(text: str) -> tuple[Query, ...]:
    """A reconciliation query batch (JSON, ``queries=``), checked against the API's schema and our bounds."""
    batch = load_json(text, "queries")
    if not isinstance(batch, dict):
        raise BadRequest("queries must be a JSON object of queries by key")
    if len(batch) > MAX_BATCH:
        raise TooLarge(f"queries: {len(batch)} in one batch; this service accepts at most {MAX_BATCH}")
    return tuple(_query(_text(key, "queries: a key"), spec) for key, spec in batch.items())


@dataclass(frozen=True)
class Extension:
    """A data extension query: entity IRIs, and properties (IRIs) with the most values each (0: all)."""

    ids: tuple[str, ...]
    properties: tuple[tuple[str, int], ...]


def parse_extension(text: str) -> Extension:
    """A data extension query (JSON, ``extend=``), checked against the API's schema and our bounds."""
    spec = load_json(text, "extend")
    if not isinstance(spec, dict) or not isinstance(spec.get("ids"), list):
        raise BadRequest('extend must be a JSON object with "ids" and "properties" lists')
    if not isinstance(spec.get("properties"), list):
        raise BadRequest('extend must be a JSON object with "ids" and "properties" lists')
    ids, items = spec["ids"], spec["properties"]
    if len(ids) > MAX_IDS or len(items) > MAX_EXTEND_PROPERTIES:
        raise TooLarge(f"extend: at most {MAX_IDS} ids and {MAX_EXTEND_PROPERTIES} properties at once")
    properties = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            raise BadRequest(f'extend.properties[{n}] must be an object with an "id"')
        settings = item.get("settings", {})
        if not isinstance(settings, dict):
            raise BadRequest(f"extend.properties[{n}].settings must be an object")
        limit = settings.get("limit", 0)
        try:
            most = int(limit) if not isinstance(limit, bool) else -1
        except (TypeError, ValueError, OverflowError):  # not a number, NaN, Infinity
            most = -1
        if most < 0:
            raise BadRequest(f"extend.properties[{n}].settings.limit must be a number, 0 or more")
        properties.append((_text(item["id"], f"extend.properties[{n}].id"), min(most, MAX_EXTEND_VALUES)))
    return Extension(tuple(_text(i, "extend.ids[]") for i in ids), tuple(properties))
