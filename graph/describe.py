"""Resource descriptions as data: what the graph says about one IRI, for linked-data pages and RDF documents.

A description is the IRI's outgoing triples (asserted and inferred, each with the named graphs that hold it),
the closure of the blank nodes it points to (OWL restrictions, lists), and its incoming triples. The IRI
reaches SPARQL only bound as a validated IRI (``NamedNode``, by substitution), never as text. A Skolem IRI (how a remote engine
keeps a blank node) is read as the blank node it stands for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import cast

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, QuerySolutions, Triple

from .namespaces import GENID, GRAPH_INFERRED, GRAPH_ONTOLOGY, PREFIXES, compact, is_anonymous
from .skolem import blank_triple
from .store import GRAPH_RESULTS, KnowledgeGraph, Term

RDF = PREFIXES["rdf"]
RDFS = PREFIXES["rdfs"]
OWL = PREFIXES["owl"]
SKOS = PREFIXES["skos"]
DCTERMS = PREFIXES["dcterms"]

TYPE = NamedNode(RDF + "type")
LABEL = NamedNode(RDFS + "label")
PREF_LABEL = NamedNode(SKOS + "prefLabel")
DEFINITION = NamedNode(SKOS + "definition")
COMMENT = NamedNode(RDFS + "comment")
SOURCE = NamedNode(DCTERMS + "source")
MATCHES = (NamedNode(SKOS + "exactMatch"), NamedNode(SKOS + "closeMatch"), NamedNode(OWL + "sameAs"))

#: Incoming triples an RDF description carries at most (a class may have thousands of members).
INCOMING_LIMIT = 1000

Value = NamedNode | BlankNode | Literal

#: Not a blank node, nor the Skolem IRI of one.
_NAMED = "(!isBlank({0}) && !STRSTARTS(STR({0}), " + f'"{GENID}"))'

#: What ``?node`` (bound by substitution) states: every outgoing triple, but blank-node values only asserted.
OUTGOING = f"""
CONSTRUCT {{ ?node ?p ?o }}
WHERE {{
  ?node ?p ?o
  FILTER({_NAMED.format("?o")} || EXISTS {{ GRAPH ?g {{ ?node ?p ?o }} FILTER(?g != {GRAPH_INFERRED}) }})
}}
"""

#: Every named resource that points at ``?node``, with the predicate. They are put in order here, not by the
#: query: Oxigraph decodes both terms at every comparison of an ``ORDER BY``, which took 9.5 s for the 101,025
#: resources that point at gai:AIModel at 1.15M triples, twice a page (reading them all and sorting: 1.6 s).
REFERRERS = f"""SELECT ?node ?x ?q WHERE {{ ?x ?q ?node FILTER{_NAMED.format("?x")} }}"""

INCOMING_COUNTS = f"""
SELECT ?node ?q (COUNT(DISTINCT ?x) AS ?n)
WHERE {{ ?x ?q ?node FILTER{_NAMED.format("?x")} }}
GROUP BY ?node ?q ORDER BY ?q
"""


def _about(iri: str) -> dict[str, Term]:
    """The substitution that makes one of the queries above about ``iri`` (``NamedNode`` validates it)."""
    return {"node": NamedNode(iri)}


@dataclass(frozen=True)
class Statement:
    """One outgoing fact: predicate and value, the graphs that hold it, and whether only inference says it."""

    predicate: NamedNode
    value: Value
    graphs: tuple[str, ...]

    @property
    def inferred(self) -> bool:
        return self.graphs == (GRAPH_INFERRED.value,)


@dataclass(frozen=True)
class Referrer:
    """One incoming link: ``subject predicate <the described IRI>``."""

    subject: NamedNode
    predicate: NamedNode


@dataclass
class Description:
    """What the graph says about one IRI, arranged for a page."""

    iri: str
    label: str | None
    definition: str | None
    types: list[Statement]
    statements: list[Statement]
    matches: list[Statement]
    sources: list[Statement]
    incoming: dict[NamedNode, int]
    #: Readable forms of the blank nodes among the values (class expressions), keyed by blank node.
    expressions: dict[Value, list[str | NamedNode]] = field(default_factory=dict)

    @property
    def incoming_total(self) -> int:
        return sum(self.incoming.values())


def exists(kg: KnowledgeGraph, iri: str) -> bool:
    """True when some triple has ``iri`` as subject, predicate or object."""
    node = NamedNode(iri)
    patterns = ((node, None, None), (None, None, node), (None, node, None))
    return any(next(iter(kg.quads(*p)), None) is not None for p in patterns)


def _graph_name(graph: NamedNode | BlankNode | DefaultGraph) -> str:
    return graph.value if isinstance(graph, NamedNode) else ""


def _literal_text(kg: KnowledgeGraph, node: NamedNode | BlankNode, predicate: NamedNode) -> str | None:
    """The English (or untagged) literal value of ``predicate`` on ``node``, else any."""
    found = [q.object for q in kg.quads(node, predicate, None) if isinstance(q.object, Literal)]
    found.sort(key=lambda lit: (lit.language not in (None, "en"), lit.value))
    return found[0].value if found else None


def label(kg: KnowledgeGraph, node: NamedNode) -> str:
    """A person's name for ``node``: its label, else its prefixed name."""
    return _literal_text(kg, node, LABEL) or _literal_text(kg, node, PREF_LABEL) or compact(node.value)


