"""Why a triple holds: a proof found by searching backwards from it, as steps and as a sentence.

No derivation is recorded when the closure is computed. To explain a triple, each rule that can conclude it
is asked, as one query with the conclusion bound, for premises that hold; a premise in the inferred graph is
explained the same way (a premise in any other graph is stated: a leaf), and a schema triple from the
schema closure's own derivations. The search deepens one step at a time (the first proof found is a short
one), never revisits a triple on its own path, and gives up past :data:`MAX_DEPTH` steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode, QuerySolutions

from ..errors import BadRequest, NotFound
from ..namespaces import expand, is_reasoners
from . import program, rule_sparql
from .dictionary import Term
from .engine import CLOSURE
from .program import Row, Rule, shown
from .rules import RULES
from .schema import CompiledSchema, TermTriple, schema_of
from .state import read_state
from .vocabulary import NODES, SUBCLASS, TYPE
from .wording import Wording

if TYPE_CHECKING:
    from ..store import KnowledgeGraph

#: The longest proof searched for, in rule applications from the explained triple down.
MAX_DEPTH = 16
#: Premise sets asked of the store per rule and goal (one is enough when its premises can be proved).
CANDIDATES = 4

Proof = tuple[str, tuple[TermTriple, ...]]
ASSERTED: Proof = ("asserted", ())


@dataclass(frozen=True)
class Step:
    """One triple of an explanation: asserted (``rule`` is "asserted") or derived from earlier steps."""

    rule: str
    triple: tuple[str, str, str]
    text: str
    premises: tuple[int, ...]

    def as_json(self) -> dict[str, object]:
        s, p, o = self.triple
        return {
            "rule": self.rule,
            "description": RULES.get(self.rule, "stated in the data or the ontology"),
            "subject": s,
            "predicate": p,
            "object": o,
            "text": self.text,
            "premises": list(self.premises),
        }


@dataclass(frozen=True)
class Explanation:
    """The steps (premises before conclusions, the last one the explained triple) and a sentence."""

    steps: list[Step]
    sentence: str

    def as_json(self) -> dict[str, object]:
        return {"sentence": self.sentence, "steps": [step.as_json() for step in self.steps]}


class Prover:
    """Backward proof search over one store (and its compiled schema), remembering what it proved."""

    def __init__(self, kg: KnowledgeGraph, schema: CompiledSchema, *, context: set[TermTriple] | None = None) -> None:
        self.kg = kg
        self.schema = schema
        #: Triples taken as given, like stated ones (a classification's neighbourhood).
        self.context = context or set()
        self.proofs: dict[TermTriple, Proof] = {}
        self._failed: dict[TermTriple, int] = {}

    # -- what the store holds ------------------------------------------------------------------------

    def graphs(self, triple: TermTriple) -> set[object]:
        s, p, o = triple
        if not isinstance(p, NamedNode):
            return set()
        return {q.graph_name for q in self.kg.quads(s, p, o)}

    def stated(self, triple: TermTriple) -> bool:
        if triple[1] == program.MEMBER:  # a stated rdf:type of an anonymous class (the bridge rule's premise)
            return self.stated(program.shown(triple))
        return triple in self.context or any(not is_reasoners(g) for g in self.graphs(triple))

    # -- the search ----------------------------------------------------------------------------------

    def prove(self, goal: TermTriple) -> bool:
        """Whether ``goal`` is stated or follows; its proof is then in :attr:`proofs`."""
        if self._leaf(goal):
            return True
        if not self.graphs(goal):
            return False
        for depth in range(1, MAX_DEPTH + 1):
            self._failed.clear()
            if self._prove(goal, depth, frozenset()):
                return True
        return False

    def _leaf(self, goal: TermTriple) -> bool:
        """Proves a goal that needs no search: stated, or entailed by the schema closure."""
        if goal in self.proofs:
            return True
        if self.schema.asserts(goal) or self.stated(goal):
            self.proofs[goal] = ASSERTED
            return True
        derivation = self.schema.derivation(goal)
        if derivation is None:
            return False
        rule, premises = derivation
        for premise in premises:  # the schema closure's premises are schema triples, asserted or entailed
            self._leaf(premise) or self.proofs.setdefault(premise, ASSERTED)
        self.proofs[goal] = (rule, tuple(premises))
        return True

    def _prove(self, goal: TermTriple, depth: int, path: frozenset[TermTriple]) -> bool:
        if self._leaf(goal):
            return True
        if depth == 0 or goal in path or self._failed.get(goal, -1) >= depth:
            return False
        inner = path | {goal}
        for rule_name, premises in self.candidates(goal):
            if all(self._prove(p, depth - 1, inner) for p in premises):
                self.proofs[goal] = (rule_name, premises)
                return True
        self._failed[goal] = depth
        return False

    def candidates(self, goal: TermTriple) -> Iterator[Proof]:
        """Rule instances that conclude ``goal`` with every premise in the store (axioms included)."""
        for rule in self.schema.program:
            substitutions = _unify(rule.conclusion, goal)
            if substitutions is None:
                continue
            rows = [row for row in rule.rows if _agrees(rule, row, goal)]
            for batch in rule_sparql.batches(rule, rows):
                used = program.premise_variables(batch.rule)
                bound = {**substitutions, **(batch.substitutions or {})}
                given = {name: term for name, term in bound.items() if name in used}  # the rest: conclusion only
                result = self.kg.backend.query(
                    rule_sparql.premises(batch, CANDIDATES), CLOSURE, substitutions=given, base_iri=None
                )
                assert isinstance(result, QuerySolutions)
                names = [v.value for v in result.variables]
                for solution in result:
                    values = {n: solution[n] for n in names if solution[n] is not None}
                    yield from _instances(rule, batch.rows, {**bound, **values})


def _unify(conclusion: program.Pattern, goal: TermTriple) -> dict[str, Term] | None:
    """The free variables of a conclusion bound to a goal's terms (None when a constant disagrees)."""
    bound: dict[str, Term] = {}
    for slot, term in zip(conclusion, goal, strict=True):
        if not isinstance(slot, str):
            if slot != term:
                return None
        elif bound.setdefault(slot[1:], term) != term:
            return None
    return bound


