"""The rules of :mod:`.program` written as SPARQL, for the store-resident engine and for explanations.

The same rule is written as a query in four ways:

- forward (:func:`forward`): the conclusions not yet in the store, with one premise read from a delta graph
  (semi-naive) or every premise from the whole store (naive);
- over-deletion (:func:`overdelete`): the inferred conclusions of instances that use an over-deleted triple;
- re-derivation (:func:`rederive`): the over-deleted triples that still have a derivation;
- proof search (:func:`premises`): the premises of one given conclusion, for explanations.

Table rows go in a ``VALUES`` block (joined outside the premises' group when a delta graph leads the query:
:func:`batches`); a row that holds a blank node (a restriction class of the embedded store) cannot be written
in SPARQL, so it gets a query of its own with the row bound as substitutions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

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
    the ``VALUES`` block of several rows, and the substitutions of blank nodes, which SPARQL cannot spell.

    ``narrowing`` (a query led by a delta graph's pattern): a ``FILTER`` on the columns the premises use,
    true of every row's values, for the premises' own group; the ``VALUES`` block is then joined outside it."""

    rule: Rule
    values: str
    substitutions: dict[str, Term] | None
    rows: tuple[Row, ...]
    narrowing: str = ""


#: Rows in one query led by a delta graph, at most (the query's text grows with them).
LED_ROWS = 256


def batches(rule: Rule, rows: Sequence[Row], *, led: bool = False) -> Iterator[Batch]:
    """The queries ``rows`` need: rows in one ``VALUES`` block (:data:`LED_ROWS` at most to a query ``led``
    by a delta graph's pattern); a row with a blank node gets a query of its own, its values written in.

    Oxigraph joins a ``VALUES`` block with the patterns it binds before the delta graph's pattern, and from
    each of its rows scans the store: 19 rows of ``cax-sco`` into ``ub:Person`` from a delta of three
    triples took 9 s at LUBM(10). So a ``led`` query keeps the ``VALUES`` block out of the premises' group,
    which a ``FILTER`` on the same columns narrows instead (:attr:`Batch.narrowing`): the delta's pattern
    leads, every other premise is an index lookup from its solutions, and the block is joined with what
    they find. Those 19 rows took 0.5 ms so, where a query per row took 2 to 4 ms (and 4 to 6 s from a delta
    of 50,000 triples, against 21 s).
    """
    if not rows:  # a rule without columns has one empty row, or none when its premise cannot match
        return
    if not rule.columns:
        yield Batch(rule, "", None, tuple(rows))
        return
    plain = [row for row in rows if not row.blank]
    size = LED_ROWS if led else max(1, len(plain))
    for start in range(0, len(plain), size):
        some = tuple(plain[start : start + size])
        narrowing = _narrowing(rule, some) if led else ""
        yield Batch(rule, _values(rule.columns, some), None, some, narrowing)
    for row in rows:
        if row.blank:
            yield specialise(rule, row)


def _values(columns: Sequence[str], rows: Sequence[Row]) -> str:
    names = " ".join(f"?{c}" for c in columns)
    body = " ".join("(" + " ".join(str(v) for v in row.values) + ")" for row in rows)
    return f"VALUES ({names}) {{ {body} }}"


def _narrowing(rule: Rule, rows: Sequence[Row]) -> str:
    """A ``FILTER`` the solutions of the premises matching one of ``rows`` pass, column by column: a superset
    (``IN`` compares literals by value), made exact by the join with the ``VALUES`` block."""
    used = {slot[1:] for pattern in rule.premises for slot in pattern if isinstance(slot, str)}
    tests = []
    for i, column in enumerate(rule.columns):
        if column in used:
            values = dict.fromkeys(str(row.values[i]) for row in rows)
            tests.append(f"?{column} IN ({', '.join(values)})")
    return f"FILTER({' && '.join(tests)})" if tests else ""


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
    batch: Batch, lead: list[str], graphs: dict[int, NamedNode], checks: list[str], exclude: Sequence[NamedNode] = ()
) -> str:
    """A query's group: the ``lead`` patterns (a delta graph's), then the rest of the premises, the rule's
    filters and ``checks``.

    The lead goes first: Oxigraph joins a small delta into the store by lookups when it is written first and
    its constants are known. A batch with a :attr:`Batch.narrowing` has the lead and the premises in a group
    of their own, joined with its ``VALUES`` block outside (see :func:`batches`). A blank node bound as a
    substitution is not known to the planner, which may then start from the store, so such a batch
    (embedded stores only: engines hold no blank nodes) puts the rest in Oxigraph's ``LATERAL``, evaluated
    once per lead row. With ``exclude``, a premise may not be a triple of those graphs.
    """
    rule = batch.rule
    premises = []
    for i in _joined_order(rule, set(graphs), bool(lead)):
        premise = rule.premises[i]
        premises.append(_pattern(premise))
        premises += (_absent(premise, batch, g, f"?gone{i}_{j}") for j, g in enumerate(exclude))
    filters = [f"FILTER({f})" for f in rule.filters]
    if batch.narrowing:
        found = " ".join([*lead, *premises, batch.narrowing])
        return " ".join([f"{{ SELECT * WHERE {{ {found} }} }}", batch.values, *filters, *checks])
    rest = [batch.values] if batch.values else []
    rest += [*premises, *filters, *checks]
    if lead and batch.substitutions:
        return f"{' '.join(lead)} LATERAL {{ {' '.join(rest)} }}"
    return " ".join([*lead, *rest])