#: Above this many IRIs :func:`labels` reads every label of the store once per generation (1 s at 1.15M
#: triples) instead of asking for each one's (about 0.1 ms each: 10 s for the 100,000 of a listing).
FEW = 5000
#: The :meth:`~graph.store.KnowledgeGraph.cached` key of every label of the store.
LABELS_KEY = "every label"
EVERY_LABEL = "SELECT ?x ?p ?name WHERE { ?x rdfs:label|skos:prefLabel ?name FILTER(isIRI(?x) && isLiteral(?name)) }"


def labels(kg: KnowledgeGraph, nodes: Iterable[object]) -> dict[str, str]:
    """Labels for every IRI among ``nodes``, keyed by IRI string."""
    iris = {n.value for n in nodes if isinstance(n, NamedNode)}
    known = kg.cached(LABELS_KEY, _every_label) if len(iris) > FEW else {}
    return {iri: known.get(iri) or label(kg, NamedNode(iri)) for iri in iris}


def _every_label(kg: KnowledgeGraph) -> dict[str, str]:
    """Every IRI's :func:`label` that has one, chosen as it chooses: ``rdfs:label`` before ``skos:prefLabel``,
    English or untagged first, then the first in order."""
    best: dict[str, tuple[bool, bool, str]] = {}
    result = kg.query(EVERY_LABEL)
    assert isinstance(result, QuerySolutions)
    for row in result:
        name = row["name"]
        rank = (row["p"] != LABEL, name.language not in (None, "en"), name.value)
        iri = row["x"].value
        if iri not in best or rank < best[iri]:
            best[iri] = rank
    return {iri: rank[2] for iri, rank in best.items()}


def describe(kg: KnowledgeGraph, iri: str) -> Description:
    """Everything the graph states about ``iri`` (outgoing, grouped), and counts of what points at it."""
    node = NamedNode(iri)
    held: dict[tuple[NamedNode, Value], list[str]] = {}
    for quad in kg.quads(node, None, None):
        value = quad.object
        if isinstance(value, Triple):
            continue
        graph = _graph_name(quad.graph_name)
        if is_anonymous(value) and graph == GRAPH_INFERRED.value:
            continue  # anonymous classes the reasoner derived: true but unreadable
        held.setdefault((quad.predicate, value), []).append(graph)
    statements = [Statement(p, v, tuple(sorted(set(g)))) for (p, v), g in held.items()]
    statements.sort(key=lambda s: (compact(s.predicate.value), s.inferred, str(s.value)))
    description = Description(
        iri=iri,
        label=_literal_text(kg, node, LABEL) or _literal_text(kg, node, PREF_LABEL),
        definition=_literal_text(kg, node, DEFINITION) or _literal_text(kg, node, COMMENT),
        types=[s for s in statements if s.predicate == TYPE and isinstance(s.value, NamedNode)],
        statements=[s for s in statements if s.predicate not in (TYPE, *MATCHES, SOURCE)],
        matches=[s for s in statements if s.predicate in MATCHES],
        sources=[s for s in statements if s.predicate == SOURCE],
        incoming=incoming_counts(kg, iri),
    )
    for statement in statements:
        if is_anonymous(statement.value):
            description.expressions[statement.value] = expression(kg, statement.value)
    return description


