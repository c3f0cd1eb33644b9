"""The instance rules of OWL 2 RL: one :class:`Rule` per rule shape, its table compiled from the schema.

A rule is premises and a conclusion over variables, some of which (its *columns*) are bound by a table of
rows from the compiled schema: ``cax-sco`` is ``?x a ?c → ?x a ?d`` with one row ``(C, D)`` for every class
and superclass. Both engines read these objects: :mod:`.rule_sparql` writes them as queries for the store
(:mod:`.engine`), :mod:`.memory` compiles them to Python functions for the bulk path.

Membership of an anonymous class expression (a restriction, an intersection, a complement: a blank node of the
ontology) is written ``?x gkr:member ?r``, not ``?x rdf:type ?r``: the rules chain through such classes (a
defined class is the intersection of a named class and a restriction), but an anonymous class is no type a
reader could name, so it must not show in answers and pages. :func:`build_program` writes every ``rdf:type``
pattern whose class column holds such a class with :data:`MEMBER` instead, and a bridge rule
(:data:`ASSERTED_MEMBER`) turns a stated ``x rdf:type [ … ]`` into the membership the rules read.

A property column holding an anonymous ``[ owl:inverseOf P ]`` is written as ``P`` with its pattern reversed:
such triples cannot be stored (RDF has no blank-node predicates), their reversed form is what the store holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyoxigraph import BlankNode, NamedNode

from ..namespaces import GKR, is_anonymous
from .dictionary import Term
from .vocabulary import LITERAL, NODES, SAME_AS, THING, TYPE

if TYPE_CHECKING:
    from .schema import CompiledSchema, TermTriple

#: ``x gkr:member r``: ``x`` is an instance of the anonymous class expression ``r`` (the reasoner's own triple).
MEMBER = NamedNode(GKR + "member")
#: The bridge rule's name: a stated ``x rdf:type r`` of an anonymous ``r`` is the membership ``x gkr:member r``.
ASSERTED_MEMBER = "rdf-type-member"

#: A pattern position: a variable (``"?x"``) or a constant term.
Slot = str | Term
Pattern = tuple[Slot, Slot, Slot]


@dataclass(frozen=True)
class Row:
    """One row of a rule's table: the values of its columns, and the schema triples that justify it."""

    values: tuple[Term, ...]
    axioms: tuple[TermTriple, ...] = ()

    @property
    def blank(self) -> bool:
        return any(isinstance(v, BlankNode) for v in self.values)


@dataclass(frozen=True)
class Rule:
    """Premises and a conclusion; ``columns`` are the variables bound by each of ``rows``."""

    name: str
    columns: tuple[str, ...]
    premises: tuple[Pattern, ...]
    conclusion: Pattern
    filters: tuple[str, ...] = ()
    rows: tuple[Row, ...] = (Row(()),)
    #: Column name -> position in a row's values.
    _index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({name: i for i, name in enumerate(self.columns)})

    def value(self, slot: Slot, row: Row) -> Term | None:
        """The term a slot holds in ``row``: a constant, a column's value, or None for a free variable."""
        if not isinstance(slot, str):
            return slot
        i = self._index.get(slot[1:])
        return None if i is None else row.values[i]

    def bound(self, pattern: Pattern, row: Row) -> tuple[Term | None, Term | None, Term | None]:
        s, p, o = pattern
        return (self.value(s, row), self.value(p, row), self.value(o, row))

    def with_rows(self, rows: Iterable[Row]) -> Rule:
        return Rule(self.name, self.columns, self.premises, self.conclusion, self.filters, tuple(rows))


#: What a delta graph holds, for choosing the rules and rows it can trigger: None means "anything".
@dataclass(frozen=True)
class Content:
    predicates: frozenset[NamedNode] | None = None
    classes: frozenset[Term] | None = None

    def union(self, other: Content) -> Content:
        if self.predicates is None or other.predicates is None:
            return EVERYTHING
        classes = (self.classes or frozenset()) | (other.classes or frozenset())
        return Content(self.predicates | other.predicates, classes)

    def may_match(self, predicate: Term | None, cls: Term | None) -> bool:
        if predicate is None or self.predicates is None:
            return True
        if predicate not in self.predicates:
            return False
        if predicate in (_TYPE, MEMBER) and cls is not None and self.classes is not None:
            return cls in self.classes
        return True


