"""The Reconciliation Service API 0.2 over the graph: match names to entities, suggest, preview and extend.

OpenRefine and other tools send a column of names (with perhaps a type and properties such as the developer)
and get back, for each, the candidate entities with scores from 0 to 100 and ``match: true`` where the name
stands for one entity unambiguously. Names are compared by the one matcher (:mod:`graph.matching`), built once
per store generation and kept on the knowledge graph (:func:`index`). Identifiers are local names: an entity's
id is its IRI without ``https://w3id.org/genai-kg/id/`` (the identifier space), a type's or a property's id its
IRI without ``https://w3id.org/genai-kg/ontology#`` (the schema space); full IRIs and ``gaid:``/``gai:``
prefixed names are accepted too.

Every input is bounded before it is read (:func:`parse_batch`, :func:`parse_extension`):

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import Literal, NamedNode, QuerySolutions

from .errors import BadParameter, BadRequest, NotFound, TooLarge
from .matching import SAME_NAME, Candidate, Matcher, Scored, candidates, compact, search
from .namespaces import GAI, GAID, GRAPH_ONTOLOGY, PREFIXES, expand
from .store import KnowledgeGraph

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

DEVELOPED_BY = GAI + "developedBy"
RELEASE_DATE = GAI + "releaseDate"
EVIDENCE, CLAIM = GAI + "Evidence", GAI + "Claim"
XSD = PREFIXES["xsd"]
#: The types a user most often reconciles against, most useful first (those the ontology declares).
DEFAULT_TYPES = (
    "AIModel",
    "Organization",
    "Product",
    "ModelFamily",
    "LargeLanguageModel",
    "GenerativeModel",
    "GenerativeAI",
    "AISystem",
)
TYPE_STRICT = ("any", "should", "all")
QUERY_KEYS = frozenset({"query", "type", "limit", "properties", "type_strict"})

#: How much an organisation given with the query keeps of a candidate's score, by how it relates (see matching).
ORGANIZATION_FACTOR = {2: 1.0, 1: 0.95, 0: 0.9, -1: 0.5}
#: How much a property constraint keeps: met, not known for the candidate, contradicted.
PROPERTY_FACTOR = {True: 1.0, None: 0.95, False: 0.7}

CLASSES = """
SELECT ?c ?label ?definition ?super ?ns WHERE {
  ?c a owl:Class FILTER(isIRI(?c) && STRSTARTS(STR(?c), STR(?ns)))
  OPTIONAL { ?c rdfs:label ?label }
  OPTIONAL { ?c skos:definition ?definition }
  OPTIONAL { ?c rdfs:subClassOf ?super FILTER(isIRI(?super) && STRSTARTS(STR(?super), STR(?ns))) }
}
"""
PROPERTIES = """
SELECT ?p ?label ?definition ?range ?ns WHERE {
  VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty }
  ?p a ?kind FILTER(isIRI(?p) && STRSTARTS(STR(?p), STR(?ns)))
  OPTIONAL { ?p rdfs:label ?label }
  OPTIONAL { ?p skos:definition ?definition }
  OPTIONAL { ?p rdfs:range ?range FILTER(isIRI(?range)) }
}
"""
FACTS = "SELECT ?x ?org ?date WHERE { { ?x gai:developedBy ?org } UNION { ?x gai:releaseDate ?date } }"
USED = """
SELECT ?p (COUNT(DISTINCT ?x) AS ?n) ?type WHERE { ?x a ?type ; ?p ?o } GROUP BY ?p ?type ORDER BY DESC(?n) ?p
"""
USED_BY_ANY = "SELECT ?p (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x ?p ?o } GROUP BY ?p ORDER BY DESC(?n) ?p"
ABOUT = "SELECT ?p ?o ?s WHERE { ?s ?p ?o }"
#: Properties outside the ontology that data extension offers too.
EXTRA_PROPERTIES = {
    PREFIXES["skos"] + "altLabel": ("alternative name", "Another name of the entity."),
    PREFIXES["skos"] + "exactMatch": ("same as", "The same entity in another knowledge base (Wikidata, DBpedia…)."),
    PREFIXES["skos"] + "closeMatch": ("close to", "A close entity in another knowledge base."),
}


def _prefixed(sparql: str) -> str:
    names = ("rdfs", "skos", "owl")
    return "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in names) + f"PREFIX gai: <{GAI}>\n" + sparql


def _select(kg: KnowledgeGraph, sparql: str, **bound: NamedNode) -> QuerySolutions:
    result = kg.query(_prefixed(sparql), substitutions=bound or None)
    assert isinstance(result, QuerySolutions)
    return result


# -- identifiers --------------------------------------------------------------------------------------


def short(iri: str, namespace: str = GAI) -> str:
    """The id of an IRI: its local name in ``namespace``, else a prefixed name, else the IRI itself.

    >>> short("https://w3id.org/genai-kg/ontology#AIModel"), short("http://www.w3.org/2004/02/skos/core#altLabel")
    ('AIModel', 'skos:altLabel')
    """
    if iri.startswith(namespace) and len(iri) > len(namespace):
        return iri[len(namespace) :]
    for prefix, base in PREFIXES.items():
        if iri.startswith(base) and base != namespace and len(iri) > len(base):
            return f"{prefix}:{iri[len(base) :]}"
    return iri


def full(id: str, namespace: str = GAI) -> str:
    """The IRI an id stands for: a full IRI, a prefixed name, or a local name in ``namespace``.

    >>> full("GPT-4.5", GAID), full("gai:AIModel"), full("AIModel")
    ('https://w3id.org/genai-kg/id/GPT-4.5', 'https://w3id.org/genai-kg/ontology#AIModel', 'https://w3id.org/genai-kg/ontology#AIModel')
    """
    expanded = expand(id)
    if expanded != id or "://" in id:
        return expanded
    return namespace + id


def _node(id: str, namespace: str, what: str) -> NamedNode:
    try:
        return NamedNode(full(id, namespace))
    except ValueError:
        raise BadParameter(what, f"{id[:80]!r} is not an identifier") from None


# -- the index, once per generation --------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A class or property of the ontology: its name, its definition, its broader classes or its range."""

    iri: str
    name: str
    description: str = ""
    broader: tuple[str, ...] = ()
    range: str | None = None


