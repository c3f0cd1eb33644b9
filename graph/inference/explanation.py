"""Why a triple holds: its derivation tree, from asserted facts and axioms, as steps and as a sentence.

Every inferred triple keeps the first rule firing that produced it (:attr:`.closure.Closure.why`), so an
explanation is a walk down those records to asserted triples: no reasoning happens here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyoxigraph import NamedNode

from ..errors import NotFound
from ..namespaces import expand
from .reasoner import Reasoner
from .rules import RULES, Triple
from .vocabulary import SUBCLASS, TYPE
from .wording import Wording


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


def explain(reasoner: Reasoner, triple: Triple) -> Explanation:
    """The explanation of a triple the closure holds (asserted or inferred)."""
    with reasoner.lock:
        closure, wording = reasoner.closure, Wording(reasoner)
        why, decode = closure.why, reasoner.dictionary.decode
        index: dict[Triple, int] = {}
        steps: list[Step] = []
        facts: list[Triple] = []

        def visit(t: Triple) -> int:
            # iterative post-order: derivations can be long chains (transitive properties)
            stack: list[tuple[Triple, bool]] = [(t, False)]
            while stack:
                current, expanded = stack.pop()
                if current in index:
                    continue
                derivation = why.get(current)
                if derivation is None:
                    facts.append(current)
                    index[current] = len(steps)
                    steps.append(Step("asserted", strings(decode, current), wording.step(current), ()))
                elif expanded:
                    rule, premises = derivation
                    refs = tuple(index[p] for p in premises)
                    index[current] = len(steps)
                    steps.append(Step(rule, strings(decode, current), wording.step(current), refs))
                else:
                    stack.append((current, True))
                    stack.extend((p, False) for p in reversed(derivation[1]) if p not in index)
            return index[t]

        visit(triple)
        conclusion = wording.clause(triple) or str(strings(decode, triple))
        if triple not in why:
            sentence = f"{conclusion}: this is stated in the data."
        else:
            reasons = [c for c in (wording.clause(f) for f in facts) if c]
            sentence = f"{_capital(conclusion)} because {', '.join(reasons)}."
        return Explanation(steps, _capital(sentence))


def _capital(text: str) -> str:
    """Capitalise sentences that start with our own words; labels and IRIs keep their case."""
    if text.startswith(("every ", "whatever ", "anything ", "a ", "an ", "something ")):
        return text[:1].upper() + text[1:]
    return text


def strings(decode: Callable[[int], object], triple: Triple) -> tuple[str, str, str]:
    """A triple's terms as strings: IRIs bare, blank nodes and literals in N-Triples syntax."""
    s, p, o = (decode(x) for x in triple)
    return (_plain(s), _plain(p), _plain(o))


def _plain(term: object) -> str:
    return term.value if isinstance(term, NamedNode) else str(term)


def resolve(reasoner: Reasoner, name: str, *, what: str) -> int:
    """The id of an IRI given in full or as ``prefix:Local``; NotFound when no triple mentions it."""
    iri = expand(name.strip())
    try:
        term = NamedNode(iri)
    except ValueError as error:
        from ..errors import BadRequest

        raise BadRequest(f"{what} {name!r} is not an IRI (give a full IRI or prefix:Local)") from error
    found = reasoner.dictionary.lookup(term)
    if found is None:
        raise NotFound(f"no {what} {iri} in the knowledge graph")
    return found


def is_a(reasoner: Reasoner, thing: int, cls: int) -> tuple[bool, Explanation | None]:
    """Whether ``thing`` is an instance (or a subclass) of ``cls``, with the explanation when it is."""
    with reasoner.lock:
        for triple in ((thing, TYPE, cls), (thing, SUBCLASS, cls)):
            if triple in reasoner.closure:
                return True, explain(reasoner, triple)
        return False, None