EVERYTHING = Content()


def rows_for(rule: Rule, premise: int, content: Content) -> list[Row]:
    """The rows of ``rule`` whose ``premise`` can match a triple of a graph with this content."""
    pattern = rule.premises[premise]
    found = []
    for row in rule.rows:
        _, p, o = rule.bound(pattern, row)
        if content.may_match(p, o):
            found.append(row)
    return found


def rows_concluding(rule: Rule, content: Content) -> list[Row]:
    """The rows of ``rule`` whose conclusion can be a triple of a graph with this content."""
    found = []
    for row in rule.rows:
        _, p, o = rule.bound(rule.conclusion, row)
        if content.may_match(p, o):
            found.append(row)
    return found


def premise_variables(rule: Rule) -> set[str]:
    """The names of the variables a rule's premises use (those a query may bind as substitutions)."""
    return {slot[1:] for pattern in rule.premises for slot in pattern if isinstance(slot, str)}


def instantiate(rule: Rule, pattern: Pattern, row: Row, solution: dict[str, Term]) -> TermTriple | None:
    """The triple a pattern stands for in one solution (None when a variable is unbound)."""
    terms = []
    for slot in pattern:
        term = rule.value(slot, row) if not (isinstance(slot, str) and slot[1:] in solution) else solution[slot[1:]]
        if term is None:
            return None
        terms.append(term)
    return (terms[0], terms[1], terms[2])


# -- compiling the program from the schema -----------------------------------------------------------

_TYPE, _SAME = NODES[TYPE], NODES[SAME_AS]


@dataclass(frozen=True)
class _Template:
    name: str
    columns: tuple[str, ...]
    premises: tuple[Pattern, ...]
    conclusion: Pattern
    filters: tuple[str, ...] = ()
    #: Columns that hold properties (written reversed when the property is an anonymous inverse).
    properties: tuple[str, ...] = ()


def _chain_template(length: int) -> _Template:
    steps = tuple(f"p{i}" for i in range(1, length + 1))
    premises = tuple((f"?x{i - 1}", f"?p{i}", f"?x{i}") for i in range(1, length + 1))
    return _Template("prp-spo2", ("q", *steps), premises, ("?x0", "?q", f"?x{length}"), (), ("q", *steps))


def _intersection_template(arity: int) -> _Template:
    members = tuple(f"m{i}" for i in range(1, arity + 1))
    return _Template("cls-int1", ("i", *members), tuple(("?x", _TYPE, f"?{m}") for m in members), ("?x", _TYPE, "?i"))


def _key_template(size: int) -> _Template:
    keys = tuple(f"p{i}" for i in range(1, size + 1))
    premises: tuple[Pattern, ...] = (("?x", _TYPE, "?c"), ("?y", _TYPE, "?c"))
    for i in range(1, size + 1):
        premises += (("?x", f"?p{i}", f"?z{i}"), ("?y", f"?p{i}", f"?z{i}"))
    return _Template("prp-key", ("c", *keys), premises, ("?x", _SAME, "?y"), ("?x != ?y",), keys)


_NOT_LITERAL_Y = ("!isLiteral(?y)",)
_SAME_PAIR = ("?y1 != ?y2", "!isLiteral(?y1)", "!isLiteral(?y2)")

