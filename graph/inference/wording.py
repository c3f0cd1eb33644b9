"""Triples and class expressions in English, with the labels the graph gives its terms (read from the store)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode

from ..namespaces import is_anonymous
from .dictionary import Term
from .vocabulary import (
    ALL_VALUES,
    CHAIN,
    DOMAIN,
    EQUIVALENT_CLASS,
    EQUIVALENT_PROPERTY,
    FIRST,
    HAS_VALUE,
    INTERSECTION,
    INVERSE,
    LABEL,
    NIL,
    NODES,
    ON_PROPERTY,
    RANGE,
    REST,
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

if TYPE_CHECKING:
    from ..store import KnowledgeGraph
    from .schema import TermTriple

_N = NODES
#: Predicates of the triples that only spell out an anonymous class (left out of sentences).
DEFINING = frozenset({_N[SOME_VALUES], _N[ALL_VALUES], _N[HAS_VALUE], _N[ON_PROPERTY]})
_PREPOSITIONS = (" by", " of", " from", " to", " with", " in", " on", " for", " as")


class Wording:
    """Renders terms as labels, class expressions as noun phrases and triples as clauses.

    Labels and class expressions are read from ``sources`` in order (a classification's scratch store
    first, then the knowledge graph), once each.
    """

    def __init__(self, *sources: KnowledgeGraph) -> None:
        self.sources = sources
        self._read: dict[tuple[Term, NamedNode], list[Term]] = {}

    def objects(self, subject: Term, predicate: NamedNode) -> list[Term]:
        """The objects of ``subject predicate ?o`` in the first source that has any."""
        key = (subject, predicate)
        found = self._read.get(key)
        if found is None:
            found = []
            for kg in self.sources:
                found = list(dict.fromkeys(q.object for q in kg.quads(subject, predicate, None)))
                if found:
                    break
            self._read[key] = found
        return found

    def members(self, head: Term) -> list[Term]:
        """The members of an RDF list (empty when it is broken)."""
        members: list[Term] = []
        seen: set[Term] = set()
        while head != _N[NIL]:
            firsts, rests = self.objects(head, _N[FIRST]), self.objects(head, _N[REST])
            if head in seen or len(firsts) != 1 or len(rests) != 1:
                return []
            seen.add(head)
            members += firsts
            head = rests[0]
        return members

    def label(self, term: Term) -> str:
        """The English (or untagged) rdfs:label of a term, else its local name."""
        if isinstance(term, Literal):
            return term.value
        labels = self.objects(term, _N[LABEL])
        for label in sorted(labels, key=lambda t: (getattr(t, "language", None) not in ("en", None), str(t))):
            if isinstance(label, Literal):
                return label.value
        if isinstance(term, NamedNode) and not is_anonymous(term):
            return term.value.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1].replace("_", " ")
        return str(term)

    def noun(self, term: Term, *, article: bool = True) -> str:
        """A class as a noun phrase: its label, or a description of an anonymous class expression."""
        if is_anonymous(term):
            prop = next(iter(self.objects(term, _N[ON_PROPERTY])), None)
            if prop is not None:
                verb = self.verb(prop)
                for filler in self.objects(term, _N[SOME_VALUES]):
                    what = "something" if filler == _N[THING] else self.noun(filler)
                    return f"something that {verb} {what}"
                for value in self.objects(term, _N[HAS_VALUE]):
                    return f"something that {verb} {self.label(value)}"
                for filler in self.objects(term, _N[ALL_VALUES]):
                    return f"something whose every {self.label(prop)} is {self.noun(filler)}"
            for kind, joiner in ((_N[INTERSECTION], " and "), (_N[UNION], " or ")):
                for head in self.objects(term, kind):
                    return joiner.join(self.noun(m) for m in self.members(head))
            inverse = next(iter(self.objects(term, _N[INVERSE])), None)
            if inverse is not None:
                return f"the inverse of '{self.label(inverse)}'"
        name = self.label(term)
        if not article:
            return name
        return f"{indefinite_article(name)} {name}"

    def verb(self, prop: Term) -> str:
        label = self.label(prop)
        if label.startswith(("has ", "is ", "was ")) or (" " not in label and label.endswith("s")):
            return label
        if label.endswith(_PREPOSITIONS):
            return f"is {label}"
        return f"has {label}"

    def clause(self, triple: TermTriple) -> str | None:
        """The triple as an English clause, or None for triples that only spell out an anonymous class."""
        s, p, o = triple
        label = self.label
        if p in DEFINING or (p in (_N[INTERSECTION], _N[UNION]) and is_anonymous(s)):
            return None
        if p == _N[TYPE]:
            if o == _N[TRANSITIVE]:
                return f"'{label(s)}' is transitive"
            if o == _N[SYMMETRIC]:
                return f"'{label(s)}' is symmetric"
            return f"{label(s)} is {self.noun(o)}"
        if p == _N[SUBCLASS] and is_anonymous(s):
            return f"anything that is {self.noun(s)} is {self.noun(o)}"
        if p == _N[SUBCLASS]:
            return f"every {self.noun(s, article=False)} is {self.noun(o)}"
        if p == _N[EQUIVALENT_CLASS]:
            return f"{self.noun(s)} is exactly {self.noun(o)}"
        if p in (_N[INTERSECTION], _N[UNION]):
            joiner = " and " if p == _N[INTERSECTION] else " or "
            return f"{self.noun(s)} is exactly {joiner.join(self.noun(m) for m in self.members(o))}"
        if p == _N[SUBPROPERTY]:
            return f"whatever {self.verb(s)} something also {self.verb(o)} it"
        if p == _N[EQUIVALENT_PROPERTY]:
            return f"'{label(s)}' means the same as '{label(o)}'"
        if p == _N[DOMAIN]:
            return f"whatever {self.verb(s)} something is {self.noun(o)}"
        if p == _N[RANGE]:
            return f"whatever something {self.verb(s)} is {self.noun(o)}"
        if p == _N[INVERSE]:
            return f"'{label(s)}' is the inverse of '{label(o)}'"
        if p == _N[CHAIN]:
            steps = self.members(o)
            return f"'{label(s)}' follows the chain {' then '.join(repr(label(x)) for x in steps)}"
        if p == _N[SAME_AS]:
            return f"{label(s)} is the same as {label(o)}"
        return f"{label(s)} {self.verb(p)} {label(o)}"

    def step(self, triple: TermTriple) -> str:
        """The triple as a clause; a triple that spells out an anonymous class names the class it defines."""
        clause = self.clause(triple)
        if clause is not None:
            return clause
        return f"“{self.noun(triple[0])}” is a class"


def indefinite_article(noun: str) -> str:
    """'a' or 'an' by sound: "an image generator", "an LLM-powered product", "a 3D generator", "an AI system".

    >>> [indefinite_article(n) for n in ("image generator", "LLM-powered product", "3D generator", "AI system", "product")]
    ['an', 'an', 'a', 'an', 'a']"""
    acronym = noun[:2].isupper()
    return "an" if noun[:1] in ("AEFHILMNORSX" if acronym else "aeiouAEIOU8") else "a"