def _agrees(rule: Rule, row: Row, goal: TermTriple) -> bool:
    """Whether a row's column values agree with the goal where the conclusion uses them."""
    return all(
        value is None or value == term for value, term in zip(rule.bound(rule.conclusion, row), goal, strict=True)
    )


def _instances(rule: Rule, rows: tuple[Row, ...], solution: dict[str, Term]) -> Iterator[Proof]:
    for row in rows:
        if any(solution.get(c, v) != v for c, v in zip(rule.columns, row.values, strict=True)):
            continue
        premises = [program.instantiate(rule, p, row, solution) for p in rule.premises]
        found = [p for p in premises if p is not None]
        if len(found) == len(premises):
            yield rule.name, (*found, *row.axioms)
        return


# -- explanations ----------------------------------------------------------------------------------------


def explain(kg: KnowledgeGraph, subject: Term, predicate: NamedNode, object: Term) -> Explanation | None:
    """Why the triple holds, or None when the knowledge graph neither states nor entails it."""
    prover = Prover(kg, schema_of(kg, read_state(kg).schema))
    return explain_with(prover, Wording(kg), program.stored((subject, predicate, object)))


def explain_with(prover: Prover, wording: Wording, triple: TermTriple) -> Explanation | None:
    """The explanation of ``triple`` by ``prover``, worded by ``wording`` (None when it has no proof); a
    membership of an anonymous class is told as the ``rdf:type`` it stands for."""
    if not prover.prove(triple):
        return None
    index: dict[TermTriple, int] = {}
    steps: list[Step] = []
    facts: list[TermTriple] = []
    stack: list[tuple[TermTriple, bool]] = [(triple, False)]
    while stack:  # iterative post-order: proofs can be long chains (transitive properties)
        current, expanded = stack.pop()
        if current in index:
            continue
        rule, premises = prover.proofs.get(current, ASSERTED)
        if not premises:
            facts.append(current)
            index[current] = len(steps)
            steps.append(Step("asserted", strings(current), wording.step(shown(current)), ()))
        elif expanded:
            index[current] = len(steps)
            refs = tuple(index[p] for p in premises)
            steps.append(Step(rule, strings(current), wording.step(shown(current)), refs))
        else:
            stack.append((current, True))
            stack.extend((p, False) for p in reversed(premises) if p not in index)
    conclusion = wording.clause(shown(triple)) or str(strings(triple))
    if prover.proofs.get(triple, ASSERTED) == ASSERTED:
        sentence = f"{conclusion}: this is stated in the data."
    else:
        reasons = [c for c in (wording.clause(shown(f)) for f in facts) if c]
        sentence = f"{_capital(conclusion)} because {', '.join(reasons)}."
    return Explanation(steps, _capital(sentence))


def _capital(text: str) -> str:
    """Capitalise sentences that start with our own words; labels and IRIs keep their case."""
    if text.startswith(("every ", "whatever ", "anything ", "a ", "an ", "something ")):
        return text[:1].upper() + text[1:]
    return text


def strings(triple: TermTriple) -> tuple[str, str, str]:
    """A triple's terms as strings: IRIs bare, blank nodes and literals in N-Triples syntax (a membership of an
    anonymous class as its ``rdf:type``)."""
    s, p, o = shown(triple)
    return (_plain(s), _plain(p), _plain(o))


def _plain(term: object) -> str:
    return term.value if isinstance(term, NamedNode) else str(term)


def resolve(kg: KnowledgeGraph, name: str, *, what: str) -> NamedNode:
    """The IRI given in full or as ``prefix:Local``; NotFound when no triple mentions it."""
    iri = expand(name.strip())
    try:
        term = NamedNode(iri)
    except ValueError as error:
        raise BadRequest(f"{what} {name!r} is not an IRI (give a full IRI or prefix:Local)") from error
    patterns = ((term, None, None), (None, None, term), (None, term, None))
    if not any(next(kg.quads(*pattern), None) is not None for pattern in patterns):
        raise NotFound(f"no {what} {iri} in the knowledge graph")
    return term


def is_a(kg: KnowledgeGraph, thing: NamedNode, cls: NamedNode) -> tuple[bool, Explanation | None]:
    """Whether ``thing`` is an instance (or a subclass) of ``cls``, with the explanation when it is."""
    for predicate in (NODES[TYPE], NODES[SUBCLASS]):
        if next(kg.quads(thing, predicate, cls), None) is not None:
            return True, explain(kg, thing, predicate, cls)
    return False, None
