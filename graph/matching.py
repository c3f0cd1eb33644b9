"""Reconciliation: which resource of the graph a name stands for, given perhaps its type and organisations.

One matcher serves the Epoch import (which rows are the article's entities) and the reconciliation API
(OpenRefine columns against the graph). Names are compared in a normalised form, so punctuation, case,
accents, legal forms and word order do not matter, and a version or size qualifier is recognised:

>>> tokens("DALL·E 3") == tokens("DALL-E 3") and compact("DALLE 3") == compact("DALL·E 3")
True
>>> tokens("Llama 3.1-405B"), tokens("Qwen2.5 Instruct (72B)"), tokens("Midjourney, Inc.")
(('llama', '3.1', '405b'), ('qwen', '2.5', 'instruct', '72b'), ('midjourney',))

A :class:`Matcher` indexes its candidates by compact name, by sorted tokens and by token prefixes, so a
query looks at the few candidates that share something with it. :meth:`Matcher.match` scores them:

========================  =====  ==========================================================================
kind                      score  when
========================  =====  ==========================================================================
``exact``                 1.0    same compact name as a label or alternative label (``DALL-E 3``, ``dalle3``)
``word order``            0.95   the same words in another order (``Claude Opus 3``)
``variant``               0.75   a candidate's name followed by more words (``GPT-5 mini`` of ``GPT-5``), or
                                 the query with its parenthesised qualifier dropped (``GPT-4o (Mar 2025)``)
``version``               0.7    as ``variant``, a minor version further (``Llama 3.1-405B`` of ``Llama 3``)
``broader``               0.6    the query's name is the start of a candidate's (``GPT-4 Turbo`` and
                                 ``GPT-4 Turbo with Vision``): perhaps the same thing, perhaps not
``partial``               ≤ 0.5  half the Jaccard similarity of their words
========================  =====  ==========================================================================

A candidate is a ``match`` only when its name is the same (``exact`` or ``word order``), its organisation
does not contradict the query's, and no other candidate is as good: among equals the organisation breaks
the tie (the developer itself before a parent organisation). Anything else is reported, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pyoxigraph import Literal, NamedNode, QuerySolutions

from .namespaces import GAI, PREFIXES
from .store import KnowledgeGraph

#: A token is a number with its dotted minor versions and a unit (``3.1``, ``405b``, ``4o``) or a word.
TOKEN = re.compile(r"\d+(?:\.\d+)*[^\W\d_]*|[^\W\d_]+")
QUALIFIER = re.compile(r"\([^()]*\)")
#: Legal forms dropped from the end of a name of several words (``Midjourney, Inc.`` is ``Midjourney``).
LEGAL_FORMS = frozenset({"inc", "ltd", "llc", "corp", "corporation", "gmbh", "plc", "co", "ag", "sa"})

EXACT, WORD_ORDER, VARIANT, VERSION, BROADER, PARTIAL = (
    "exact",
    "word order",
    "variant",
    "version",
    "broader",
    "partial",
)
SCORES = {EXACT: 1.0, WORD_ORDER: 0.95, VARIANT: 0.75, VERSION: 0.7, BROADER: 0.6}
SAME_NAME = (EXACT, WORD_ORDER)

#: How the query's organisations relate to a candidate's: the developer, its parent or a part, none, unknown.
DEVELOPER, RELATED, UNKNOWN, CONTRADICTED = 2, 1, 0, -1


def tokens(name: str) -> tuple[str, ...]:
    """The words of a name, lower case, without accents, punctuation or a trailing legal form."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    found = tuple(TOKEN.findall(text))
    while len(found) > 1 and found[-1] in LEGAL_FORMS:
        found = found[:-1]
    return found


def compact(name: str) -> str:
    """The name's tokens run together: ``DALL·E``, ``DALL-E`` and ``dalle`` are all ``dalle``."""
    return "".join(tokens(name))


