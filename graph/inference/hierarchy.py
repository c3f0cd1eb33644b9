"""Types of an individual and the class hierarchy, read from the closure (complete for OWL 2 RL)."""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import NamedNode

from ..namespaces import is_anonymous
from .reasoner import Reasoner
from .vocabulary import SUBCLASS, TYPE
from .wording import Wording


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


def _named(reasoner: Reasoner, ids: set[int]) -> list[Named]:
    wording, decode = Wording(reasoner), reasoner.dictionary.decode
    found = [(decode(i), i) for i in ids]
    return sorted(
        (
            Named(term.value, wording.label(i))
            for term, i in found
            if isinstance(term, NamedNode) and not is_anonymous(term)
        ),
        key=lambda n: (n.label.lower(), n.iri),
    )


def types(reasoner: Reasoner, thing: int) -> Types:
    """The named classes ``thing`` is an instance of: stated in the data, and inferred."""
    with reasoner.lock:
        classes = set(reasoner.closure.objects(thing, TYPE))
        inferred = {c for c in classes if (thing, TYPE, c) in reasoner.closure.why}
        return Types(asserted=_named(reasoner, classes - inferred), inferred=_named(reasoner, inferred))


def neighbours(reasoner: Reasoner, cls: int, *, up: bool) -> Hierarchy:
    """Superclasses (``up``) or subclasses of ``cls``; direct ones are those with nothing in between."""
    with reasoner.lock:
        closure = reasoner.closure

        def step(c: int, upward: bool) -> set[int]:
            found = closure.objects(c, SUBCLASS) if upward else closure.subjects(SUBCLASS, c)
            return set(found) - {c}

        reached = step(cls, up)
        beyond = {c: step(c, up) for c in reached}
        equivalent = {c for c in reached if cls in beyond[c]}
        strict = reached - equivalent
        # direct: no named class strictly between (anonymous class expressions are not listed, so they do not
        # hide what is above them; an intermediate equivalent to c does not count)
        decode = reasoner.dictionary.decode
        named = {c for c in strict if isinstance(decode(c), NamedNode) and not is_anonymous(decode(c))}
        direct = {c for c in named if not any(c in beyond[o] and o not in beyond[c] for o in named if o != c)}
        return Hierarchy(
            direct=_named(reasoner, direct), all=_named(reasoner, strict), equivalent=_named(reasoner, equivalent)
        )
