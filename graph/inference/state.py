"""What the store says about its closure: current or not, for which rules and schema, at which generation.

The state is a handful of triples about the inferred graph, kept in the inferred graph itself (so a dump, a
checkpoint or a remote engine carries it along with the closure it describes)::

    <…/graph/inferred> gkr:generation "…" ;      # changes with every committed write
                       gkr:rules "…" ;           # the reasoner's rules version that computed the closure
                       gkr:schema "…" ;          # fingerprint of the ontology it was computed with
                       gkr:report "{…}" .        # what the last reasoning did (JSON)
    <…/graph/inferred> gkr:pending "write id" .  # only between a write's commit and the end of its reasoning

A closure is *current* when it has a generation, was computed by this version of the rules, and no write is
pending. A reader of a current store needs nothing else; a writer that finds a write pending (a crash in the
middle of one) computes the closure again before it goes on.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, Quad

from ..namespaces import GKR, GRAPH_INFERRED

if TYPE_CHECKING:
    from ..store import KnowledgeGraph

GENERATION = NamedNode(GKR + "generation")
RULES = NamedNode(GKR + "rules")
SCHEMA = NamedNode(GKR + "schema")
PENDING = NamedNode(GKR + "pending")
REPORT = NamedNode(GKR + "report")
#: Bump when the rules change what they entail, or what the reasoner writes where (3: the closure graph):
#: stores computed by other rules are then recomputed once.
RULES_VERSION = "owl2rl-sparql-3"
STATE_PREDICATES = (GENERATION, RULES, SCHEMA, PENDING, REPORT)


@dataclass(frozen=True)
class ClosureState:
    """The closure as the store describes it."""

    generation: str | None = None
    rules: str | None = None
    schema: str | None = None
    pending: tuple[str, ...] = ()
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``current``, ``pending`` (a write did not finish reasoning), ``stale`` (other rules) or ``absent``."""
        if self.pending:
            return "pending"
        if self.generation is None:
            return "absent"
        return "current" if self.rules == RULES_VERSION else "stale"

    @property
    def current(self) -> bool:
        return self.status == "current"


def read_state(kg: KnowledgeGraph) -> ClosureState:
    """The closure state stored with ``kg`` (one small read: the inferred graph's own triples)."""
    values: dict[NamedNode, list[str]] = {}
    for quad in kg.backend.quads(GRAPH_INFERRED, None, None, GRAPH_INFERRED):
        if quad.predicate in STATE_PREDICATES and isinstance(quad.object, Literal):
            values.setdefault(quad.predicate, []).append(quad.object.value)

    def one(predicate: NamedNode) -> str | None:
        found = values.get(predicate)
        return min(found) if found else None

    report = one(REPORT)
    return ClosureState(
        generation=one(GENERATION),
        rules=one(RULES),
        schema=one(SCHEMA),
        pending=tuple(sorted(values.get(PENDING, ()))),
        report=json.loads(report) if report else {},
    )


def read_generation(kg: KnowledgeGraph) -> str | None:
    """The closure's generation alone: one triple pattern, read on every request that needs a validator or
    a snapshot (the whole state, with its JSON report, costs several times more)."""
    found = [
        quad.object.value
        for quad in kg.backend.quads(GRAPH_INFERRED, GENERATION, None, GRAPH_INFERRED)
        if isinstance(quad.object, Literal)
    ]
    return min(found) if found else None


def pending_quad(write: str) -> Quad:
    """The triple that marks write ``write`` as committed but not yet reasoned over."""
    return Quad(GRAPH_INFERRED, PENDING, Literal(write), GRAPH_INFERRED)


def new_write() -> str:
    return uuid.uuid4().hex


def mark_pending(kg: KnowledgeGraph, write: str) -> None:
    """Mark the closure pending on its own (a bulk load, a full materialisation, a native update)."""
    kg.backend.add([pending_quad(write)])


def publish(kg: KnowledgeGraph, *, schema: str, report: dict[str, Any]) -> str:
    """Mark the closure current for this rules version and ``schema``, under a new generation; returns it.

    One update replaces every state triple (pending marks included), so readers see the old state or the new.
    """
    generation = uuid.uuid4().hex
    g = GRAPH_INFERRED
    facts = {GENERATION: generation, RULES: RULES_VERSION, SCHEMA: schema, REPORT: json.dumps(report)}
    inserted = " ".join(f"{g} {p} {Literal(v)} ." for p, v in facts.items())
    kg.backend.update(
        f"DELETE {{ GRAPH {g} {{ {g} ?p ?o }} }} WHERE {{ GRAPH {g} {{ {g} ?p ?o }} "
        f"VALUES ?p {{ {' '.join(str(p) for p in STATE_PREDICATES)} }} }} ;\n"
        f"INSERT DATA {{ GRAPH {g} {{ {inserted} }} }}"
    )
    return generation