def unqualified(name: str) -> str:
    """The name without its parenthesised qualifiers: ``GPT-4o (Mar 2025)`` is ``GPT-4o``."""
    return " ".join(QUALIFIER.sub(" ", name).split())


@dataclass(frozen=True)
class Candidate:
    """A resource a name may stand for: its IRI, names, types and organisations (IRIs and names)."""

    iri: str
    labels: tuple[str, ...]
    types: frozenset[str] = frozenset()
    #: The organisations that develop it, by IRI and by name.
    organizations: tuple[str, ...] = ()
    #: Their parent organisations, by IRI and by name.
    parent_organizations: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.labels[0] if self.labels else self.iri


@dataclass(frozen=True)
class Scored:
    """A candidate for one query: how well the names agree, how the organisations relate, and the verdict."""

    candidate: Candidate
    kind: str
    score: float
    organization: int = UNKNOWN
    match: bool = False


@dataclass(frozen=True)
class Result:
    """The scored candidates for one query, best first, and what they add up to."""

    name: str
    candidates: tuple[Scored, ...] = ()

    @property
    def match(self) -> Scored | None:
        """The candidate the name stands for, when that is unambiguous."""
        return next((c for c in self.candidates if c.match), None)

    @property
    def ambiguous(self) -> tuple[Scored, ...]:
        """Candidates that may be what the name stands for but cannot be told apart or confirmed."""
        if self.match is not None:
            return ()
        same = [c for c in self.candidates if c.kind in SAME_NAME]
        return tuple(same or [c for c in self.candidates if c.kind == BROADER])

    @property
    def variant_of(self) -> Scored | None:
        """The most specific candidate of which the name is a size, version or edition (organisation allowing)."""
        variants = [c for c in self.candidates if c.kind in (VARIANT, VERSION) and c.organization >= UNKNOWN]
        return max(variants, key=lambda c: (len(tokens(c.candidate.label)), c.score), default=None)

    @property
    def status(self) -> str:
        """``matched``, ``ambiguous`` or ``new``."""
        return "matched" if self.match else "ambiguous" if self.ambiguous else "new"


