"""Inconsistencies: individuals in disjoint classes, and properties used against their characteristics.

These are the OWL 2 RL rules whose conclusion is ``false`` (cax-dw, cax-adc, cls-nothing2, cls-com,
cls-maxc1, cls-maxqc1/2, prp-irp, prp-asyp, prp-pdw, prp-npa1/2, eq-diff1/2/3). Each is a query over the
materialised store, so a violation shows the triples that clash, each of which can be explained.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode, QuerySolutions

from .. import validation
from ..loading import ONTOLOGY_DIR
from ..namespaces import GRAPH_INFERRED
from .dictionary import Term
from .explanation import strings
from .program import MEMBER, stored
from .schema import TermTriple
from .vocabulary import (
    ALL_DIFFERENT,
    ALL_DISJOINT,
    ASYMMETRIC,
    COMPLEMENT,
    DIFFERENT_FROM,
    DISJOINT_WITH,
    DISTINCT_MEMBERS,
    IRREFLEXIVE,
    MEMBERS,
    NODES,
    NOTHING,
    PROPERTY_DISJOINT,
    SAME_AS,
    SOURCE_INDIVIDUAL,
    TYPE,
)
from .wording import Wording

if TYPE_CHECKING:
    from ..store import KnowledgeGraph

_N = NODES
OWL = "http://www.w3.org/2002/07/owl#"
#: An instance of a class, named or anonymous (the rules keep the latter as ``gkr:member``, see program).
_A = f"({_N[TYPE]}|{MEMBER})"


@dataclass(frozen=True)
class Clash:
    """One inconsistency: the OWL 2 RL rule, a sentence, and the triples that clash (each asserted or not)."""

    rule: str
    focus: str
    message: str
    triples: list[dict[str, object]]


def clashes(kg: KnowledgeGraph) -> list[Clash]:
    """Every inconsistency of the materialised knowledge graph."""
    found: dict[tuple[str, str, str], Clash] = {}
    for clash in _Checker(kg).run():
        found.setdefault((clash.rule, clash.focus, clash.message), clash)
    return list(found.values())


class _Checker:
    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self.wording = Wording(kg)

    def rows(self, sparql: str, **bound: Term) -> list[Mapping[str, Term]]:
        result = self.kg.query(sparql, substitutions=bound or None)
        assert isinstance(result, QuerySolutions)
        names = [v.value for v in result.variables]
        unique = {tuple(row[n] for n in names): row for row in result}  # the union repeats shared triples
        return [{n: row[n] for n in names if row[n] is not None} for row in unique.values()]

    def clash(self, rule: str, focus: Term, message: str, *triples: TermTriple) -> Clash:
        return Clash(
            rule=rule,
            focus=focus.value if isinstance(focus, NamedNode) else str(focus),
            message=message,
            triples=[
                dict(zip(("subject", "predicate", "object"), strings(t), strict=True))
                | {"inferred": self.inferred(t), "text": self.wording.clause(t)}
                for t in triples
            ],
        )

    def inferred(self, triple: TermTriple) -> bool:
        s, p, o = stored(triple)
        return {q.graph_name for q in self.kg.quads(s, p, o)} == {GRAPH_INFERRED}  # type: ignore[arg-type]

    def pairs(self, group: int, kind: int) -> Iterator[tuple[Term, Term, TermTriple]]:
        """The pairs of an ``owl:AllDisjointClasses`` or ``owl:AllDifferent`` list, with its axiom."""
        for row in self.rows(f"SELECT ?n ?head WHERE {{ ?n a {_N[group]} ; {_N[kind]} ?head }}"):
            members = self.wording.members(row["head"])
            axiom = (row["n"], _N[kind], row["head"])
            yield from ((a, b, axiom) for i, a in enumerate(members) for b in members[i + 1 :])

    def run(self) -> Iterator[Clash]:
        label, noun = self.wording.label, self.wording.noun
        a_ = _N[TYPE]
        disjoint: list[tuple[Term, Term, TermTriple]] = [
            (r["a"], r["b"], (r["a"], _N[DISJOINT_WITH], r["b"]))
            for r in self.rows(f"SELECT ?a ?b WHERE {{ ?a {_N[DISJOINT_WITH]} ?b }}")
        ]
        seen: set[frozenset[Term]] = set()
        pairs = []
        for a, b, axiom in [*disjoint, *self.pairs(ALL_DISJOINT, MEMBERS)]:
            if frozenset((a, b)) not in seen:
                seen.add(frozenset((a, b)))
                pairs.append((a, b, axiom))
        # Each class's members are read once and the pairs intersected here: a query per pair read the large
        # classes again for every pair (1.3 s each, 30.8 s in all at 1.15M triples).
        classes = {c for a, b, _ in pairs for c in (a, b)}
        members = {c: {row["x"] for row in self.rows(f"SELECT ?c ?x WHERE {{ ?x {_A} ?c }}", c=c)} for c in classes}
        for a, b, axiom in pairs:
            for x in sorted(members[a] & members[b], key=str):
                message = f"{label(x)} is both {noun(a)} and {noun(b)}, which are disjoint"
                yield self.clash("cax-dw", x, message, (x, a_, a), (x, a_, b), axiom)
        for row in self.rows(f"SELECT ?x ?a ?b WHERE {{ ?a {_N[COMPLEMENT]} ?b . ?x {_A} ?a . ?x {_A} ?b }}"):
            x, a, b = row["x"], row["a"], row["b"]
            message = f"{label(x)} is both {noun(a)} and its complement"
            yield self.clash("cls-com", x, message, (x, a_, a), (x, a_, b), (a, _N[COMPLEMENT], b))
        for row in self.rows(f"SELECT ?x WHERE {{ ?x a {_N[NOTHING]} }}"):
            x = row["x"]
            yield self.clash("cls-nothing2", x, f"{label(x)} is an instance of owl:Nothing", (x, a_, _N[NOTHING]))
        for row in self.rows(f"SELECT ?x ?p WHERE {{ ?p a {_N[IRREFLEXIVE]} . ?x ?p ?x }}"):
            x, p = row["x"], row["p"]
            message = f"{label(x)} is related to itself by the irreflexive '{label(p)}'"
            yield self.clash("prp-irp", x, message, (x, p, x), (p, a_, _N[IRREFLEXIVE]))
        asymmetric = (
            f"SELECT ?x ?y ?p WHERE {{ ?p a {_N[ASYMMETRIC]} . ?x ?p ?y . ?y ?p ?x FILTER(STR(?x) < STR(?y)) }}"
        )
        for row in self.rows(asymmetric):
            x, y, p = row["x"], row["y"], row["p"]
            message = f"{label(x)} and {label(y)} are related both ways by the asymmetric '{label(p)}'"
            yield self.clash("prp-asyp", x, message, (x, p, y), (y, p, x), (p, a_, _N[ASYMMETRIC]))
        for row in self.rows(f"SELECT ?x ?y ?p ?q WHERE {{ ?p {_N[PROPERTY_DISJOINT]} ?q . ?x ?p ?y . ?x ?q ?y }}"):
            x, y, p, q = row["x"], row["y"], row["p"], row["q"]
            message = f"{label(x)} is related to {label(y)} by disjoint properties"
            yield self.clash("prp-pdw", x, message, (x, p, y), (x, q, y), (p, _N[PROPERTY_DISJOINT], q))
        yield from self.cardinalities()
        yield from self.negative_assertions()
        different: list[tuple[Term, Term, TermTriple]] = [
            (r["x"], r["y"], (r["x"], _N[DIFFERENT_FROM], r["y"]))
            for r in self.rows(f"SELECT ?x ?y WHERE {{ ?x {_N[DIFFERENT_FROM]} ?y }}")
        ]
        different += [*self.pairs(ALL_DIFFERENT, DISTINCT_MEMBERS), *self.pairs(ALL_DIFFERENT, MEMBERS)]
        for x, y, axiom in different:
            if next(self.kg.quads(x, _N[SAME_AS], y), None) is not None:
                message = f"{label(x)} and {label(y)} are said to be different, yet are the same"
                yield self.clash("eq-diff1", x, message, (x, _N[SAME_AS], y), axiom)

    def cardinalities(self) -> Iterator[Clash]:
        """cls-maxc1, cls-maxqc1/2: a value of a property a class allows none of."""
        label = self.wording.label
        sparql = f"""SELECT ?r ?kind ?bound ?p ?x ?y ?c WHERE {{
          VALUES ?kind {{ <{OWL}maxCardinality> <{OWL}maxQualifiedCardinality> }}
          ?r ?kind ?bound FILTER(STR(?bound) = "0") ?r <{OWL}onProperty> ?p . ?x {_A} ?r . ?x ?p ?y .
          OPTIONAL {{ ?r <{OWL}onClass> ?c }}
          FILTER(!BOUND(?c) || ?c = <{OWL}Thing> || EXISTS {{ ?y {_A} ?c }})
        }}"""
        for row in self.rows(sparql):
            r, kind, bound, p, x, y = (row[n] for n in ("r", "kind", "bound", "p", "x", "y"))
            c = row.get("c")
            typed = (y, _N[TYPE], c) if c is not None and c != NamedNode(OWL + "Thing") else None
            rule = "cls-maxc1" if kind == NamedNode(OWL + "maxCardinality") else "cls-maxqc1"
            message = f"{label(x)} may have no '{label(p)}', yet has {label(y)}"
            triples = [(x, _N[TYPE], r), (x, p, y), *([typed] if typed else []), (r, kind, bound)]
            yield self.clash(rule, x, message, *triples)

    def negative_assertions(self) -> Iterator[Clash]:
        """prp-npa1/2: a negative property assertion that the closure contradicts."""
        label, verb = self.wording.label, self.wording.verb
        sparql = f"""SELECT ?n ?s ?p ?o ?kind WHERE {{
          VALUES ?kind {{ <{OWL}targetIndividual> <{OWL}targetValue> }}
          ?n <{OWL}sourceIndividual> ?s ; <{OWL}assertionProperty> ?p ; ?kind ?o . ?s ?p ?o .
        }}"""
        for row in self.rows(sparql):
            n, s, p, o, kind = (row[name] for name in ("n", "s", "p", "o", "kind"))
            message = f"{label(s)} {verb(p)} {label(o)}, which is asserted not to hold"
            rule = "prp-npa1" if kind == NamedNode(OWL + "targetIndividual") else "prp-npa2"
            yield self.clash(rule, s, message, (s, p, o), (n, _N[SOURCE_INDIVIDUAL], s))


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
