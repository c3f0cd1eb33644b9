"""The schema closure (the ``scm-*`` rules) and its compilation into :class:`~.rules.Rules` tables.

The ontology is small next to the data, so its closure is computed first, by plain iteration to a fixpoint,
with a derivation for each entailed schema triple. Beyond OWL 2 RL's ``scm-*`` rules it applies two sound
rules that make class subsumption complete for conjunctions of existentials (e.g. ``Chair ⊑ Employee`` when
``Employee ≡ Person ⊓ ∃worksFor.Organization``, ``Chair ⊑ Person ⊓ ∃headOf.Department``, ``headOf ⊑
worksFor`` and ``Department ⊑ Organization``): ``scm-svf`` with property and filler both generalised at once,
and ``scm-int-sub`` (a subclass of every class of an intersection is a subclass of the intersection).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping

from .closure import Closure, Derivation
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
    ON_CLASS,
    ON_PROPERTY,
    ONE_OF,
    RANGE,
    REST,
    SOME_VALUES,
    SUBCLASS,
    SUBPROPERTY,
    SYMMETRIC,
    THING,
    TRANSITIVE,
    TYPE,
    UNION,
)

Relation = dict[int, set[int]]
Restriction = tuple[int, int, int, Triple]  # (restriction, property, filler or value, axiom)


def read_list(closure: Closure, head: int) -> list[int] | None:
    """The members of a well-formed RDF list, or None when it is broken (several firsts, a cycle)."""
    members: list[int] = []
    seen: set[int] = set()
    while head != NIL:
        firsts, rests = closure.objects(head, FIRST), closure.objects(head, REST)
        if head in seen or len(firsts) != 1 or len(rests) != 1:
            return None
        seen.add(head)
        members.extend(firsts)
        (head,) = rests
    return members


class Schema:
    """Computes the closure of the ontology in ``closure`` (asserted triples only) and compiles its rules."""

    def __init__(self, closure: Closure, lexical: Callable[[int], str | None]) -> None:
        self.closure = closure
        self.lexical = lexical
        self.derived: dict[Triple, Derivation] = {}
        self.relations: dict[int, Relation] = {
            p: {s: set(objects) for s, objects in closure.out.get(p, {}).items()}
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
        for restriction, fillers in self.closure.out.get(kind, {}).items():
            for prop in self.closure.objects(restriction, ON_PROPERTY):
                found += [(restriction, prop, filler, (restriction, kind, filler)) for filler in fillers]
        return found

    def _lists(self, kind: int) -> list[tuple[int, tuple[int, ...], Triple]]:
        found = []
        for owner, heads in self.closure.out.get(kind, {}).items():
            for head in heads:
                members = read_list(self.closure, head)
                if members:
                    found.append((owner, tuple(members), (owner, kind, head)))
        return found

    # -- the closure ---------------------------------------------------------------------------------

    def _add(self, triple: Triple, rule: str, premises: tuple[Triple, ...]) -> bool:
        s, p, o = triple
        if s == o or o in self.relations[p].get(s, ()):
            return False
        self.relations[p].setdefault(s, set()).add(o)
        if triple not in self.closure:
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
                if triple not in self.closure and member not in self.closure.values:
                    self.derived.setdefault(triple, ("cls-oo", (axiom,)))
        return self.derived

    # -- compiling -----------------------------------------------------------------------------------

    def compile(self) -> Rules:
        """The lookup tables of the instance rules, from the closed schema."""
        closure, rules = self.closure, Rules()

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
        for s, objects in closure.out.get(INVERSE, {}).items():
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
            for prop in closure.subjects(TYPE, characteristic):
                flags[prop] = (prop, TYPE, characteristic)
        for prop, heads in closure.out.get(CHAIN, {}).items():
            for head in heads:
                chain = read_list(closure, head)
                for position, step in enumerate(chain or ()):
                    rules.chains.setdefault(step, []).append((prop, tuple(chain or ()), position, (prop, CHAIN, head)))
        for r, p, filler, axiom in self.some:
            rules.some_by_property.setdefault(p, []).append((r, filler, axiom))
            rules.some_by_filler.setdefault(filler, []).append((r, p, axiom))
        for r, p, value, axiom in self.values:
            rules.value_by_property.setdefault(p, []).append((r, value, axiom))
            rules.value_by_class.setdefault(r, []).append((p, value, axiom))
        for r, p, filler, axiom in self.alls:
            rules.all_by_property.setdefault(p, []).append((r, filler, axiom))
            rules.all_by_class.setdefault(r, []).append((p, filler, axiom))
        bounded = [(r, p, THING, bound, axiom) for r, p, bound, axiom in self._restrictions(MAX_CARDINALITY)]
        bounded += [
            (r, p, c, bound, axiom)
            for r, p, bound, axiom in self._restrictions(MAX_QUALIFIED)
            for c in self.closure.objects(r, ON_CLASS)
        ]
        for r, p, c, bound, axiom in bounded:  # cls-maxc2, cls-maxqc3, cls-maxqc4
            if self.lexical(bound) == "1":
                rules.single_by_class.setdefault(r, []).append((p, c, axiom))
                rules.single_by_property.setdefault(p, []).append((r, c, axiom))
                if c != THING:
                    rules.single_by_filler.setdefault(c, []).append((r, p, axiom))
        for owner, properties, axiom in self._lists(HAS_KEY):
            rules.keys_by_class.setdefault(owner, []).append((properties, axiom))
            for prop in set(properties):
                rules.keys_by_property.setdefault(prop, []).append((owner, properties, axiom))
        for owner, members, axiom in self.intersections:
            for member in set(members):
                rules.intersections.setdefault(member, []).append((owner, members, axiom))
        by_property: list[Mapping[int, object]] = [
            rules.domains,
            rules.superproperties,
            rules.ranges,
            rules.inverses,
            rules.symmetric,
            rules.transitive,
            rules.chains,
            rules.some_by_property,
            rules.value_by_property,
            rules.all_by_property,
            rules.single_by_property,
            rules.functional,
            rules.inverse_functional,
            rules.keys_by_property,
        ]
        rules.active = {p for table in by_property for p in table}
        about_object: list[Mapping[int, object]] = [
            rules.ranges,
            rules.inverses,
            rules.symmetric,
            rules.all_by_property,
            rules.functional,
            rules.single_by_property,
        ]
        rules.about_object = {p for table in about_object for p in table}
        by_class: list[Mapping[int, object]] = [
            rules.intersections,
            rules.some_by_filler,
            rules.value_by_class,
            rules.all_by_class,
            rules.single_by_class,
            rules.single_by_filler,
            rules.keys_by_class,
        ]
        rules.active_classes = {c for table in by_class for c in table}
        return rules