def _joined_order(rule: Rule, leading: set[int], led: bool) -> list[int]:
    """The premises not in ``leading``, in the order a query led by a delta's pattern writes them: each next
    one shares a variable with those before when one can (``LATERAL`` joins in the order written; from a lead
    ``?y a ub:GraduateAdvisor``, ``?x gkr:member _:r`` first scanned every member of the class for each row)."""
    rest = [i for i in range(len(rule.premises)) if i not in leading]
    if not led:
        return rest
    # the lead is a premise read from a delta graph, or (re-derivation) the conclusion read from one
    bound = {v for i in leading for v in _variables(rule.premises[i])} if leading else _variables(rule.conclusion)
    ordered = []
    while rest:
        i = next((i for i in rest if _variables(rule.premises[i]) & bound), rest[0])
        rest.remove(i)
        ordered.append(i)
        bound |= _variables(rule.premises[i])
    return ordered


def _variables(pattern: Pattern) -> set[str]:
    return {slot for slot in pattern if isinstance(slot, str)}


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


def overdelete(
    batch: Batch, delta: int | None, graph: NamedNode | None, inferred: NamedNode, seen: Sequence[NamedNode]
) -> str:
    """The inferred conclusions of instances whose premise ``delta`` is in ``graph`` (None: of every instance,
    a rule row the schema no longer has), in none of the ``seen`` graphs yet."""
    rule = batch.rule
    inferred_only = _pattern(rule.conclusion, inferred)  # a pattern would be evaluated alone, then joined
    held = inferred_only if batch.substitutions else f"FILTER EXISTS {{ {inferred_only} }}"
    checks = [held, *(_absent(rule.conclusion, batch, g, f"?seen{j}") for j, g in enumerate(seen))]
    graphs = {delta: graph} if delta is not None and graph is not None else {}
    lead = [_pattern(rule.premises[i], g) for i, g in graphs.items()]
    where = _where(batch, lead, graphs, checks)
    return f"CONSTRUCT {{ {_pattern(rule.conclusion)} }} WHERE {{ {where} }}"


def rederive(batch: Batch, candidates: NamedNode, exclude: Sequence[NamedNode]) -> str:
    """The triples of ``candidates`` that the rule derives from what the store holds now, no premise in the
    ``exclude`` graphs.

    Re-derivation excludes the over-deleted triples: they are in no other graph by then (they left the
    inferred graph, and a write never asserts a triple it retracts or one that was inferred), so "not in
    ``over``" is "not over-deleted", and a re-derived triple is absent from the store. Over-deletion asks
    which of its candidates follow from asserted triples alone (excluding the inferred graph too): those
    stay, and what follows from them is not over-deleted through them.

    One derivation is enough: ``FILTER EXISTS`` stops at the first (re-deriving the types of 0.1% of
    LUBM(10) removed took 14.7 s joining every derivation, 5.8 s so). The rows are joined with the candidates
    outside it (Virtuoso cannot compile a ``VALUES`` block inside ``EXISTS`` that binds an outer variable).
    Substitutions do not reach inside ``EXISTS``, so a batch with a blank node is joined in full.
    """
    rule = batch.rule
    lead = _pattern(rule.conclusion, candidates)
    if batch.substitutions:
        where = _where(batch, [lead], {}, [], exclude=exclude)
    else:
        derivation = _where(replace(batch, values="", narrowing=""), [], {}, [], exclude=exclude)
        where = f"{lead} {batch.values} FILTER EXISTS {{ {derivation} }}"
    return f"CONSTRUCT {{ {_pattern(rule.conclusion)} }} WHERE {{ {where} }}"


def premises(batch: Batch, limit: int) -> str:
    """The instances of the rule's premises (the conclusion's variables bound as substitutions)."""
    return f"SELECT * WHERE {{ {_where(batch, [], {}, [])} }} LIMIT {limit}"