@dataclass
class Index:
    """What reconciliation reads of one generation of the store: the matcher over the entities, every
    resource's name, the ontology's classes and properties, and a short description of each entity."""

    matcher: Matcher
    names: dict[str, str]
    aliases: dict[str, tuple[str, ...]]
    classes: dict[str, Term]
    properties: dict[str, Term]
    descriptions: dict[str, str] = field(default_factory=dict)
    entities: dict[str, Candidate] = field(default_factory=dict)

    def name(self, iri: str) -> str:
        return self.names.get(iri) or short(iri, GAID if iri.startswith(GAID) else GAI)

    def specific_types(self, candidate: Candidate) -> list[str]:
        """The candidate's classes of the ontology that no other of its classes is a subclass of."""
        mine = [t for t in candidate.types if t in self.classes]
        broader = {b for t in mine for b in self.ancestors(t) if b != t}
        return sorted((t for t in mine if t not in broader), key=lambda t: self.classes[t].name.lower())

    def ancestors(self, iri: str) -> set[str]:
        seen, todo = set(), [iri]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.classes[current].broader if current in self.classes else ())
        return seen


KEY = "reconciliation"


def index(kg: KnowledgeGraph) -> Index:
    """The index of the store's current generation, built at most once per generation (per process)."""
    generation = kg.generation
    cached = kg.extensions.get(KEY)
    if cached is not None and cached[0] == generation:
        built: Index = cached[1]
        return built
    built = _build(kg)
    kg.extensions[KEY] = (generation, built)
    return built


