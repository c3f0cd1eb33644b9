"""Classifying a hypothetical description: the classes it would fall into, without storing anything.

The description is reasoned over in a scratch in-memory store holding it and the one-hop neighbourhood
(asserted and inferred triples) of every IRI it mentions, with the rules compiled from the knowledge graph's
schema (schema triples in a description are data: the rules stay those of the stored ontology). The
neighbourhood is context: explanations take its triples as given, inferred ones included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyoxigraph import BlankNode, NamedNode, Quad, Store

from ..embedded import EmbeddedBackend
from ..namespaces import BASE, GRAPH_INFERRED
from . import closure_graph
from .engine import Frontier, Run
from .explanation import Explanation, Prover, explain_with
from .hierarchy import Named, types
from .schema import schema_of
from .state import read_state
from .vocabulary import NODES, TYPE
from .wording import Wording

if TYPE_CHECKING:
    from ..store import KnowledgeGraph

DESCRIPTION = NamedNode(BASE + "graph/description")
CONTEXT = NamedNode(BASE + "graph/context")


@dataclass(frozen=True)
class Classification:
    """What one described resource would be: the classes stated, the classes inferred, and why."""

    subject: str
    asserted: list[Named]
    inferred: list[Named]
    explanations: dict[str, Explanation]


def classify(kg: KnowledgeGraph, quads: Iterable[Quad]) -> list[Classification]:
    """The classes of every subject of ``quads`` as if they were in the knowledge graph."""
    from ..store import KnowledgeGraph

    description = [Quad(q.subject, q.predicate, q.object, DESCRIPTION) for q in quads]
    scratch = KnowledgeGraph(EmbeddedBackend(Store()))
    scratch.store.extend(description)
    mentioned = {t for q in description for t in (q.subject, q.object) if isinstance(t, NamedNode)}
    context = [q for iri in mentioned for q in (*kg.quads(iri, None, None), *kg.quads(None, None, iri))]
    scratch.store.extend(
        Quad(q.subject, q.predicate, q.object, GRAPH_INFERRED if q.graph_name == GRAPH_INFERRED else CONTEXT)
        for q in context
    )
    scratch.store.extend(closure_graph.quads((q.subject, q.predicate, q.object) for q in (*description, *context)))
    schema = schema_of(kg, read_state(kg).schema)
    Run(scratch, schema).forward(Frontier(None))
    wording = Wording(scratch, kg)
    prover = Prover(scratch, schema, context={(q.subject, q.predicate, q.object) for q in context})
    results = []
    for subject in dict.fromkeys(q.subject for q in description):
        if not isinstance(subject, NamedNode | BlankNode):
            continue
        found = types(scratch, subject, wording=wording)
        explanations = {}
        for cls in found.inferred:
            explanation = explain_with(prover, wording, (subject, NODES[TYPE], NamedNode(cls.iri)))
            if explanation is not None:
                explanations[cls.iri] = explanation
        name = subject.value if isinstance(subject, NamedNode) else str(subject)
        results.append(Classification(name, found.asserted, found.inferred, explanations))
    return results
