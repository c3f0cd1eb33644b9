"""The rules of :mod:`.program` written as SPARQL, for the store-resident engine and for explanations.

The same rule is written as a query in four ways:

- forward (:func:`forward`): the conclusions not yet in the store, with one premise read from a delta graph
  (semi-naive) or every premise from the whole store (naive);
- over-deletion (:func:`overdelete`): the inferred conclusions of instances that use an over-deleted triple;
- re-derivation (:func:`rederive`): the over-deleted triples that still have a derivation;
- proof search (:func:`premises`): the premises of one given conclusion, for explanations.

Table rows go in a ``VALUES`` block; a row that holds a blank node (a restriction class of the embedded store)
cannot be written in SPARQL, so it gets a query of its own with the row bound as substitutions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pyoxigraph import BlankNode, NamedNode

from .dictionary import Term
from .program import Pattern, Row, Rule, Slot


def _slot(slot: Slot) -> str:
    return slot if isinstance(slot, str) else str(slot)


def _pattern(pattern: Pattern, graph: NamedNode | None = None) -> str:
    text = " ".join(_slot(s) for s in pattern) + " ."
    return f"GRAPH {graph} {{ {text} }}" if graph is not None else text


@dataclass(frozen=True)
class Batch:
    """One query's worth of a rule: the rule to write (its rows' values written in when there is one row),
    the ``VALUES`` block of several rows, and the substitutions of blank nodes, which SPARQL cannot spell."""

    rule: Rule
    values: str
    substitutions: dict[str, Term] | None
    rows: tuple[Row, ...]


def batches(rule: Rule, rows: Sequence[Row], *, one_by_one: bool = False) -> Iterator[Batch]:
    """The queries ``rows`` need: rows in one ``VALUES`` block, or (``one_by_one``, and for every row with a
    blank node) a query per row with its values written in.

    A ``VALUES`` block only binds the patterns it can be joined with; Oxigraph evaluates a ``GRAPH``
    pattern on its own and joins after, so a query that reads a delta graph goes row by row, each pattern
    then an index lookup.
    """
    if not rule.columns:
        yield Batch(rule, "", None, tuple(rows))
        return
    plain = [row for row in rows if not row.blank]
    if plain and not one_by_one:
        names = " ".join(f"?{c}" for c in rule.columns)
        body = " ".join("(" + " ".join(str(v) for v in row.values) + ")" for row in plain)
        yield Batch(rule, f"VALUES ({names}) {{ {body} }}", None, tuple(plain))
    for row in rows:
        if one_by_one or row.blank:
            yield specialise(rule, row)


def specialise(rule: Rule, row: Row) -> Batch:
    """``rule`` for one row: its constants written in, its blank nodes left as variables to substitute."""
    values = dict(zip(rule.columns, row.values, strict=True))
    constants = {name: value for name, value in values.items() if not isinstance(value, BlankNode)}
    blanks: dict[str, Term] = {name: value for name, value in values.items() if isinstance(value, BlankNode)}

    def slot(s: Slot) -> Slot:
        return constants.get(s[1:], s) if isinstance(s, str) else s

    def pattern(p: Pattern) -> Pattern:
        return (slot(p[0]), slot(p[1]), slot(p[2]))

    def written(match: re.Match[str]) -> str:
        return str(constants[match[1]]) if match[1] in constants else match[0]

    columns = tuple(name for name in rule.columns if name in blanks)
    specialised = Rule(
        rule.name,
        columns,
        tuple(pattern(p) for p in rule.premises),
        pattern(rule.conclusion),
        tuple(re.sub(r"\?(\w+)\b", written, f) for f in rule.filters),
        (Row(tuple(blanks[name] for name in columns), row.axioms),),
    )
    return Batch(specialised, "", blanks or None, (row,))


def _where(
    batch: Batch, lead: list[str], graphs: dict[int, NamedNode], checks: list[str], exclude: NamedNode | None = None
) -> str:
    """A query's group: the ``lead`` patterns (a delta graph's), then the rest of the premises, the rule's
    filters and ``checks``.

    The lead goes first: Oxigraph joins a small delta into the store by lookups when it is written first and
    its constants are known. A blank node bound as a substitution is not known to the planner, which may
    then start from the store, so such a batch (embedded stores only: engines hold no blank nodes) puts the
    rest in Oxigraph's ``LATERAL``, evaluated once per lead row. With ``exclude``, a premise may not be a
    triple of that graph.
    """
    rule = batch.rule
    rest = [batch.values] if batch.values else []
    for i, premise in enumerate(rule.premises):
        if i not in graphs:
            rest.append(_pattern(premise, graphs.get(i)))
            if exclude is not None:
                rest.append(_absent(premise, batch, exclude, f"?gone{i}"))
    rest += [f"FILTER({f})" for f in rule.filters]
    rest += checks
    if lead and batch.substitutions:
        return f"{' '.join(lead)} LATERAL {{ {' '.join(rest)} }}"
    return " ".join([*lead, *rest])


def _absent(pattern: Pattern, batch: Batch, graph: NamedNode | None = None, flag: str = "?present") -> str:
    """Solutions for which the pattern does not hold. Oxigraph applies substitutions to the patterns of the
    main group and of ``OPTIONAL`` but not inside ``EXISTS``: a batch with substitutions says it with
    ``OPTIONAL`` and ``!BOUND`` instead of ``FILTER NOT EXISTS``."""
    if not batch.substitutions:
        return f"FILTER NOT EXISTS {{ {_pattern(pattern, graph)} }}"
    return f"OPTIONAL {{ {_pattern(pattern, graph)} BIND(true AS {flag}) }} FILTER(!BOUND({flag}))"


def forward(batch: Batch, delta: int | None, graph: NamedNode | None) -> str:
    """The conclusions of the rule not in the store yet, premise ``delta`` read from ``graph`` (None: naive)."""
    rule = batch.rule
    graphs = {delta: graph} if delta is not None and graph is not None else {}
    lead = [_pattern(rule.premises[i], g) for i, g in graphs.items()]
    where = _where(batch, lead, graphs, [_absent(rule.conclusion, batch)])
    return f"CONSTRUCT {{ {_pattern(rule.conclusion)} }} WHERE {{ {where} }}"


def overdelete(batch: Batch, delta: int | None, graph: NamedNode | None, inferred: NamedNode, over: NamedNode) -> str:
    """The inferred conclusions of instances whose premise ``delta`` is in ``graph`` (None: of every instance,
    a rule row the schema no longer has), not yet in ``over``."""
    rule = batch.rule
    inferred_only = _pattern(rule.conclusion, inferred)  # a pattern would be evaluated alone, then joined
    held = inferred_only if batch.substitutions else f"FILTER EXISTS {{ {inferred_only} }}"
    checks = [held, _absent(rule.conclusion, batch, over)]
    graphs = {delta: graph} if delta is not None and graph is not None else {}
    lead = [_pattern(rule.premises[i], g) for i, g in graphs.items()]
    where = _where(batch, lead, graphs, checks)
    return f"CONSTRUCT {{ {_pattern(rule.conclusion)} }} WHERE {{ {where} }}"


def rederive(batch: Batch, over: NamedNode) -> str:
    """The triples of ``over`` that the rule derives from what the store holds now, no premise over-deleted.

    The over-deleted triples are in no other graph by then (they left the inferred graph, and a write never
    asserts a triple it retracts or one that was inferred), so "not in ``over``" is "not over-deleted",
    and a re-derived triple is absent from the store.
    """
    rule = batch.rule
    where = _where(batch, [_pattern(rule.conclusion, over)], {}, [], exclude=over)
    return f"CONSTRUCT {{ {_pattern(rule.conclusion)} }} WHERE {{ {where} }}"


def premises(batch: Batch, limit: int) -> str:
    """The instances of the rule's premises (the conclusion's variables bound as substitutions)."""
    return f"SELECT * WHERE {{ {_where(batch, [], {}, [])} }} LIMIT {limit}"