#: The rules without a variable number of premises; chains, intersections and keys are made per length.
TEMPLATES = {
    "cax-sco": _Template("cax-sco", ("c", "d"), (("?x", _TYPE, "?c"),), ("?x", _TYPE, "?d")),
    "prp-dom": _Template("prp-dom", ("p", "c"), (("?x", "?p", "?y"),), ("?x", _TYPE, "?c"), (), ("p",)),
    "prp-rng": _Template("prp-rng", ("p", "c"), (("?x", "?p", "?y"),), ("?y", _TYPE, "?c"), _NOT_LITERAL_Y, ("p",)),
    "prp-spo1": _Template("prp-spo1", ("p", "q"), (("?x", "?p", "?y"),), ("?x", "?q", "?y"), (), ("p", "q")),
    "prp-inv": _Template("prp-inv", ("p", "q"), (("?x", "?p", "?y"),), ("?y", "?q", "?x"), _NOT_LITERAL_Y, ("p", "q")),
    "prp-symp": _Template("prp-symp", ("p",), (("?x", "?p", "?y"),), ("?y", "?p", "?x"), _NOT_LITERAL_Y, ("p",)),
    "prp-trp": _Template("prp-trp", ("p",), (("?x", "?p", "?y"), ("?y", "?p", "?z")), ("?x", "?p", "?z"), (), ("p",)),
    "prp-fp": _Template(
        "prp-fp", ("p",), (("?x", "?p", "?y1"), ("?x", "?p", "?y2")), ("?y1", _SAME, "?y2"), _SAME_PAIR, ("p",)
    ),
    "prp-ifp": _Template(
        "prp-ifp", ("p",), (("?x1", "?p", "?y"), ("?x2", "?p", "?y")), ("?x1", _SAME, "?x2"), ("?x1 != ?x2",), ("p",)
    ),
    "cls-svf1": _Template(
        "cls-svf1", ("p", "f", "r"), (("?x", "?p", "?y"), ("?y", _TYPE, "?f")), ("?x", _TYPE, "?r"), (), ("p",)
    ),
    "cls-svf1-literal": _Template(
        "cls-svf1",
        ("p", "f", "r"),
        (("?x", "?p", "?y"),),
        ("?x", _TYPE, "?r"),
        (f"isLiteral(?y) && (?f = {NODES[LITERAL]} || datatype(?y) = ?f)",),
        ("p",),
    ),
    "cls-svf2": _Template("cls-svf2", ("p", "r"), (("?x", "?p", "?y"),), ("?x", _TYPE, "?r"), (), ("p",)),
    "cls-hv1": _Template("cls-hv1", ("r", "p", "v"), (("?x", _TYPE, "?r"),), ("?x", "?p", "?v"), (), ("p",)),
    "cls-hv2": _Template("cls-hv2", ("p", "v", "r"), (("?x", "?p", "?v"),), ("?x", _TYPE, "?r"), (), ("p",)),
    "cls-avf": _Template(
        "cls-avf",
        ("r", "p", "f"),
        (("?x", _TYPE, "?r"), ("?x", "?p", "?y")),
        ("?y", _TYPE, "?f"),
        _NOT_LITERAL_Y,
        ("p",),
    ),
    "cls-maxc2": _Template(
        "cls-maxc2",
        ("r", "p"),
        (("?x", _TYPE, "?r"), ("?x", "?p", "?y1"), ("?x", "?p", "?y2")),
        ("?y1", _SAME, "?y2"),
        _SAME_PAIR,
        ("p",),
    ),
    "cls-maxqc3": _Template(
        "cls-maxqc3",
        ("r", "p", "c"),
        (("?x", _TYPE, "?r"), ("?x", "?p", "?y1"), ("?y1", _TYPE, "?c"), ("?x", "?p", "?y2"), ("?y2", _TYPE, "?c")),
        ("?y1", _SAME, "?y2"),
        ("?y1 != ?y2",),
        ("p",),
    ),
    "eq-sym": _Template("eq-sym", (), (("?x", _SAME, "?y"),), ("?y", _SAME, "?x"), ("?x != ?y",)),
    "eq-trans": _Template(
        "eq-trans", (), (("?x", _SAME, "?y"), ("?y", _SAME, "?z")), ("?x", _SAME, "?z"), ("?x != ?z",)
    ),
    "eq-rep-s": _Template(
        "eq-rep-s", (), (("?x", _SAME, "?y"), ("?x", "?p", "?o")), ("?y", "?p", "?o"), (f"?p != {_SAME}", "?x != ?y")
    ),
    "eq-rep-o": _Template(
        "eq-rep-o", (), (("?x", _SAME, "?y"), ("?s", "?p", "?x")), ("?s", "?p", "?y"), (f"?p != {_SAME}", "?x != ?y")
    ),
}


