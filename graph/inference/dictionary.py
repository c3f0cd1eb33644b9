"""Integer ids for RDF terms, so that the rules join small ints instead of pyoxigraph objects."""

from __future__ import annotations

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from .vocabulary import TERMS

Term = NamedNode | BlankNode | Literal | Triple


class TermDictionary:
    """A two-way map between terms and ids; the vocabulary of :mod:`.vocabulary` has ids 0, 1, 2, …"""

    def __init__(self) -> None:
        self.ids: dict[Term, int] = {}
        self.terms: list[Term] = []
        #: Ids of terms that cannot be a subject (literals, quoted triples), each to its datatype's id (or -1).
        self.values: dict[int, int] = {}
        for iri in TERMS:
            self.encode(NamedNode(iri))

    def __len__(self) -> int:
        return len(self.terms)

    def encode(self, term: Term) -> int:
        """The id of ``term``, given a new one when it is not known yet."""
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
            if isinstance(term, Literal):
                self.values[found] = -1
                self.values[found] = self.encode(term.datatype)
            elif not isinstance(term, NamedNode | BlankNode):
                self.values[found] = -1
        return found

    def lookup(self, term: Term) -> int | None:
        """The id of ``term``, or None when no triple mentions it."""
        return self.ids.get(term)

    def decode(self, id: int) -> Term:
        return self.terms[id]

    def truncate(self, size: int) -> None:
        """Forget every term added after the dictionary had ``size`` terms (undo for hypothetical data)."""
        for term in self.terms[size:]:
            del self.ids[term]
        for id in range(size, len(self.terms)):
            self.values.pop(id, None)
        del self.terms[size:]