def _terms(kg: KnowledgeGraph, sparql: str, related: str) -> dict[str, Term]:
    """The ontology's classes (``related``: ``super``) or properties (``related``: ``range``), by IRI."""
    found: dict[str, dict[str, Any]] = {}
    graphs = [GRAPH_ONTOLOGY.value]
    result = kg.query(_prefixed(sparql), substitutions={"ns": NamedNode(GAI)}, default_graph_uris=graphs)
    assert isinstance(result, QuerySolutions)
    for row in result:
        iri, name, definition, other = row[0].value, row[1], row[2], row[3]
        entry = found.setdefault(iri, {"name": "", "description": "", "broader": set(), "range": None})
        if isinstance(name, Literal) and (not entry["name"] or name.language in (None, "en")):
            entry["name"] = name.value
        if isinstance(definition, Literal):
            entry["description"] = definition.value
        if other is not None and related == "super":
            entry["broader"].add(other.value)
        elif other is not None:
            entry["range"] = other.value
    return {
        iri: Term(iri, e["name"] or short(iri), e["description"], tuple(sorted(e["broader"])), e["range"])
        for iri, e in found.items()
    }


def _build(kg: KnowledgeGraph) -> Index:
    every = candidates(kg, closed=True)  # a served store's closure is materialised
    names = {c.iri: c.label for c in every}
    aliases = {c.iri: c.labels for c in every}
    entities = [c for c in every if c.iri.startswith(GAID) and EVIDENCE not in c.types and CLAIM not in c.types]
    classes = _terms(kg, CLASSES, "super")
    properties = _terms(kg, PROPERTIES, "range")
    for iri, (name, description) in EXTRA_PROPERTIES.items():
        properties[iri] = Term(iri, name, description)
    built = Index(Matcher(entities), names, aliases, classes, properties, entities={c.iri: c for c in entities})
    developers: dict[str, set[str]] = {}
    dates: dict[str, set[str]] = {}
    for row in _select(kg, FACTS):
        if row["org"] is not None:
            developers.setdefault(row["x"].value, set()).add(built.name(row["org"].value))
        elif row["date"] is not None:
            dates.setdefault(row["x"].value, set()).add(row["date"].value)
    for entity in entities:
        kinds = ", ".join(built.classes[t].name for t in built.specific_types(entity)[:3])
        parts = [kinds]
        if entity.iri in developers:
            parts.append("by " + ", ".join(sorted(developers[entity.iri])[:3]))
        if entity.iri in dates:
            parts.append(min(dates[entity.iri]))
        built.descriptions[entity.iri] = " · ".join(p for p in parts if p)
    return built


# -- requests, read strictly -----------------------------------------------------------------------------


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
    return Constraint(_node(pid, GAI, f"{what}.pid").value, tuple(_value(v, f"{what}.v") for v in values))


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


# -- reconciliation ----------------------------------------------------------------------------------------


def default_types(kg: KnowledgeGraph) -> list[dict[str, str]]:
    """The manifest's default types: the ontology's most useful classes for reconciling, most useful first."""
    found = index(kg)
    return [_type(found, GAI + name) for name in DEFAULT_TYPES if GAI + name in found.classes]


def _type(found: Index, iri: str) -> dict[str, str]:
    term = found.classes.get(iri)
    return {"id": short(iri), "name": term.name if term else short(iri)}


