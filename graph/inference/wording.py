"""Triples and class expressions in English, with the labels the graph gives its terms."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode

from ..namespaces import is_anonymous
from .reasoner import Reasoner
from .rules import Triple
from .schema import read_list
from .vocabulary import (
    ALL_VALUES,
    CHAIN,
    DOMAIN,
    EQUIVALENT_CLASS,
    EQUIVALENT_PROPERTY,
    HAS_VALUE,
    INTERSECTION,
    INVERSE,
    LABEL,
    ON_PROPERTY,
    RANGE,
    SAME_AS,
    SOME_VALUES,
    SUBCLASS,
    SUBPROPERTY,
    SYMMETRIC,
    THING,
    TRANSITIVE,
    TYPE,
    UNION,
)

#: Predicates of the triples that only spell out an anonymous class (left out of sentences).
DEFINING = frozenset({SOME_VALUES, ALL_VALUES, HAS_VALUE, ON_PROPERTY})
_PREPOSITIONS = (" by", " of", " from", " to", " with", " in", " on", " for", " as")


class Wording:
    """Renders ids as labels, class expressions as noun phrases and triples as clauses."""

    def __init__(self, reasoner: Reasoner) -> None:
        self.reasoner = reasoner
        self.closure = reasoner.closure
        self.decode = reasoner.dictionary.decode

    def label(self, id: int) -> str:
        """The English (or untagged) rdfs:label of a term, else its local name."""
        term = self.decode(id)
        if isinstance(term, Literal):
            return term.value
        labels = [self.decode(o) for o in self.closure.objects(id, LABEL)]
        for label in sorted(labels, key=lambda t: (getattr(t, "language", None) not in ("en", None), str(t))):
            if isinstance(label, Literal):
                return label.value
        if isinstance(term, NamedNode):
            return term.value.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1].replace("_", " ")
        return str(term)

    def noun(self, id: int, *, article: bool = True) -> str:
        """A class as a noun phrase: its label, or a description of an anonymous class expression."""
        term, closure = self.decode(id), self.closure
        if is_anonymous(term):
            prop = next(iter(closure.objects(id, ON_PROPERTY)), None)
            if prop is not None:
                verb = self.verb(prop)
                for filler in closure.objects(id, SOME_VALUES):
                    what = "something" if filler == THING else self.noun(filler)
                    return f"something that {verb} {what}"
                for value in closure.objects(id, HAS_VALUE):
                    return f"something that {verb} {self.label(value)}"
                for filler in closure.objects(id, ALL_VALUES):
                    return f"something whose every {self.label(prop)} is {self.noun(filler)}"
            for kind, joiner in ((INTERSECTION, " and "), (UNION, " or ")):
                for head in closure.objects(id, kind):
                    members = read_list(closure, head) or []
                    return joiner.join(self.noun(m) for m in members)
        name = self.label(id)
        if not article:
            return name
        return f"{_article(name)} {name}"

    def verb(self, prop: int) -> str:
        label = self.label(prop)
        if label.startswith(("has ", "is ", "was ")) or (" " not in label and label.endswith("s")):
            return label
        if label.endswith(_PREPOSITIONS):
            return f"is {label}"
        return f"has {label}"

    def clause(self, triple: Triple) -> str | None:
        """The triple as an English clause, or None for triples that only spell out an anonymous class."""
        s, p, o = triple
        label = self.label
        if p in DEFINING or (p in (INTERSECTION, UNION) and is_anonymous(self.decode(s))):
            return None
        if p == TYPE:
            if o == TRANSITIVE:
                return f"'{label(s)}' is transitive"
            if o == SYMMETRIC:
                return f"'{label(s)}' is symmetric"
            return f"{label(s)} is {self.noun(o)}"
        if p == SUBCLASS and is_anonymous(self.decode(s)):
            return f"anything that is {self.noun(s)} is {self.noun(o)}"
        if p == SUBCLASS:
            return f"every {self.noun(s, article=False)} is {self.noun(o)}"
        if p == EQUIVALENT_CLASS:
            return f"{self.noun(s)} is exactly {self.noun(o)}"
        if p in (INTERSECTION, UNION):
            return f"{self.noun(s)} is exactly {self._members(o, p)}"
        if p == SUBPROPERTY:
            return f"whatever {self.verb(s)} something also {self.verb(o)} it"
        if p == EQUIVALENT_PROPERTY:
            return f"'{label(s)}' means the same as '{label(o)}'"
        if p == DOMAIN:
            return f"whatever {self.verb(s)} something is {self.noun(o)}"
        if p == RANGE:
            return f"whatever something {self.verb(s)} is {self.noun(o)}"
        if p == INVERSE:
            return f"'{label(s)}' is the inverse of '{label(o)}'"
        if p == CHAIN:
            steps = read_list(self.closure, o) or []
            return f"'{label(s)}' follows the chain {' then '.join(repr(label(x)) for x in steps)}"
        if p == SAME_AS:
            return f"{label(s)} is the same as {label(o)}"
        return f"{label(s)} {self.verb(p)} {label(o)}"

    def step(self, triple: Triple) -> str:
        """The triple as a clause; a triple that spells out an anonymous class names the class it defines."""
        clause = self.clause(triple)
        if clause is not None:
            return clause
        return f"“{self.noun(triple[0])}” is a class"

    def _members(self, head: int, kind: int) -> str:
        members = read_list(self.closure, head) or []
        return (" and " if kind == INTERSECTION else " or ").join(self.noun(m) for m in members)


def _article(noun: str) -> str:
    """'a' or 'an' by sound: "an image generator", "an LLM-powered product", "a 3D generator"."""
    acronym = noun[:2].isupper()
    return "an" if noun[:1] in ("AEFHILMNORSX" if acronym else "aeiouAEIOU8") else "a"
