"""The schema closure (the ``scm-*`` rules) and its compilation into :class:`~.rules.Rules` tables.

Only the schema is held in memory: the asserted triples whose predicate is a schema predicate (subclass,
domain, restriction, list…) or that give a property a characteristic. It is small next to the data, so its
closure is computed first, by plain iteration to a fixpoint, with a derivation for each entailed schema
triple (explanations of schema triples walk these). Beyond OWL 2 RL's ``scm-*`` rules it applies two sound
rules that make class subsumption complete for conjunctions of existentials (e.g. ``Chair ⊑ Employee`` when
``Employee ≡ Person ⊓ ∃worksFor.Organization``, ``Chair ⊑ Person ⊓ ∃headOf.Department``, ``headOf ⊑
worksFor`` and ``Department ⊑ Organization``): ``scm-svf`` with property and filler both generalised at once,
and ``scm-int-sub`` (a subclass of every class of an intersection is a subclass of the intersection).

A compiled schema is cached by its fingerprint (a hash of its triples, which the store's closure state
records), so a process compiles each ontology once, whatever the number of writes that leave it alone.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, QuerySolutions

from ..namespaces import is_anonymous
from .dictionary import Term, TermDictionary
from .program import Rule, build_program
from .rules import Rules, Triple
from .vocabulary import (
    ALL_VALUES,
    CHAIN,
    DOMAIN,
    EQUIVALENT_CLASS,
    EQUIVALENT_PROPERTY,
    FIRST,
    FUNCTIONAL,
    HAS_KEY,
    HAS_VALUE,
    INTERSECTION,
    INVERSE,
    INVERSE_FUNCTIONAL,
    MAX_CARDINALITY,
    MAX_QUALIFIED,
    NIL,
    NODES,
    ON_CLASS,
    ON_PROPERTY,
    ONE_OF,
    RANGE,
    REST,
    SCHEMA_PREDICATES,
    SCHEMA_TYPES,
    SOME_VALUES,
    SUBCLASS,
    SUBPROPERTY,
    SYMMETRIC,
    THING,
    TRANSITIVE,
    TYPE,
    UNION,
)

if TYPE_CHECKING:
    from ..store import KnowledgeGraph

Relation = dict[int, set[int]]
Restriction = tuple[int, int, int, Triple]  # (restriction, property, filler or value, axiom)
Premises = tuple[Triple, ...]
Derivation = tuple[str, Premises]
TermTriple = tuple[Term, Term, Term]

_NONE: frozenset[int] = frozenset()

#: The asserted schema triples (all graphs but the inferred one): schema predicates and characteristics.
SCHEMA_QUERY = (
    "SELECT ?s ?p ?o WHERE {{ {{ VALUES ?p {{ {predicates} }} ?s ?p ?o }} UNION "
    "{{ VALUES ?o {{ {types} }} ?s a ?o BIND({type} AS ?p) }} }}".format(
        predicates=" ".join(str(NODES[p]) for p in sorted(SCHEMA_PREDICATES)),
        types=" ".join(str(NODES[c]) for c in sorted(SCHEMA_TYPES)),
        type=NODES[TYPE],
    )
)


class Index:
    """Schema triples as ids, indexed by predicate both ways (subject -> objects, object -> subjects)."""

    def __init__(self, values: dict[int, int]) -> None:
        #: Ids that cannot be subjects (literals), to their datatype; shared with the term dictionary.
        self.values = values
        self.out: dict[int, dict[int, set[int]]] = {}
        self.inn: dict[int, dict[int, set[int]]] = {}

    def insert(self, triple: Triple) -> None:
        s, p, o = triple
        self.out.setdefault(p, {}).setdefault(s, set()).add(o)
        self.inn.setdefault(p, {}).setdefault(o, set()).add(s)

    def __contains__(self, triple: Triple) -> bool:
        s, p, o = triple
        return o in self.out.get(p, {}).get(s, _NONE)

    def objects(self, s: int, p: int) -> set[int] | frozenset[int]:
        return self.out.get(p, {}).get(s, _NONE)

    def subjects(self, p: int, o: int) -> set[int] | frozenset[int]:
        return self.inn.get(p, {}).get(o, _NONE)


def read_list(index: Index, head: int) -> list[int] | None:
    """The members of a well-formed RDF list, or None when it is broken (several firsts, a cycle)."""
    members: list[int] = []
    seen: set[int] = set()
    while head != NIL:
        firsts, rests = index.objects(head, FIRST), index.objects(head, REST)
        if head in seen or len(firsts) != 1 or len(rests) != 1:
            return None
        seen.add(head)
        members.extend(firsts)
        (head,) = rests
    return members


class Schema:
    """Computes the closure of the ontology in ``index`` (asserted schema triples) and compiles its rules."""

    def __init__(self, index: Index, lexical: Callable[[int], str | None]) -> None:
        self.index = index
        self.lexical = lexical
        self.derived: dict[Triple, Derivation] = {}
        self.relations: dict[int, Relation] = {
            p: {s: set(objects) for s, objects in index.out.get(p, {}).items()}
            for p in (SUBCLASS, SUBPROPERTY, EQUIVALENT_CLASS, EQUIVALENT_PROPERTY, DOMAIN, RANGE)
        }
        self.some = self._restrictions(SOME_VALUES)
        self.values = self._restrictions(HAS_VALUE)
        self.alls = self._restrictions(ALL_VALUES)
        self.intersections = self._lists(INTERSECTION)
        self.enumerations = self._lists(ONE_OF)
        self.unions = self._lists(UNION)

    def _restrictions(self, kind: int) -> list[Restriction]:
        found = []
        for restriction, fillers in self.index.out.get(kind, {}).items():
            for prop in self.index.objects(restriction, ON_PROPERTY):
                found += [(restriction, prop, filler, (restriction, kind, filler)) for filler in fillers]
        return found

    def _lists(self, kind: int) -> list[tuple[int, tuple[int, ...], Triple]]:
        found = []
        for owner, heads in self.index.out.get(kind, {}).items():
            for head in heads:
                members = read_list(self.index, head)
                if members:
                    found.append((owner, tuple(members), (owner, kind, head)))
        return found

    # -- the closure ---------------------------------------------------------------------------------

    def _add(self, triple: Triple, rule: str, premises: Premises) -> bool:
        s, p, o = triple
        if s == o or o in self.relations[p].get(s, ()):
            return False
        self.relations[p].setdefault(s, set()).add(o)
        if triple not in self.index:
            self.derived[triple] = (rule, premises)
        return True

    def _supers(self, p: int, node: int) -> set[int]:
        return self.relations[p].get(node, set())

    def _transitive(self, p: int, rule: str) -> bool:
        changed = False
        relation = self.relations[p]
        for start in list(relation):
            parent: dict[int, int] = {}
            queue = deque(relation[start])
            seen = set(relation[start]) | {start}
            while queue:
                node = queue.popleft()
                for nxt in relation.get(node, ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        parent[nxt] = node
                        queue.append(nxt)
            for node in parent:  # BFS order: a node's parent is linked to ``start`` before the node is
                via = parent[node]
                changed |= self._add((start, p, node), rule, ((start, p, via), (via, p, node)))
        return changed

    def _round(self) -> bool:
        changed = False
        add = self._add
        for equivalence, sub, rule in (
            (EQUIVALENT_CLASS, SUBCLASS, "scm-eqc1"),
            (EQUIVALENT_PROPERTY, SUBPROPERTY, "scm-eqp1"),
        ):
            for a, bs in list(self.relations[equivalence].items()):
                for b in list(bs):
                    changed |= add((a, sub, b), rule, ((a, equivalence, b),))
                    changed |= add((b, sub, a), rule, ((a, equivalence, b),))
        for owner, members, axiom in self.intersections:
            for member in members:
                changed |= add((owner, SUBCLASS, member), "scm-int", (axiom,))
        for owner, members, axiom in self.unions:
            for member in members:
                changed |= add((member, SUBCLASS, owner), "scm-uni", (axiom,))
        changed |= self._transitive(SUBCLASS, "scm-sco")
        changed |= self._transitive(SUBPROPERTY, "scm-spo")
        for sub, equivalence, rule in (
            (SUBCLASS, EQUIVALENT_CLASS, "scm-eqc2"),
            (SUBPROPERTY, EQUIVALENT_PROPERTY, "scm-eqp2"),
        ):
            relation = self.relations[sub]
            for a, bs in list(relation.items()):
                for b in list(bs):
                    if a in relation.get(b, ()):
                        changed |= add((a, equivalence, b), rule, ((a, sub, b), (b, sub, a)))
        for kind, names in ((DOMAIN, ("scm-dom1", "scm-dom2")), (RANGE, ("scm-rng1", "scm-rng2"))):
            relation = self.relations[kind]
            for prop, classes in list(relation.items()):
                for c in list(classes):
                    for d in list(self._supers(SUBCLASS, c)):
                        changed |= add((prop, kind, d), names[0], ((prop, kind, c), (c, SUBCLASS, d)))
            for prop, supers in list(self.relations[SUBPROPERTY].items()):
                for q in list(supers):
                    for c in list(relation.get(q, ())):
                        changed |= add((prop, kind, c), names[1], ((prop, SUBPROPERTY, q), (q, kind, c)))
        return changed | self._intersection_subsumption() | self._restriction_subsumption()

    def _intersection_subsumption(self) -> bool:
        changed = False
        subs: dict[int, set[int]] = {}
        for a, bs in self.relations[SUBCLASS].items():
            for b in bs:
                subs.setdefault(b, set()).add(a)
        for owner, members, axiom in self.intersections:
            candidates = set.intersection(*({m} | subs.get(m, set()) for m in members))
            for x in candidates - {owner}:
                premises = tuple((x, SUBCLASS, m) for m in members if m != x)
                changed |= self._add((x, SUBCLASS, owner), "scm-int-sub", (*premises, axiom))
        return changed

    def _restriction_subsumption(self) -> bool:
        changed = False
        by_property: dict[int, dict[int, list[Restriction]]] = {}
        for kind, restrictions in ((SOME_VALUES, self.some), (HAS_VALUE, self.values), (ALL_VALUES, self.alls)):
            table = by_property[kind] = {}
            for r in restrictions:
                table.setdefault(r[1], []).append(r)
        for kind, restrictions in ((SOME_VALUES, self.some), (HAS_VALUE, self.values), (ALL_VALUES, self.alls)):
            for r1, p1, y1, axiom1 in restrictions:
                for q in (p1, *self._supers(SUBPROPERTY, p1)):
                    for r2, _, y2, axiom2 in by_property[kind].get(q, ()):
                        if r1 == r2:
                            continue
                        via = ((p1, SUBPROPERTY, q),) if q != p1 else ()
                        if kind == SOME_VALUES and (y1 == y2 or y2 == THING or y2 in self._supers(SUBCLASS, y1)):
                            filler = ((y1, SUBCLASS, y2),) if y1 != y2 and y2 != THING else ()
                            changed |= self._add((r1, SUBCLASS, r2), "scm-svf", (axiom1, axiom2, *via, *filler))
                        elif kind == HAS_VALUE and y1 == y2:
                            changed |= self._add((r1, SUBCLASS, r2), "scm-hv", (axiom1, axiom2, *via))
                        elif kind == ALL_VALUES and q == p1 and y2 in self._supers(SUBCLASS, y1):
                            changed |= self._add((r1, SUBCLASS, r2), "scm-avf1", (axiom1, axiom2, (y1, SUBCLASS, y2)))
                        elif kind == ALL_VALUES and q != p1 and y1 == y2:
                            changed |= self._add((r2, SUBCLASS, r1), "scm-avf2", (axiom2, axiom1, *via))
        return changed

    def close(self) -> dict[Triple, Derivation]:
        """Run the schema rules to a fixpoint; returns the entailed schema triples with their derivations."""
        while self._round():
            pass
        for owner, members, axiom in self.enumerations:  # cls-oo: the members of an enumeration
            for member in members:
                triple = (member, TYPE, owner)
                if triple not in self.index and member not in self.index.values:
                    self.derived.setdefault(triple, ("cls-oo", (axiom,)))
        return self.derived

    # -- compiling -----------------------------------------------------------------------------------

    def compile(self) -> Rules:
        """The lookup tables of the instance rules, from the closed schema."""
        index, rules = self.index, Rules()

        def pairs(p: int) -> list[tuple[int, int]]:
            return [(s, o) for s, objects in self.relations[p].items() for o in objects if s != o]

        for table, p in (
            (rules.superclasses, SUBCLASS),
            (rules.superproperties, SUBPROPERTY),
            (rules.domains, DOMAIN),
            (rules.ranges, RANGE),
        ):
            for s, o in pairs(p):
                table.setdefault(s, []).append((o, (s, p, o)))
        for s, objects in index.out.get(INVERSE, {}).items():
            for o in objects:
                rules.inverses.setdefault(s, []).append((o, (s, INVERSE, o)))
                if o != s:
                    rules.inverses.setdefault(o, []).append((s, (s, INVERSE, o)))
        for characteristic, flags in (
            (SYMMETRIC, rules.symmetric),
            (TRANSITIVE, rules.transitive),
            (FUNCTIONAL, rules.functional),
            (INVERSE_FUNCTIONAL, rules.inverse_functional),
        ):
            for prop in index.subjects(TYPE, characteristic):
                flags[prop] = (prop, TYPE, characteristic)
        for prop, heads in index.out.get(CHAIN, {}).items():
            for head in heads:
                chain = read_list(index, head)
                if chain:
                    rules.chains.append((prop, tuple(chain), (prop, CHAIN, head)))
        for r, p, filler, axiom in self.some:
            rules.some.append((r, p, filler, axiom))
        for r, p, value, axiom in self.values:
            rules.has_value.append((r, p, value, axiom))
        for r, p, filler, axiom in self.alls:
            rules.all_values.append((r, p, filler, axiom))
        bounded = [(r, p, THING, bound, axiom) for r, p, bound, axiom in self._restrictions(MAX_CARDINALITY)]
        bounded += [
            (r, p, c, bound, axiom)
            for r, p, bound, axiom in self._restrictions(MAX_QUALIFIED)
            for c in index.objects(r, ON_CLASS)
        ]
        for r, p, c, bound, axiom in bounded:  # cls-maxc2, cls-maxqc3, cls-maxqc4
            if self.lexical(bound) == "1":
                rules.single.append((r, p, c, axiom))
        for owner, properties, axiom in self._lists(HAS_KEY):
            rules.keys.append((owner, properties, axiom))
        rules.intersections = list(self.intersections)
        return rules


@dataclass
class CompiledSchema:
    """A closed, compiled ontology: its terms, its asserted and entailed triples, and its rule tables."""

    dictionary: TermDictionary
    index: Index
    #: Entailed schema triples (not asserted) with their derivations, as ids.
    derived: Mapping[Triple, Derivation]
    rules: Rules
    #: A hash of the asserted schema triples: equal fingerprints, equal compiled rules.
    fingerprint: str
    #: The instance rules as queries (:mod:`.program`).
    program: tuple[Rule, ...] = ()

    def term(self, id: int) -> Term:
        return self.dictionary.decode(id)

    def terms(self, triple: Triple) -> TermTriple:
        s, p, o = triple
        decode = self.dictionary.decode
        return (decode(s), decode(p), decode(o))

    def ids(self, triple: TermTriple) -> Triple | None:
        """The ids of a triple's terms, or None when the schema does not mention one of them."""
        lookup = self.dictionary.lookup
        s, p, o = (lookup(term) for term in triple)
        return None if s is None or p is None or o is None else (s, p, o)

    def asserts(self, triple: TermTriple) -> bool:
        """Whether ``triple`` is one of the asserted schema triples the rules were compiled from."""
        ids = self.ids(triple)
        return ids is not None and ids in self.index

    def entailed(self) -> list[TermTriple]:
        """The schema triples the ``scm-*`` rules (and ``cls-oo``) entail: they go to the inferred graph."""
        return [self.terms(t) for t in self.derived]

    def derivation(self, triple: TermTriple) -> tuple[str, list[TermTriple]] | None:
        """How the schema closure entails ``triple`` (premises as terms), or None when it does not."""
        ids = self.ids(triple)
        found = self.derived.get(ids) if ids is not None else None
        if found is None:
            return None
        rule, premises = found
        return rule, [self.terms(p) for p in premises]

    def inverse_of(self, term: Term) -> NamedNode | None:
        """The named property an anonymous ``[ owl:inverseOf P ]`` expression reverses (None for other terms)."""
        if not is_anonymous(term):
            return None
        id = self.dictionary.lookup(term)
        if id is None:
            return None
        for target in self.index.objects(id, INVERSE):
            named = self.dictionary.decode(target)
            if isinstance(named, NamedNode) and not is_anonymous(named):
                return named
        return None