@dataclass
class Matcher:
    """Candidates indexed by their normalised names; :meth:`match` scores a query against them."""

    candidates: list[Candidate]
    #: Candidate indexes by key, in lists (a set of one costs three times the memory; a repeat is harmless).
    _compact: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _bag: dict[tuple[str, ...], list[int]] = field(default_factory=dict, repr=False)
    _names: dict[tuple[str, ...], list[int]] = field(default_factory=dict, repr=False)
    _starts: dict[tuple[str, ...], list[int]] = field(default_factory=dict, repr=False)
    _words: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _label_words: list[frozenset[str]] = field(default_factory=list, repr=False)
    _organizations: list[Organizations] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        words_of: dict[str, tuple[str, ...]] = {}  # each name normalised once

        def tokens_once(name: str) -> tuple[str, ...]:
            found = words_of.get(name)
            if found is None:
                found = words_of[name] = tokens(name)
            return found

        self._label_words = [frozenset(tokens_once(c.label)) for c in self.candidates]
        shared: dict[tuple[tuple[str, ...], tuple[str, ...]], Organizations] = {}
        for c in self.candidates:  # most candidates share their organisations with many others: one object each
            key = (c.organizations, c.parent_organizations)
            self._organizations.append(shared.get(key) or shared.setdefault(key, Organizations.of(c)))
        for index, candidate in enumerate(self.candidates):
            for label in candidate.labels:
                for name in {label, unqualified(label)}:  # our own parentheses disambiguate: "Runway (company)"
                    words = tokens_once(name)
                    if not words:
                        continue
                    self._compact.setdefault("".join(words), []).append(index)
                    self._bag.setdefault(tuple(sorted(words)), []).append(index)
                    self._names.setdefault(words, []).append(index)
                    for end in range(1, len(words)):
                        self._starts.setdefault(words[:end], []).append(index)
                    for word in words:
                        self._words.setdefault(word, []).append(index)

    def match(
        self,
        name: str,
        *,
        type: str | Collection[str] | None = None,
        all_types: bool = False,
        organizations: Sequence[str] = (),
    ) -> Result:
        """The candidates for ``name`` (of class ``type``, by ``organizations``: IRIs or names), best first.

        ``type`` may be several classes: a candidate of any of them fits, or of all of them with ``all_types``.
        """
        fits = _type_filter(type, all_types)
        kinds: dict[int, tuple[str, float]] = {}

        def found(indexes: Iterable[int], kind: str, score: float | None = None) -> None:
            for index in indexes:
                value = SCORES[kind] if score is None else score
                if fits(self.candidates[index]) and kinds.get(index, ("", -1.0))[1] < value:
                    kinds[index] = (kind, value)

        words, base = tokens(name), tokens(unqualified(name))
        for query in dict.fromkeys((words, base)):
            for end in range(len(query), 0, -1):
                if end < len(query):
                    found(self._names.get(query[:end], ()), VARIANT)
                found(self._versions(query[: end - 1], query[end - 1]), VERSION)
            found(self._starts.get(query, ()), BROADER)
        if base != words:
            found(self._names.get(base, ()), VARIANT)
        query_words = set(words)
        for index in self._words_shared(words):
            theirs = self._label_words[index]
            found([index], PARTIAL, 0.5 * len(theirs & query_words) / len(theirs | query_words) if theirs else 0.0)
        found(self._bag.get(tuple(sorted(words)), ()), WORD_ORDER)
        found(self._compact.get("".join(words), ()), EXACT)

        wanted = {_organization_key(o) for o in organizations if o.strip()}
        scored = [
            Scored(self.candidates[i], kind, score, self._organizations[i].relation(wanted))
            for i, (kind, score) in kinds.items()
            if score > 0
        ]
        scored.sort(key=lambda s: (-s.score, -s.organization, s.candidate.label.lower(), s.candidate.iri))
        return Result(name, tuple(_decided(scored)))

    def developed_by(
        self, organizations: Sequence[str], *, type: str | Collection[str] | None = None, all_types: bool = False
    ) -> list[Candidate]:
        """The candidates whose developer is one of ``organizations`` (IRIs or names), by label: a query that
        names no resource but its organisation (the reconciliation API's queries with properties only)."""
        fits = _type_filter(type, all_types)
        wanted = {_organization_key(o) for o in organizations if o.strip()}
        found = [
            c
            for c, orgs in zip(self.candidates, self._organizations, strict=True)
            if fits(c) and orgs.relation(wanted) == DEVELOPER
        ]
        return sorted(found, key=lambda c: (c.label.lower(), c.iri))

    def search(self, text: str, *, limit: int = 100) -> list[Candidate]:
        """Candidates whose name contains ``text``, compared compactly (``dalle`` finds ``DALL·E 3``)."""
        return [self._by_iri[iri] for iri in self._name_search.find(text, limit=limit)]

    @cached_property
    def _name_search(self) -> NameSearch:
        return NameSearch((c.iri, name) for c in self.candidates for name in c.labels)

    @cached_property
    def _by_iri(self) -> dict[str, Candidate]:
        return {c.iri: c for c in self.candidates}

    def _versions(self, head: tuple[str, ...], last: str) -> set[int]:
        """Candidates named ``head`` and a number that ``last`` is a minor version of (``llama 3`` for ``3.1``)."""
        found: set[int] = set()
        if last[:1].isdigit():
            parts = last.split(".")
            for cut in range(1, len(parts)):
                found.update(self._names.get((*head, ".".join(parts[:cut])), ()))
        return found

    def _words_shared(self, words: tuple[str, ...]) -> set[int]:
        return {i for word in words for i in self._words.get(word, ())}