def incoming_counts(kg: KnowledgeGraph, iri: str) -> dict[NamedNode, int]:
    """How many distinct resources point at ``iri``, per predicate."""
    result = kg.query(INCOMING_COUNTS, substitutions=_about(iri))
    assert isinstance(result, QuerySolutions)
    counts: dict[NamedNode, int] = {}
    for row in result:
        predicate, count = row["q"], row["n"]
        if isinstance(predicate, NamedNode) and isinstance(count, Literal):
            counts[predicate] = int(count.value)
    return counts


def referrers(kg: KnowledgeGraph, iri: str) -> list[Referrer]:
    """The named resources that point at ``iri``, each once per predicate, ordered by predicate then subject."""
    result = kg.query(REFERRERS, substitutions=_about(iri))
    assert isinstance(result, QuerySolutions)
    found = {
        (row["q"].value, row["x"].value): Referrer(row["x"], row["q"])
        for row in result
        if isinstance(row["x"], NamedNode) and isinstance(row["q"], NamedNode)
    }
    return [found[key] for key in sorted(found)]


def _blank_closure(kg: KnowledgeGraph, start: Iterable[Value]) -> Iterator[Triple]:
    """The asserted triples reachable from ``start`` through blank nodes (restrictions, RDF lists)."""
    seen: set[Value] = set()
    todo = list(start)
    while todo:
        blank = todo.pop()
        if blank in seen:
            continue
        seen.add(blank)
        for quad in kg.quads(blank, None, None):
            if quad.graph_name == GRAPH_INFERRED:
                continue
            yield Triple(quad.subject, quad.predicate, quad.object)
            if is_anonymous(quad.object):
                todo.append(quad.object)  # type: ignore[arg-type]


def description_triples(kg: KnowledgeGraph, iri: str, pointing: list[Referrer] | None = None) -> list[Triple]:
    """The RDF description of ``iri``: outgoing triples, the first :data:`INCOMING_LIMIT` incoming ones (of
    ``pointing``, its :func:`referrers` when the caller has them), and the blank-node closure."""
    outgoing = kg.query(OUTGOING, substitutions=_about(iri))
    assert isinstance(outgoing, GRAPH_RESULTS)
    node = NamedNode(iri)
    triples = list(dict.fromkeys(outgoing))  # a triple held in several graphs comes once
    pointing = referrers(kg, iri) if pointing is None else pointing
    triples += [Triple(r.subject, r.predicate, node) for r in pointing[:INCOMING_LIMIT]]
    blanks = [t.object for t in triples if is_anonymous(t.object)]
    closure = [t for t in _blank_closure(kg, blanks) if t not in triples]
    described = [t for t in triples if isinstance(t, Triple)] + list(dict.fromkeys(closure))
    return [blank_triple(t) for t in described]  # a remote engine's Skolem IRIs as the blank nodes they are


def ontology_triples(kg: KnowledgeGraph) -> list[Triple]:
    """The ontology document: every triple of the ontology graph."""
    quads = kg.quads(None, None, None, GRAPH_ONTOLOGY)
    return [Triple(q.subject, q.predicate, q.object) for q in quads]


# -- class expressions in Manchester-like words ----------------------------------------------------------

_RESTRICTIONS = {
    "someValuesFrom": "some",
    "allValuesFrom": "only",
    "hasValue": "value",
    "minCardinality": "min",
    "maxCardinality": "max",
    "cardinality": "exactly",
    "minQualifiedCardinality": "min",
    "maxQualifiedCardinality": "max",
    "qualifiedCardinality": "exactly",
}
_CONNECTIVES = {"intersectionOf": "and", "unionOf": "or"}