def reconcile(kg: KnowledgeGraph, queries: Sequence[Query]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The reconciliation result batch for ``queries``: each query's candidates, best first."""
    found = index(kg)
    return {query.key: {"result": _result(kg, found, query)} for query in queries}


def _result(kg: KnowledgeGraph, found: Index, query: Query) -> list[dict[str, Any]]:
    organizations = [
        value.iri or value.text for c in query.constraints if c.property == DEVELOPED_BY for value in c.values
    ]
    others = [c for c in query.constraints if c.property != DEVELOPED_BY]
    by_id = _by_id(found, query.text) if query.text else None
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


def _by_id(found: Index, text: str) -> Candidate | None:
    """The entity a query names by its IRI or prefixed name, as the API expects a service to recognise."""
    if "://" not in text and not text.startswith("gaid:"):
        return None
    return found.entities.get(expand(text.strip()))


def _candidate(found: Index, candidate: Candidate, score: float, match: bool, features: list[Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": short(candidate.iri, GAID), "name": candidate.label}
    description = found.descriptions.get(candidate.iri)
    if description:
        entry["description"] = description
    entry["score"] = score
    entry["match"] = match
    entry["type"] = [_type(found, t) for t in found.specific_types(candidate)]
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


# -- suggest, preview ------------------------------------------------------------------------------------


def suggest_entities(kg: KnowledgeGraph, prefix: str, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Entities whose name contains ``prefix`` (compared as the matcher does), exact and starting names first."""
    found = index(kg)
    named = _by_id(found, prefix)
    hits = [named] if named else found.matcher.search(prefix, limit=cursor + limit) if prefix.strip() else []
    result = []
    for candidate in hits[cursor : cursor + limit]:
        entry: dict[str, Any] = {"id": short(candidate.iri, GAID), "name": candidate.label}
        if found.descriptions.get(candidate.iri):
            entry["description"] = found.descriptions[candidate.iri]
        entry["notable"] = [_type(found, t) for t in found.specific_types(candidate)]
        result.append(entry)
    return result


def _suggest_terms(found: Index, terms: dict[str, Term], prefix: str, cursor: int, limit: int) -> list[Term]:
    if not prefix.strip():
        ranked = sorted(terms.values(), key=lambda t: (t.name.lower(), t.iri))
    else:
        names = [
            (iri, name) for iri, term in terms.items() for name in (term.name, short(iri), *found.aliases.get(iri, ()))
        ]
        ranked = [terms[iri] for iri in search(names, prefix, limit=cursor + limit)]
    return ranked[cursor : cursor + limit]


def suggest_types(kg: KnowledgeGraph, prefix: str, cursor: int, limit: int) -> list[dict[str, Any]]:
    """Classes of the ontology whose name contains ``prefix``."""
    found = index(kg)
    result = []
    for term in _suggest_terms(found, found.classes, prefix, cursor, limit):
        entry: dict[str, Any] = {"id": short(term.iri), "name": term.name}
        if term.description:
            entry["description"] = term.description
        entry["broader"] = [_type(found, b) for b in term.broader]
        result.append(entry)
    return result


def suggest_properties(kg: KnowledgeGraph, prefix: str, cursor: int, limit: int) -> list[dict[str, str]]:
    """Properties whose name contains ``prefix``: the ontology's, and a few of SKOS's."""
    found = index(kg)
    return [_property(term) for term in _suggest_terms(found, found.properties, prefix, cursor, limit)]


def _property(term: Term) -> dict[str, str]:
    entry = {"id": short(term.iri), "name": term.name}
    if term.description:
        entry["description"] = term.description
    return entry


@dataclass(frozen=True)
class Preview:
    """What an entity's preview shows: its name, id, IRI, description, types and other names."""

    id: str
    iri: str
    name: str
    description: str
    types: tuple[str, ...]
    aliases: tuple[str, ...]


def preview(kg: KnowledgeGraph, id: str) -> Preview:
    """The preview of one entity; :class:`NotFound` for an id that names none."""
    found = index(kg)
    iri = full(id, GAID)
    candidate = found.entities.get(iri)
    if candidate is None:
        raise NotFound(f"no entity {id[:80]!r} in the identifier space {GAID}")
    types = tuple(found.classes[t].name for t in found.specific_types(candidate))
    aliases = tuple(a for a in candidate.labels if a != candidate.label)
    return Preview(short(iri, GAID), iri, candidate.label, found.descriptions.get(iri, ""), types, aliases)


# -- data extension ---------------------------------------------------------------------------------------


def propose_properties(kg: KnowledgeGraph, type_id: str, limit: int) -> list[dict[str, str]]:
    """The properties worth fetching for members of a class (of any entity, with no class): those its members
    have, most used first."""
    found = index(kg)
    node = _node(type_id or "AISystem", GAI, "type")  # OpenRefine sends an empty type for an untyped column
    if node.value not in found.classes:
        raise BadParameter("type", f"{type_id[:80]!r} is not a class of the ontology")
    rows = _select(kg, USED, type=node) if type_id else _select(kg, USED_BY_ANY)
    used = [row["p"].value for row in rows if isinstance(row["p"], NamedNode)]
    return [_property(found.properties[p]) for p in used if p in found.properties][:limit]


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
            entry["type"] = _type(found, term.range)
        meta.append(entry)
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for id in extension.ids:
        values: dict[str, list[Any]] = {iri: [] for iri, _, _ in wanted}
        node = _node(id, GAID, "extend.ids")
        if node.value in found.entities:
            for row in _select(kg, ABOUT, s=node):
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