class NameSearch:
    """``(iri, name)`` pairs prepared for :meth:`find`: each name's compact form is computed once, so that a
    search only compares strings (15 ms over 118,000 names, where normalising them again took a second)."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        self._entries = [(compact(name), name, iri) for iri, name in names]

    def find(self, text: str, *, limit: int = 100) -> list[str]:
        """The IRIs whose compact name contains the compact ``text``: exact names first, then names that start
        with it, then the shortest.

        >>> NameSearch([("x:1", "DALL·E 3"), ("x:2", "DALL·E"), ("x:3", "Midjourney")]).find("dalle")
        ['x:2', 'x:1']
        """
        key = compact(text)
        if not key:
            return []
        best: dict[str, tuple[bool, bool, int, str]] = {}
        for found, name, iri in self._entries:
            if key in found:
                rank = (found != key, not found.startswith(key), len(name), name.lower())
                best[iri] = min(best.get(iri, rank), rank)
        return sorted(best, key=lambda iri: (best[iri], iri))[:limit]


def _type_filter(type: str | Collection[str] | None, all_types: bool) -> Callable[[Candidate], bool]:
    """Whether a candidate is of the class ``type``, of one of the classes, or of all of them (``all_types``)."""
    wanted = frozenset([type] if isinstance(type, str) else type or ())
    if not wanted:
        return lambda candidate: True
    if all_types:
        return lambda candidate: wanted <= candidate.types
    return lambda candidate: not wanted.isdisjoint(candidate.types)


def _organization_key(value: str) -> tuple[str, tuple[str, ...]]:
    """An organisation as the query or a candidate gives it: an IRI, or a name's compact form and words."""
    if "://" in value:
        return value, ()
    words = tokens(value)
    return "".join(words), words


@dataclass(frozen=True)
class Organizations:
    """A candidate's organisations, normalised once: its developers' keys and words, its parents' keys."""

    own: frozenset[str]
    own_words: tuple[tuple[str, ...], ...]
    parents: frozenset[str]

    @classmethod
    def of(cls, candidate: Candidate) -> Organizations:
        own = [_organization_key(o) for o in candidate.organizations]
        parents = frozenset(key for key, _ in map(_organization_key, candidate.parent_organizations))
        return cls(frozenset(key for key, _ in own), tuple(words for _, words in own if words), parents)

    def relation(self, wanted: set[tuple[str, tuple[str, ...]]]) -> int:
        """How the query's organisations relate to these (see DEVELOPER … CONTRADICTED).

        A part of an organisation is recognised by its name (``Meta AI`` of ``Meta``, ``Google DeepMind`` of
        ``Google``) as well as by the graph's ``gai:parentOrganization``.
        """
        if not wanted or not self.own:
            return UNKNOWN
        if any(key in self.own for key, _ in wanted):
            return DEVELOPER
        for key, words in wanted:
            if key in self.parents:
                return RELATED
            for name in self.own_words:
                shorter = min(len(words), len(name))
                if words and words[:shorter] == name[:shorter]:
                    return RELATED
        return CONTRADICTED


def _decided(scored: list[Scored]) -> list[Scored]:
    """Mark the best candidate a match when its name is the same, its organisation fits, and it stands alone."""
    if not scored or scored[0].kind not in SAME_NAME or scored[0].organization < UNKNOWN:
        return scored
    best = scored[0]
    rivals = [s for s in scored[1:] if s.kind in SAME_NAME and s.organization >= UNKNOWN]
    if any(r.score == best.score and r.organization == best.organization for r in rivals):
        return scored
    return [Scored(best.candidate, best.kind, best.score, best.organization, match=True), *scored[1:]]


# -- candidates from the graph -------------------------------------------------------------------------