def _raw_rows(schema: CompiledSchema) -> list[tuple[_Template, list[Row]]]:
    """Each template with its rows, as terms, before anonymous inverse properties are written out."""
    r, t = schema.rules, schema.term

    def row(*values: int, axioms: Iterable[tuple[int, int, int]]) -> Row:
        return Row(tuple(t(v) for v in values), tuple(schema.terms(a) for a in axioms))

    def pairs(table: dict[int, list[tuple[int, tuple[int, int, int]]]]) -> list[Row]:
        return [row(a, b, axioms=(axiom,)) for a, items in table.items() for b, axiom in items]

    def flags(table: dict[int, tuple[int, int, int]]) -> list[Row]:
        return [row(p, axioms=(axiom,)) for p, axiom in table.items()]

    found = [
        (TEMPLATES["cax-sco"], pairs(r.superclasses)),
        (TEMPLATES["prp-dom"], pairs(r.domains)),
        (TEMPLATES["prp-rng"], pairs(r.ranges)),
        (TEMPLATES["prp-spo1"], pairs(r.superproperties)),
        (TEMPLATES["prp-inv"], pairs(r.inverses)),
        (TEMPLATES["prp-symp"], flags(r.symmetric)),
        (TEMPLATES["prp-trp"], flags(r.transitive)),
        (TEMPLATES["prp-fp"], flags(r.functional)),
        (TEMPLATES["prp-ifp"], flags(r.inverse_functional)),
    ]
    some = [x for x in r.some if x[2] != THING]
    found += [
        (TEMPLATES["cls-svf1"], [row(p, f, res, axioms=(ax,)) for res, p, f, ax in some]),
        (TEMPLATES["cls-svf1-literal"], [row(p, f, res, axioms=(ax,)) for res, p, f, ax in some]),
        (TEMPLATES["cls-svf2"], [row(p, res, axioms=(ax,)) for res, p, f, ax in r.some if f == THING]),
        (TEMPLATES["cls-hv1"], [row(res, p, v, axioms=(ax,)) for res, p, v, ax in r.has_value]),
        (TEMPLATES["cls-hv2"], [row(p, v, res, axioms=(ax,)) for res, p, v, ax in r.has_value]),
        (TEMPLATES["cls-avf"], [row(res, p, f, axioms=(ax,)) for res, p, f, ax in r.all_values]),
        (TEMPLATES["cls-maxc2"], [row(res, p, axioms=(ax,)) for res, p, c, ax in r.single if c == THING]),
        (TEMPLATES["cls-maxqc3"], [row(res, p, c, axioms=(ax,)) for res, p, c, ax in r.single if c != THING]),
    ]
    by_length: dict[tuple[str, int], list[Row]] = {}
    for prop, chain, axiom in r.chains:
        by_length.setdefault(("chain", len(chain)), []).append(row(prop, *chain, axioms=(axiom,)))
    for owner, members, axiom in r.intersections:
        by_length.setdefault(("int", len(members)), []).append(row(owner, *members, axioms=(axiom,)))
    for cls, properties, axiom in r.keys:
        by_length.setdefault(("key", len(properties)), []).append(row(cls, *properties, axioms=(axiom,)))
    makers = {"chain": _chain_template, "int": _intersection_template, "key": _key_template}
    found += [(makers[kind](n), rows) for (kind, n), rows in sorted(by_length.items())]
    found += [(TEMPLATES[name], [Row(())]) for name in ("eq-sym", "eq-trans", "eq-rep-s", "eq-rep-o")]
    return found


def _reverse(pattern: Pattern, inverted: set[str]) -> Pattern:
    s, p, o = pattern
    return (o, p, s) if isinstance(p, str) and p[1:] in inverted else pattern


def _membership(pattern: Pattern, members: set[str]) -> Pattern:
    s, p, o = pattern
    return (s, MEMBER, o) if p == _TYPE and isinstance(o, str) and o[1:] in members else pattern


def _rule(template: _Template, inverted: set[str], members: set[str], rows: list[Row]) -> Rule:
    premises = tuple(_membership(_reverse(p, inverted), members) for p in template.premises)
    conclusion = _membership(_reverse(template.conclusion, inverted), members)
    filters = template.filters
    subject = conclusion[0]
    guard = f"!isLiteral({subject})"
    if isinstance(subject, str) and subject[1:] not in template.columns and all(p[0] != subject for p in premises):
        filters = (
            filters if guard in filters else (*filters, guard)
        )  # a conclusion about an object: never about a literal
    return Rule(template.name, template.columns, premises, conclusion, filters, tuple(rows))


