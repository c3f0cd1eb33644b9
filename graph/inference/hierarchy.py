"""Types of an individual and the class hierarchy, read from the materialised store (complete for OWL 2 RL)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode

from ..namespaces import GRAPH_INFERRED, is_anonymous
from .dictionary import Term
from .vocabulary import NODES, SUBCLASS, TYPE
from .wording import Wording

if TYPE_CHECKING:
    from ..store import KnowledgeGraph


@dataclass(frozen=True)
class Named:
    """A named class (or individual) with its label."""

    iri: str
    label: str


@dataclass(frozen=True)
class Types:
    asserted: list[Named]
    inferred: list[Named]


@dataclass(frozen=True)
class Hierarchy:
    """A class's neighbours in one direction: the nearest ones, all of them, and its equivalents."""

    direct: list[Named]
    all: list[Named]
    equivalent: list[Named]


def named(wording: Wording, terms: Iterable[Term]) -> list[Named]:
    """The named classes among ``terms`` (anonymous class expressions are never listed), by label."""
    found = {t for t in terms if isinstance(t, NamedNode) and not is_anonymous(t)}
    return sorted((Named(t.value, wording.label(t)) for t in found), key=lambda n: (n.label.lower(), n.iri))


def types(kg: KnowledgeGraph, thing: Term, *, wording: Wording | None = None) -> Types:
    """The named classes ``thing`` is an instance of: stated in the data, and inferred."""
    graphs: dict[Term, set[object]] = {}
    for quad in kg.quads(thing, NODES[TYPE], None):
        graphs.setdefault(quad.object, set()).add(quad.graph_name)
    inferred = {c for c, found in graphs.items() if found == {GRAPH_INFERRED}}
    wording = wording or Wording(kg)
    return Types(asserted=named(wording, set(graphs) - inferred), inferred=named(wording, inferred))


def neighbours(kg: KnowledgeGraph, cls: NamedNode, *, up: bool) -> Hierarchy:
    """Superclasses (``up``) or subclasses of ``cls``; direct ones are those with nothing in between."""
    subclass = NODES[SUBCLASS]

    def step(c: Term, upward: bool) -> set[Term]:
        if upward:
            found = {q.object for q in kg.quads(c, subclass, None)}
        else:
            found = {q.subject for q in kg.quads(None, subclass, c)}
        return found - {c}

    reached = step(cls, up)
    beyond = {c: step(c, up) for c in reached}
    equivalent = {c for c in reached if cls in beyond[c]}
    strict = reached - equivalent
    # direct: no named class strictly between (anonymous class expressions are not listed, so they do not
    # hide what is above them; an intermediate equivalent to c does not count)
    names = {c for c in strict if isinstance(c, NamedNode) and not is_anonymous(c)}
    direct = {c for c in names if not any(c in beyond[o] and o not in beyond[c] for o in names if o != c)}
    wording = Wording(kg)
    return Hierarchy(direct=named(wording, direct), all=named(wording, strict), equivalent=named(wording, equivalent))
