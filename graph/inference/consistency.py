"""Inconsistencies: individuals in disjoint classes, and properties used against their characteristics.

These are the OWL 2 RL rules whose conclusion is ``false`` (cax-dw, cax-adc, cls-nothing2, cls-com,
cls-maxc1, cls-maxqc1/2, prp-irp, prp-asyp, prp-pdw, prp-npa1/2, eq-diff1/2/3). They are checked on demand against the closure, so a violation
shows the triples that clash, each of which can be explained.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import NamedNode

from .. import validation
from ..loading import ONTOLOGY_DIR
from ..namespaces import GRAPH_INFERRED
from ..store import KnowledgeGraph
from .explanation import strings
from .reasoner import Reasoner
from .rules import Triple
from .schema import read_list
from .vocabulary import (
    ALL_DIFFERENT,
    ALL_DISJOINT,
    ASSERTION_PROPERTY,
    ASYMMETRIC,
    COMPLEMENT,
    DIFFERENT_FROM,
    DISJOINT_WITH,
    DISTINCT_MEMBERS,
    IRREFLEXIVE,
    MAX_CARDINALITY,
    MAX_QUALIFIED,
    MEMBERS,
    NOTHING,
    ON_CLASS,
    ON_PROPERTY,
    PROPERTY_DISJOINT,
    SAME_AS,
    SOURCE_INDIVIDUAL,
    TARGET_INDIVIDUAL,
    TARGET_VALUE,
    THING,
    TYPE,
)
from .wording import Wording


@dataclass(frozen=True)
class Clash:
    """One inconsistency: the OWL 2 RL rule, a sentence, and the triples that clash (each asserted or not)."""

    rule: str
    focus: str
    message: str
    triples: list[dict[str, object]]


def clashes(reasoner: Reasoner) -> list[Clash]:
    """Every inconsistency in the closure."""
    with reasoner.lock:
        return list(_Checker(reasoner).run())


class _Checker:
    def __init__(self, reasoner: Reasoner) -> None:
        self.reasoner = reasoner
        self.closure = reasoner.closure
        self.wording = Wording(reasoner)

    def clash(self, rule: str, focus: int, message: str, *triples: Triple) -> Clash:
        decode = self.reasoner.dictionary.decode
        term = decode(focus)
        return Clash(
            rule=rule,
            focus=term.value if isinstance(term, NamedNode) else str(term),
            message=message,
            triples=[
                dict(zip(("subject", "predicate", "object"), strings(decode, t), strict=True))
                | {"inferred": t in self.closure.why, "text": self.wording.clause(t)}
                for t in triples
            ],
        )

    def pairs(self) -> list[tuple[int, int, Triple]]:
        closure, found = self.closure, []
        for a, bs in closure.out.get(DISJOINT_WITH, {}).items():
            found += [(a, b, (a, DISJOINT_WITH, b)) for b in bs]
        for group, kind in ((ALL_DISJOINT, MEMBERS),):
            for node in closure.subjects(TYPE, group):
                for head in closure.objects(node, kind):
                    members = read_list(closure, head) or []
                    found += [(a, b, (node, kind, head)) for i, a in enumerate(members) for b in members[i + 1 :]]
        unique: dict[frozenset[int], tuple[int, int, Triple]] = {}
        for a, b, axiom in found:
            unique.setdefault(frozenset((a, b)), (a, b, axiom))
        return list(unique.values())

    def run(self) -> Iterator[Clash]:
        closure, label = self.closure, self.wording.label
        for a, b, axiom in self.pairs():
            for x in closure.subjects(TYPE, a) & closure.subjects(TYPE, b):
                message = f"{label(x)} is both {self.wording.noun(a)} and {self.wording.noun(b)}, which are disjoint"
                yield self.clash("cax-dw", x, message, (x, TYPE, a), (x, TYPE, b), axiom)
        for a, bs in closure.out.get(COMPLEMENT, {}).items():
            for b in bs:
                for x in closure.subjects(TYPE, a) & closure.subjects(TYPE, b):
                    message = f"{label(x)} is both {self.wording.noun(a)} and its complement"
                    yield self.clash("cls-com", x, message, (x, TYPE, a), (x, TYPE, b), (a, COMPLEMENT, b))
        for x in closure.subjects(TYPE, NOTHING):
            yield self.clash("cls-nothing2", x, f"{label(x)} is an instance of owl:Nothing", (x, TYPE, NOTHING))
        for p in closure.subjects(TYPE, IRREFLEXIVE):
            for x, objects in closure.out.get(p, {}).items():
                if x in objects:
                    message = f"{label(x)} is related to itself by the irreflexive '{label(p)}'"
                    yield self.clash("prp-irp", x, message, (x, p, x), (p, TYPE, IRREFLEXIVE))
        for p in closure.subjects(TYPE, ASYMMETRIC):
            for x, objects in closure.out.get(p, {}).items():
                for y in objects:
                    if x < y and x in closure.objects(y, p):
                        message = f"{label(x)} and {label(y)} are related both ways by the asymmetric '{label(p)}'"
                        yield self.clash("prp-asyp", x, message, (x, p, y), (y, p, x), (p, TYPE, ASYMMETRIC))
        for p, qs in closure.out.get(PROPERTY_DISJOINT, {}).items():
            for q in qs:
                for x, objects in closure.out.get(p, {}).items():
                    for y in objects & closure.objects(x, q):
                        message = f"{label(x)} is related to {label(y)} by disjoint properties"
                        yield self.clash("prp-pdw", x, message, (x, p, y), (x, q, y), (p, PROPERTY_DISJOINT, q))
        yield from self.cardinalities()
        yield from self.negative_assertions()
        different = [
            (x, y, (x, DIFFERENT_FROM, y)) for x, ys in closure.out.get(DIFFERENT_FROM, {}).items() for y in ys
        ]
        for node in closure.subjects(TYPE, ALL_DIFFERENT):
            for kind in (DISTINCT_MEMBERS, MEMBERS):
                for head in closure.objects(node, kind):
                    members = read_list(closure, head) or []
                    different += [(a, b, (node, kind, head)) for i, a in enumerate(members) for b in members[i + 1 :]]
        for x, y, axiom in different:
            if y in closure.objects(x, SAME_AS):
                message = f"{label(x)} and {label(y)} are said to be different, yet are the same"
                yield self.clash("eq-diff1", x, message, (x, SAME_AS, y), axiom)

    def cardinalities(self) -> Iterator[Clash]:
        """cls-maxc1, cls-maxqc1/2: a value of a property a class allows none of."""
        closure, label, lexical = self.closure, self.wording.label, self.reasoner.lexical
        for kind in (MAX_CARDINALITY, MAX_QUALIFIED):
            for r, bounds in closure.out.get(kind, {}).items():
                for bound in bounds:
                    if lexical(bound) != "0":
                        continue
                    classes = closure.objects(r, ON_CLASS) if kind == MAX_QUALIFIED else {THING}
                    for p in closure.objects(r, ON_PROPERTY):
                        for x in closure.subjects(TYPE, r):
                            for y in closure.objects(x, p):
                                for c in classes:
                                    if c == THING or c in closure.objects(y, TYPE):
                                        message = f"{label(x)} may have no '{label(p)}', yet has {label(y)}"
                                        typed = () if c == THING else ((y, TYPE, c),)
                                        rule = "cls-maxc1" if kind == MAX_CARDINALITY else "cls-maxqc1"
                                        yield self.clash(
                                            rule, x, message, (x, TYPE, r), (x, p, y), *typed, (r, kind, bound)
                                        )

    def negative_assertions(self) -> Iterator[Clash]:
        """prp-npa1/2: a negative property assertion that the closure contradicts."""
        closure, label = self.closure, self.wording.label
        for n, sources in closure.out.get(SOURCE_INDIVIDUAL, {}).items():
            for s in sources:
                for p in closure.objects(n, ASSERTION_PROPERTY):
                    for kind in (TARGET_INDIVIDUAL, TARGET_VALUE):
                        for o in closure.objects(n, kind):
                            if (s, p, o) in closure:
                                message = f"{label(s)} {self.wording.verb(p)} {label(o)}, which is asserted not to hold"
                                rule = "prp-npa1" if kind == TARGET_INDIVIDUAL else "prp-npa2"
                                yield self.clash(rule, s, message, (s, p, o), (n, SOURCE_INDIVIDUAL, s))


@dataclass(frozen=True)
class ShapeViolation:
    """A SHACL result with the triples of its focus node and path (what to look at to fix it)."""

    focus: str
    path: str | None
    message: str
    severity: str
    triples: list[dict[str, str]]


def shape_violations(kg: KnowledgeGraph, shapes: Path = ONTOLOGY_DIR / "shapes.ttl") -> list[ShapeViolation]:
    """The SHACL violations of the shipped graphs, or none when there are no shapes to check."""
    if not shapes.is_file():
        return []
    found = []
    for violation in validation.validate(kg, shapes).violations:
        triples = []
        if violation.path and not violation.focus.startswith("_:") and violation.path.startswith(("http", "urn")):
            for quad in kg.quads(NamedNode(violation.focus), NamedNode(violation.path), None, None):
                if quad.graph_name != GRAPH_INFERRED:
                    triples.append(
                        {"subject": violation.focus, "predicate": violation.path, "object": str(quad.object)}
                    )
        found.append(ShapeViolation(violation.focus, violation.path, violation.message, violation.severity, triples))
    return found