def _class_columns(template: _Template) -> list[int]:
    """The columns that hold the class of an ``rdf:type`` pattern."""
    patterns = (*template.premises, template.conclusion)
    named = {o[1:] for _, p, o in patterns if p == _TYPE and isinstance(o, str)}
    return [i for i, column in enumerate(template.columns) if column in named]


#: ``?x rdf:type ?r → ?x gkr:member ?r``, one row per anonymous class a rule reads.
_BRIDGE = _Template(ASSERTED_MEMBER, ("r",), (("?x", _TYPE, "?r"),), ("?x", MEMBER, "?r"))


def build_program(schema: CompiledSchema) -> tuple[Rule, ...]:
    """The instance rules of a compiled schema, one :class:`Rule` per rule shape, inverse pattern and set of
    anonymous class columns; and the bridge from stated ``rdf:type`` to membership of the anonymous classes
    the rules read."""
    program = []
    for template, raw in _raw_rows(schema):
        classes = _class_columns(template)
        groups: dict[tuple[frozenset[str], frozenset[str]], list[Row]] = {}
        for row in raw:
            values, inverted = list(row.values), set[str]()
            usable = True
            for i, column in enumerate(template.columns):
                if column not in template.properties:
                    continue
                value = values[i]
                named = schema.inverse_of(value)
                if named is not None:
                    values[i], inverted = named, inverted | {column}
                elif not isinstance(value, NamedNode) or is_anonymous(value):
                    usable = False  # an anonymous property that is no inverse: no stored triple has it
            members = frozenset(template.columns[i] for i in classes if is_anonymous(values[i]))
            if usable:
                groups.setdefault((frozenset(inverted), members), []).append(Row(tuple(values), row.axioms))
        used = {s[1:] for p in (*template.premises, template.conclusion) for s in p if isinstance(s, str)}
        hidden = [i for i, column in enumerate(template.columns) if column not in used]  # in filters only
        for (inverted_columns, member_columns), rows in groups.items():
            rule = _rule(template, set(inverted_columns), set(member_columns), rows)
            kept = [
                row
                for row in rows
                if not _trivial(rule, row) and not any(isinstance(row.values[i], BlankNode) for i in hidden)
            ]
            if kept:
                program.append(rule.with_rows(kept))
    read = {
        anonymous
        for rule in program
        for row in rule.rows
        for pattern in rule.premises
        if pattern[1] == MEMBER and (anonymous := rule.value(pattern[2], row)) is not None
    }
    if read:
        program.append(_rule(_BRIDGE, set(), set(), [Row((c,)) for c in sorted(read, key=str)]))
    return tuple(program)


def rows_only_in(program: Sequence[Rule], other: Sequence[Rule]) -> list[Rule]:
    """The rules of ``program`` with only the rows ``other`` lacks: what a schema change drops (``program`` the
    old one) or adds (the new one). A rule is its shape (name, premises, conclusion, filters), a row its values."""
    known: dict[tuple[object, ...], set[tuple[Term, ...]]] = {}
    for rule in other:
        known.setdefault(_shape(rule), set()).update(row.values for row in rule.rows)
    only = []
    for rule in program:
        rows = [row for row in rule.rows if row.values not in known.get(_shape(rule), ())]
        if rows:
            only.append(rule.with_rows(rows))
    return only


def _shape(rule: Rule) -> tuple[object, ...]:
    return (rule.name, rule.columns, rule.premises, rule.conclusion, rule.filters)


def stored(triple: TermTriple) -> TermTriple:
    """How the store holds a triple the rules conclude: an anonymous class's ``rdf:type`` as ``gkr:member``."""
    s, p, o = triple
    return (s, MEMBER, o) if p == _TYPE and is_anonymous(o) else triple


def shown(triple: TermTriple) -> TermTriple:
    """How a reader is told a triple of the rules: ``gkr:member`` as the ``rdf:type`` it stands for."""
    s, p, o = triple
    return (s, _TYPE, o) if p == MEMBER else triple


def _trivial(rule: Rule, row: Row) -> bool:
    """A one-premise row that concludes its own premise (an inverse written both ways)."""
    if len(rule.premises) != 1:
        return False
    premise, conclusion = rule.premises[0], rule.conclusion
    return all((rule.value(a, row) or a) == (rule.value(b, row) or b) for a, b in zip(premise, conclusion, strict=True))
