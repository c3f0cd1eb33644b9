"""The materialised closure: indexed integer triples, semi-naive forward chaining, and DRed retraction.

Triples live in two indexes per predicate (subject -> objects, object -> subjects). Asserted and inferred
triples share them; ``why`` maps each inferred triple to its first derivation ``(rule, premises)``, which
makes explanations cheap and tells asserted triples (absent from ``why``) from inferred ones.

Adding runs the rules from each new triple against everything present (semi-naive: every rule instance is
found when its last premise arrives). Removing is Delete/Rederive: over-delete everything a removed triple
helped derive, then re-derive those that still follow from what is left, and continue forward from them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator

from .rules import Rules, Triple
from .vocabulary import LITERAL, SAME_AS, THING, TYPE

Premises = tuple[Triple, ...]
Derivation = tuple[str, Premises]
Candidate = tuple[Triple, str, Premises]
Index = dict[int, dict[int, set[int]]]
Emit = Callable[[Candidate], None]

_NONE: frozenset[int] = frozenset()
_EMPTY: dict[int, set[int]] = {}


class Closure:
    """A set of triples closed under compiled :class:`Rules`, kept closed as triples come and go."""

    def __init__(self, rules: Rules, values: dict[int, int]) -> None:
        self.rules = rules
        #: Ids that cannot be subjects (literals), to their datatype; shared with the term dictionary.
        self.values = values
        self.out: Index = {}
        self.inn: Index = {}
        self.why: dict[Triple, Derivation] = {}
        #: Triples the schema closure entails (with their derivations): they hold until the schema changes.
        self.fixed: dict[Triple, Derivation] = {}
        self._size = 0

    # -- the indexes ---------------------------------------------------------------------------------

    def __contains__(self, triple: Triple) -> bool:
        s, p, o = triple
        return o in self.out.get(p, _EMPTY).get(s, _NONE)

    def __len__(self) -> int:
        return self._size

    def objects(self, s: int, p: int) -> set[int] | frozenset[int]:
        return self.out.get(p, _EMPTY).get(s, _NONE)

    def subjects(self, p: int, o: int) -> set[int] | frozenset[int]:
        return self.inn.get(p, _EMPTY).get(o, _NONE)

    def triples(self) -> Iterator[Triple]:
        for p, index in self.out.items():
            for s, objects in index.items():
                for o in objects:
                    yield (s, p, o)

    def mentioning(self, node: int) -> Iterator[Triple]:
        """Every triple with ``node`` as subject or object."""
        for p, index in self.out.items():
            for o in index.get(node, _NONE):
                yield (node, p, o)
        for p, index in self.inn.items():
            for s in index.get(node, _NONE):
                yield (s, p, node)

    def premises_about(self, node: int) -> Iterator[Triple]:
        """The triples that can be a premise of a conclusion whose subject is ``node``.

        Every rule has such a premise with ``node`` as its subject, except the rules that conclude about a
        premise's object (range, inverse, symmetry, allValuesFrom, functional or at-most-one values, and
        sameAs): for those predicates, triples with ``node`` as object count too.
        """
        for p, index in self.out.items():
            for o in index.get(node, _NONE):
                yield (node, p, o)
        about_object = self.rules.about_object
        for p, index in self.inn.items():
            if p in about_object or p == SAME_AS:
                for s in index.get(node, _NONE):
                    yield (s, p, node)

    def _insert(self, triple: Triple) -> bool:
        s, p, o = triple
        index = self.out.get(p)
        if index is None:
            index = self.out[p] = {}
            self.inn[p] = {}
        objects = index.get(s)
        if objects is None:
            index[s] = {o}
        elif o in objects:
            return False
        else:
            objects.add(o)
        subjects = self.inn[p].get(o)
        if subjects is None:
            self.inn[p][o] = {s}
        else:
            subjects.add(s)
        self._size += 1
        return True

    def _delete(self, triple: Triple) -> None:
        s, p, o = triple
        objects = self.out[p][s]
        objects.discard(o)
        if not objects:
            del self.out[p][s]
        subjects = self.inn[p][o]
        subjects.discard(s)
        if not subjects:
            del self.inn[p][o]
        self._size -= 1

    # -- adding --------------------------------------------------------------------------------------

    def insert_asserted(self, asserted: Iterable[Triple]) -> None:
        """Index asserted triples without running the rules (before the schema is compiled from them)."""
        insert = self._insert
        for triple in asserted:
            insert(triple)

    def saturate_all(self, derived: Iterable[tuple[Triple, Derivation]] = ()) -> list[Triple]:
        """Add already-derived triples (the schema closure), then run the rules from every triple present."""
        queue: deque[Triple] = deque(self.triples())
        inferred = []
        self.fixed = dict(derived)
        for triple, derivation in self.fixed.items():
            if self._insert(triple):
                self.why[triple] = derivation
                queue.append(triple)
                inferred.append(triple)
        return inferred + self._saturate(queue)

    def assert_triples(self, triples: Iterable[Triple]) -> tuple[list[Triple], list[Triple]]:
        """Assert triples; returns (newly inferred triples, formerly inferred triples now asserted)."""
        queue: deque[Triple] = deque()
        promoted = []
        for triple in triples:
            if self._insert(triple):
                queue.append(triple)
            elif self.why.pop(triple, None) is not None:
                promoted.append(triple)
        return self._saturate(queue), promoted

    def _saturate(self, queue: deque[Triple]) -> list[Triple]:
        added: list[Triple] = []
        pending: list[Candidate] = []
        fire, insert, why = self.fire, self._insert, self.why
        while queue:
            fire(queue.popleft(), pending.append)
            for triple, rule, premises in pending:
                if insert(triple):
                    why[triple] = (rule, premises)
                    queue.append(triple)
                    added.append(triple)
            pending.clear()
        return added

    # -- removing ------------------------------------------------------------------------------------

    def retract(self, triples: Iterable[Triple]) -> tuple[list[Triple], list[Triple]]:
        """Retract asserted triples (DRed); returns (triples gone, retracted triples still inferred)."""
        over: set[Triple] = set()
        queue: deque[Triple] = deque()
        for triple in triples:
            if triple in self and triple not in self.why and triple not in over:
                over.add(triple)
                queue.append(triple)
        retracted = set(over)
        pending: list[Candidate] = []
        why = self.why
        while queue:
            self.fire(queue.popleft(), pending.append)
            for triple, _, _ in pending:
                if triple in why and triple not in over:
                    over.add(triple)
                    queue.append(triple)
            pending.clear()
        for triple in over:
            self._delete(triple)
            why.pop(triple, None)
        rederived: deque[Triple] = deque()
        for triple in over:
            derivation = self.fixed.get(triple)
            if derivation is not None and self._insert(triple):
                why[triple] = derivation
                rederived.append(triple)
        for node in {s for s, _, _ in over}:
            for premise in list(self.premises_about(node)):
                self.fire(premise, pending.append)
                for triple, rule, premises in pending:
                    if triple in over and self._insert(triple):
                        why[triple] = (rule, premises)
                        rederived.append(triple)
                pending.clear()
        back = set(rederived) | set(self._saturate(rederived))
        gone = [t for t in over if t not in back]
        return gone, [t for t in retracted if t in back]

    def retract_inferred(self, triples: Iterable[Triple]) -> None:
        """Remove triples that were added hypothetically and nothing else depends on (undo of a classify)."""
        for triple in triples:
            if triple in self:
                self._delete(triple)
                self.why.pop(triple, None)

    # -- the rules -----------------------------------------------------------------------------------

    def fire(self, t: Triple, emit: Callable[[Candidate], None]) -> None:
        """Emit every conclusion of a rule instance that has ``t`` as a premise and the rest present."""
        s, p, o = t
        r = self.rules
        out, inn, values = self.out, self.inn, self.values
        if p == TYPE:
            self._fire_type(t, emit)
        if p not in r.active:
            if SAME_AS in out:
                self._fire_same(t, emit)
            return
        for c, axiom in r.domains.get(p, ()):
            emit(((s, TYPE, c), "prp-dom", (t, axiom)))
        for q, axiom in r.superproperties.get(p, ()):
            emit(((s, q, o), "prp-spo1", (t, axiom)))
        subject_like = o not in values
        if subject_like:
            for c, axiom in r.ranges.get(p, ()):
                emit(((o, TYPE, c), "prp-rng", (t, axiom)))
            for q, axiom in r.inverses.get(p, ()):
                emit(((o, q, s), "prp-inv", (t, axiom)))
            symmetric = r.symmetric.get(p)
            if symmetric is not None:
                emit(((o, p, s), "prp-symp", (t, symmetric)))
        transitive = r.transitive.get(p)
        if transitive is not None:
            for z in out[p].get(o, _NONE):
                emit(((s, p, z), "prp-trp", (t, (o, p, z), transitive)))
            for w in inn[p].get(s, _NONE):
                emit(((w, p, o), "prp-trp", ((w, p, s), t, transitive)))
        if p in r.chains:
            self._fire_chains(t, emit)
        for restriction, filler, axiom in r.some_by_property.get(p, ()):
            if filler == THING:
                emit(((s, TYPE, restriction), "cls-svf2", (t, axiom)))
            elif filler in self.objects(o, TYPE):
                emit(((s, TYPE, restriction), "cls-svf1", (t, (o, TYPE, filler), axiom)))
            elif o in values and filler in (LITERAL, values[o]):  # a data range: the literal's datatype
                emit(((s, TYPE, restriction), "cls-svf1", (t, axiom)))
        for restriction, value, axiom in r.value_by_property.get(p, ()):
            if o == value:
                emit(((s, TYPE, restriction), "cls-hv2", (t, axiom)))
        if subject_like:
            for restriction, filler, axiom in r.all_by_property.get(p, ()):
                if restriction in self.objects(s, TYPE):
                    emit(((o, TYPE, filler), "cls-avf", ((s, TYPE, restriction), t, axiom)))
            for restriction, cls, axiom in r.single_by_property.get(p, ()):
                if restriction in self.objects(s, TYPE):
                    self._fire_single(s, restriction, p, cls, axiom, emit)
            functional = r.functional.get(p)
            if functional is not None:
                for other in out[p].get(s, _NONE):
                    if other != o and other not in values:
                        emit(((o, SAME_AS, other), "prp-fp", (t, (s, p, other), functional)))
        inverse_functional = r.inverse_functional.get(p)
        if inverse_functional is not None:
            for other in inn[p].get(o, _NONE):
                if other != s:
                    emit(((s, SAME_AS, other), "prp-ifp", (t, (other, p, o), inverse_functional)))
        for cls, properties, axiom in r.keys_by_property.get(p, ()):
            if cls in self.objects(s, TYPE):
                self._fire_key(s, cls, properties, axiom, emit)
        if SAME_AS in out:
            self._fire_same(t, emit)

    def _fire_type(self, t: Triple, emit: Callable[[Candidate], None]) -> None:
        s, _, c = t
        r = self.rules
        for d, axiom in r.superclasses.get(c, ()):
            emit(((s, TYPE, d), "cax-sco", (t, axiom)))
        if c not in r.active_classes:
            return
        types = self.out[TYPE].get(s, _NONE)
        for intersection, members, axiom in r.intersections.get(c, ()):
            if all(m in types for m in members):
                emit(((s, TYPE, intersection), "cls-int1", (*((s, TYPE, m) for m in members), axiom)))
        for restriction, prop, axiom in r.some_by_filler.get(c, ()):
            for x in self.subjects(prop, s):
                emit(((x, TYPE, restriction), "cls-svf1", ((x, prop, s), t, axiom)))
        for prop, value, axiom in r.value_by_class.get(c, ()):
            emit(((s, prop, value), "cls-hv1", (t, axiom)))
        for prop, filler, axiom in r.all_by_class.get(c, ()):
            for y in self.objects(s, prop):
                if y not in self.values:
                    emit(((y, TYPE, filler), "cls-avf", (t, (s, prop, y), axiom)))
        for prop, cls, axiom in r.single_by_class.get(c, ()):
            self._fire_single(s, c, prop, cls, axiom, emit)
        for restriction, prop, axiom in r.single_by_filler.get(c, ()):
            for x in self.subjects(prop, s):
                if restriction in self.objects(x, TYPE):
                    self._fire_single(x, restriction, prop, c, axiom, emit)
        for properties, axiom in r.keys_by_class.get(c, ()):
            self._fire_key(s, c, properties, axiom, emit)

    def _fire_single(self, x: int, restriction: int, prop: int, cls: int, axiom: Triple, emit: Emit) -> None:
        """cls-maxc2 and cls-maxqc3/4: ``x`` has at most one ``prop`` value (in ``cls``), so all are the same."""
        ys = [
            y for y in self.objects(x, prop) if y not in self.values and (cls == THING or cls in self.objects(y, TYPE))
        ]
        rule = "cls-maxc2" if cls == THING else "cls-maxqc3"
        for y1 in ys:
            for y2 in ys:
                if y1 != y2:
                    typed = () if cls == THING else ((y1, TYPE, cls), (y2, TYPE, cls))
                    premises = ((x, TYPE, restriction), (x, prop, y1), (x, prop, y2), *typed, axiom)
                    emit(((y1, SAME_AS, y2), rule, premises))

    def _fire_key(self, x: int, cls: int, properties: tuple[int, ...], axiom: Triple, emit: Emit) -> None:
        """prp-key: another instance of ``cls`` with the same values of every key property is ``x``."""
        first = properties[0]
        candidates = {y for z in self.objects(x, first) for y in self.subjects(first, z)} - {x}
        for y in candidates:
            if cls not in self.objects(y, TYPE):
                continue
            values: list[Triple] = []
            for p in properties:
                common = self.objects(x, p) & self.objects(y, p)
                if not common:
                    break
                z = next(iter(common))
                values += ((x, p, z), (y, p, z))
            else:
                emit(((x, SAME_AS, y), "prp-key", ((x, TYPE, cls), (y, TYPE, cls), *values, axiom)))

    def _fire_chains(self, t: Triple, emit: Callable[[Candidate], None]) -> None:
        s, p, o = t
        for prop, chain, position, axiom in self.rules.chains[p]:
            lefts: list[tuple[int, Premises]] = [(s, ())]
            for step in reversed(chain[:position]):
                lefts = [(w, ((w, step, x), *path)) for x, path in lefts for w in self.subjects(step, x)]
            rights: list[tuple[int, Premises]] = [(o, ())]
            for step in chain[position + 1 :]:
                rights = [(z, (*path, (y, step, z))) for y, path in rights for z in self.objects(y, step)]
            for start, left in lefts:
                for end, right in rights:
                    emit(((start, prop, end), "prp-spo2", (*left, t, *right, axiom)))

    def _fire_same(self, t: Triple, emit: Callable[[Candidate], None]) -> None:
        s, p, o = t
        if p == SAME_AS:
            if s == o:
                return
            emit(((o, SAME_AS, s), "eq-sym", (t,)))
            for z in self.objects(o, SAME_AS):
                if z != s:
                    emit(((s, SAME_AS, z), "eq-trans", (t, (o, SAME_AS, z))))
            for q, index in self.out.items():
                if q != SAME_AS:
                    for z in index.get(s, _NONE):
                        emit(((o, q, z), "eq-rep-s", ((s, q, z), t)))
            for q, index in self.inn.items():
                if q != SAME_AS:
                    for w in index.get(s, _NONE):
                        emit(((w, q, o), "eq-rep-o", ((w, q, s), t)))
            return
        for alias in self.objects(s, SAME_AS):
            if alias != s:
                emit(((alias, p, o), "eq-rep-s", (t, (s, SAME_AS, alias))))
        for alias in self.objects(o, SAME_AS):
            if alias != o:
                emit(((s, p, alias), "eq-rep-o", (t, (o, SAME_AS, alias))))