NAMES = """
SELECT ?x ?name ?preferred WHERE {
  { ?x rdfs:label ?name BIND(true AS ?preferred) } UNION { ?x skos:altLabel ?name BIND(false AS ?preferred) }
  FILTER(isIRI(?x))
}
"""
TYPES = "SELECT ?x ?type WHERE { ?x a/rdfs:subClassOf* ?type FILTER(isIRI(?x) && isIRI(?type)) }"
#: The same where the store's closure is materialised: it holds every superclass's type already (over a remote
#: engine, ten times faster than the path: 0.65 s against 6.2 s for the shipped graph).
CLOSED_TYPES = "SELECT ?x ?type WHERE { ?x a ?type FILTER(isIRI(?x) && isIRI(?type)) }"
DEVELOPERS = "SELECT ?x ?developer WHERE { ?x gai:developedBy ?developer }"
#: Each developer's organisations (itself and its parents, transitively) with their names: read once per
#: developer, not once per model (the path evaluated for each of 117,000 models took 4.2 s, this 0.1 s).
ANCESTORS = """
SELECT ?developer ?org ?name WHERE {
  { SELECT DISTINCT ?developer WHERE { ?x gai:developedBy ?developer } }
  ?developer gai:parentOrganization* ?org .
  OPTIONAL { ?org rdfs:label|skos:altLabel ?name }
}
"""


def _rows(kg: KnowledgeGraph, sparql: str, graphs: Sequence[NamedNode]) -> QuerySolutions:
    prefixes = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in ("rdfs", "skos"))
    result = kg.query(
        f"{prefixes}PREFIX gai: <{GAI}>\n{sparql}", default_graph_uris=[g.value for g in graphs], infer=not graphs
    )
    assert isinstance(result, QuerySolutions)
    return result


def candidates(
    kg: KnowledgeGraph, *, graphs: Sequence[NamedNode] = (), context: bool = True, closed: bool = False
) -> list[Candidate]:
    """Every named resource of ``graphs`` (default: all of them) with its names and, with ``context``, its
    types (superclasses included) and organisations; sorted by IRI, so the same graph gives the same matcher.

    ``closed`` says that the store's inferences are materialised (a store genai-kg serves, read with all its
    graphs): the superclasses are then read from the closure instead of being followed.
    """
    names: dict[str, list[tuple[bool, str]]] = {}
    for row in _rows(kg, NAMES, graphs):
        if isinstance(row["name"], Literal):
            names.setdefault(row["x"].value, []).append((row["preferred"].value != "true", row["name"].value))
    types: dict[str, set[str]] = {}
    direct: dict[str, set[str]] = {}
    parents: dict[str, set[str]] = {}
    # Many candidates share their types and organisations (111 type sets among 118,000 candidates at 1.15M
    # triples): each value is kept once, and the candidates take 170 MB there instead of 447.
    shared: dict[Any, Any] = {}
    if context:
        for row in _rows(kg, CLOSED_TYPES if closed and not graphs else TYPES, graphs):
            type_iri = row["type"].value
            types.setdefault(row["x"].value, set()).add(shared.setdefault(type_iri, type_iri))
        ancestors: dict[str, list[tuple[str, str | None]]] = {}
        for row in _rows(kg, ANCESTORS, graphs):
            name = row["name"].value if row["name"] is not None else None
            ancestors.setdefault(row["developer"].value, []).append((row["org"].value, name))
        for row in _rows(kg, DEVELOPERS, graphs):
            developer = row["developer"].value
            for org, name in ancestors.get(developer, ()):
                keys = (direct if org == developer else parents).setdefault(row["x"].value, set())
                keys.add(org)
                if name is not None:
                    keys.add(name)

    def once(value: Any) -> Any:
        return shared.setdefault(value, value)

    return [
        Candidate(
            iri=iri,
            labels=tuple(dict.fromkeys(name for _, name in sorted(found))),
            types=once(frozenset(types.get(iri, ()))),
            organizations=once(tuple(sorted(direct.get(iri, ())))),
            parent_organizations=once(tuple(sorted(parents.get(iri, ())))),
        )
        for iri, found in sorted(names.items())
    ]