def rdf_list(kg: KnowledgeGraph, head: object, *, limit: int = 100) -> list[object]:
    """The members of an RDF list."""
    items: list[object] = []
    first, rest, nil = NamedNode(RDF + "first"), NamedNode(RDF + "rest"), NamedNode(RDF + "nil")
    while is_anonymous(head) and head != nil and len(items) < limit:
        node = cast(NamedNode | BlankNode, head)
        items += [q.object for q in islice(kg.quads(node, first, None), 1)]
        nxt = [q.object for q in islice(kg.quads(node, rest, None), 1)]
        head = nxt[0] if nxt else nil
    return items


def expression(kg: KnowledgeGraph, node: object, depth: int = 0) -> list[str | NamedNode]:
    """A class expression as tokens (words and IRIs), e.g. ``[gai:GenerativeModel, ' and (', ...]``."""
    if isinstance(node, NamedNode) and not is_anonymous(node):
        return [node]
    if isinstance(node, Literal):
        return [node.value]
    if not is_anonymous(node) or depth > 6:
        return ["…"]
    facts = {q.predicate.value: q.object for q in kg.quads(cast(NamedNode | BlankNode, node), None, None)}
    for key, word in _CONNECTIVES.items():
        if OWL + key in facts:
            members = rdf_list(kg, facts[OWL + key])
            tokens: list[str | NamedNode] = []
            for i, member in enumerate(members):
                if i:
                    tokens.append(f" {word} ")
                inner = expression(kg, member, depth + 1)
                tokens += ["(", *inner, ")"] if is_anonymous(member) else inner
            return tokens
    if OWL + "complementOf" in facts:
        return ["not ", *expression(kg, facts[OWL + "complementOf"], depth + 1)]
    if OWL + "oneOf" in facts:
        tokens = ["{"]
        for i, member in enumerate(rdf_list(kg, facts[OWL + "oneOf"])):
            tokens += ([", "] if i else []) + expression(kg, member, depth + 1)
        return [*tokens, "}"]
    if OWL + "onProperty" in facts:
        prop = expression(kg, facts[OWL + "onProperty"], depth + 1)
        for key, word in _RESTRICTIONS.items():
            if OWL + key in facts:
                tokens = [*prop, f" {word} ", *expression(kg, facts[OWL + key], depth + 1)]
                qualifier = facts.get(OWL + "onClass")
                return tokens + ([" ", *expression(kg, qualifier, depth + 1)] if qualifier is not None else [])
    if RDF + "first" in facts:
        tokens = []
        for i, member in enumerate(rdf_list(kg, node)):
            tokens += ([" ∘ "] if i else []) + expression(kg, member, depth + 1)
        return tokens
    return ["…"]


# -- what the linked-data pages read (each one call of the query service) ---------------------------------


@dataclass(frozen=True)
class Page:
    """Everything the HTML page of one resource shows: its description, one page of the resources that
    point at it, the labels of every IRI on the page, and the triples of its embedded JSON-LD."""

    description: Description
    referrers: list[Referrer]
    labels: dict[str, str]
    triples: list[Triple]


def page(kg: KnowledgeGraph, iri: str, number: int, size: int) -> Page | None:
    """The page of ``iri`` (page ``number`` of its referrers, ``size`` a page); None when nothing is known."""
    if not exists(kg, iri):
        return None
    description = describe(kg, iri)
    pointing = referrers(kg, iri)
    shown = pointing[(number - 1) * size : number * size]
    nodes: list[object] = [NamedNode(iri)]
    for statement in [*description.types, *description.statements, *description.matches, *description.sources]:
        nodes += [statement.predicate, statement.value]
    for tokens in description.expressions.values():
        nodes += tokens
    for referrer in shown:
        nodes += [referrer.subject, referrer.predicate]
    nodes += list(description.incoming)
    return Page(description, shown, labels(kg, nodes), description_triples(kg, iri, pointing))


def document(kg: KnowledgeGraph, iri: str) -> list[Triple] | None:
    """The RDF description of ``iri`` (:func:`description_triples`); None when nothing is known about it."""
    return description_triples(kg, iri) if exists(kg, iri) else None


def first_known(kg: KnowledgeGraph, iris: tuple[str, ...]) -> str | None:
    """The first of ``iris`` the graph says something about (to tell ``GPT-4.5.ttl`` from a name ending so)."""
    return next((iri for iri in iris if exists(kg, iri)), None)