def compile_schema(triples: Iterable[TermTriple]) -> CompiledSchema:
    """Close and compile the schema given as its asserted triples."""
    dictionary = TermDictionary()
    index = Index(dictionary.values)
    encode = dictionary.encode
    lines = set()
    for s, p, o in triples:
        index.insert((encode(s), encode(p), encode(o)))
        lines.add(f"{s} {p} {o}")
    fingerprint = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:32]

    def lexical(id: int) -> str | None:
        term = dictionary.decode(id)
        return term.value if isinstance(term, Literal) else None

    schema = Schema(index, lexical)
    derived = schema.close()
    compiled = CompiledSchema(dictionary, index, derived, schema.compile(), fingerprint)
    compiled.program = build_program(compiled)
    return compiled


def read_schema(kg: KnowledgeGraph) -> CompiledSchema:
    """Read the asserted schema triples of ``kg`` and compile them (uncached: see :func:`schema_of`)."""
    return compile_schema(schema_triples(kg))


def schema_triples(kg: KnowledgeGraph) -> list[TermTriple]:
    """The asserted schema triples of ``kg``, as :func:`compile_schema` reads them."""
    result = kg.query(SCHEMA_QUERY, infer=False)
    assert isinstance(result, QuerySolutions)
    return [(row["s"], row["p"], row["o"]) for row in result]


#: Compiled schemas by fingerprint, most recently used last (a few ontologies per process at most).
_CACHE: OrderedDict[str, CompiledSchema] = OrderedDict()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()


def remember(schema: CompiledSchema) -> CompiledSchema:
    """Keep ``schema`` for :func:`schema_of` (a write that changed the ontology compiled it already)."""
    with _CACHE_LOCK:
        _CACHE[schema.fingerprint] = schema
        _CACHE.move_to_end(schema.fingerprint)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return schema


def schema_of(kg: KnowledgeGraph, fingerprint: str | None) -> CompiledSchema:
    """The compiled schema of ``kg``; ``fingerprint`` (from the closure state) finds it without reading it."""
    found = remembered(fingerprint)
    return found if found is not None else remember(read_schema(kg))


def remembered(fingerprint: str | None) -> CompiledSchema | None:
    """The compiled schema of that fingerprint, if this process has it."""
    if fingerprint is None:
        return None
    with _CACHE_LOCK:
        return _CACHE.get(fingerprint)
