"""Classifying a hypothetical description: the classes it would fall into, without storing anything.

The description's triples are added to the live closure under the reasoner's lock, the results read, and
exactly the triples that were added are taken out again (the closure was closed before, so nothing else
changed). Schema triples in a description are treated as data: the rules stay those of the stored ontology.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import BlankNode, NamedNode, Quad

from .explanation import Explanation, explain
from .hierarchy import Named, types
from .reasoner import Reasoner
from .vocabulary import TYPE


@dataclass(frozen=True)
class Classification:
    """What one described resource would be: the classes stated, the classes inferred, and why."""

    subject: str
    asserted: list[Named]
    inferred: list[Named]
    explanations: dict[str, Explanation]


def classify(reasoner: Reasoner, quads: Iterable[Quad]) -> list[Classification]:
    """The classes of every subject of ``quads`` as if they were in the knowledge graph."""
    with reasoner.lock:
        dictionary, closure = reasoner.dictionary, reasoner.closure
        size = len(dictionary)
        added: list[tuple[int, int, int]] = []
        try:
            subjects: dict[int, str] = {}
            triples = []
            for quad in quads:
                triple = reasoner.encode(quad.subject, quad.predicate, quad.object)
                if isinstance(quad.subject, NamedNode | BlankNode):
                    subjects.setdefault(triple[0], _name(quad.subject))
                if triple not in closure:
                    triples.append(triple)
            inferred, _ = closure.assert_triples(triples)
            added = triples + inferred
            results = []
            for id, name in subjects.items():
                found = types(reasoner, id)
                explanations = {
                    c.iri: explain(reasoner, (id, TYPE, dictionary.ids[NamedNode(c.iri)])) for c in found.inferred
                }
                results.append(Classification(name, found.asserted, found.inferred, explanations))
            return results
        finally:
            closure.retract_inferred(added)
            dictionary.truncate(size)


def _name(term: NamedNode | BlankNode) -> str:
    return term.value if isinstance(term, NamedNode) else str(term)
