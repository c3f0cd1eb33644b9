"""The closure in memory, for bulk work: the rules of :mod:`.program`, evaluated over integer triples.

The store-resident engine (:mod:`.engine`) runs each rule of a compiled schema's program as SPARQL over delta
graphs; this one runs the *same* :class:`~.program.Rule` objects (premises, conclusion, filters, table rows)
as joins over dictionary indexes, semi-naively: a triple fires every rule instance it is a premise of, the
other premises looked up among the triples present, when it leaves the queue. There is no second rule set:
a rule is read from its patterns, and a filter whose text is not one of the few shapes the program writes
is refused (:class:`ValueError`), so that a new rule cannot be evaluated differently here without notice.

Terms are their N-Triples text (as Oxigraph writes it), numbered as they come; each ``(subject, predicate)``
maps to one object id or a set of them (most have one), and the same from the object's side.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pyoxigraph import RdfFormat, parse

from .program import Rule
from .schema import CompiledSchema, compile_schema
from .vocabulary import NODES, SCHEMA_PREDICATES, SCHEMA_TYPES, TYPE

IRI, BLANK, LITERAL, TRIPLE = 0, 1, 2, 3
_XSD_STRING = b"<http://www.w3.org/2001/XMLSchema#string>"
_LANG_STRING = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString>"
_DIR_LANG_STRING = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString>"

Triple = tuple[int, int, int]
Objects = int | set[int]
Binding = list[int]
#: A pattern slot: ``(True, id)`` a constant, ``(False, index)`` a variable of the binding.
Slot = tuple[bool, int]


def text(term: object) -> bytes:
    """A term's N-Triples text, the key of the dictionary (Oxigraph writes files the way ``str`` writes terms)."""
    return str(term).encode()


def split_line(line: bytes) -> tuple[bytes, bytes, bytes]:
    """Subject, predicate and object of one N-Triples line as Oxigraph writes it (``s p o .``, single spaces)."""
    s, p, rest = line.split(b" ", 2)
    return s, p, rest.rstrip(b"\r\n")[:-2]


def _add(index: dict[int, Objects], key: int, value: int) -> bool:
    found = index.get(key)
    if found is None:
        index[key] = value
        return True
    if type(found) is int:
        if found == value:
            return False
        index[key] = {found, value}
        return True
    if value in found:  # type: ignore[operator]
        return False
    found.add(value)  # type: ignore[union-attr]
    return True


def _values(found: Objects | None) -> Iterable[int]:
    if found is None:
        return ()
    if type(found) is int:
        return (found,)
    return found  # type: ignore[return-value]


@dataclass
class _Compiled:
    """One rule with its variables numbered: premises and conclusion as slots, filters as functions."""

    name: str
    size: int
    premises: tuple[tuple[Slot, Slot, Slot], ...]
    conclusion: tuple[Slot, Slot, Slot]
    filters: tuple[Callable[[Binding], bool], ...]
    #: For each premise that can be the new triple: the order in which the other premises are joined.
    plans: tuple[tuple[int, ...], ...]


#: A one-premise rule row: checks ``(position, id)`` beyond the key, positions that may not hold a literal, and
#: the conclusion's terms (an id, or ``-1 - position`` for the premise's term at that position).
_Direct = tuple[tuple[tuple[int, int], ...], tuple[int, ...], int, int, int]
#: :data:`_Direct` rows grouped: the object ``GROUPED`` and the constant objects, or a row's object and ().
_Grouped = tuple[tuple[tuple[int, int], ...], tuple[int, ...], int, int, int, tuple[int, ...]]
GROUPED = -100
#: A rule that a triple can fire: the rule, which premise the triple is, the row's binding, and the predicates
#: the other premises need (a rule is skipped while one of them has no triple at all).
_Trigger = tuple[_Compiled, int, Binding, frozenset[int]]


class Closure:
    """Integer triples closed under one schema's program; asserted triples first, then :meth:`run`."""

    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.terms: list[bytes] = []
        self.kinds = bytearray()
        self.out: dict[int, dict[int, Objects]] = {}
        self.inn: dict[int, dict[int, Objects]] = {}
        #: Triples that were not asserted (packed ints: see :meth:`key`), with the order they were found in.
        self.inferred: dict[int, None] = {}
        self.asserted = 0
        self._queue: deque[Triple] = deque()
        self._triggers: dict[tuple[int, int], list[_Trigger]] = {}
        #: Rules a triple of any predicate can fire (eq-rep-s/o), by the predicates their other premises need.
        self._any: dict[frozenset[int], list[_Trigger]] = {}
        self._direct: dict[tuple[int, int], list[_Direct]] = {}
        #: The same, rows that differ in a constant object only grouped (object ``GROUPED``, the objects).
        self._grouped: dict[tuple[int, int], list[_Grouped]] = {}
        self._type = self.encode(text(NODES[TYPE]))

    # -- terms and triples ---------------------------------------------------------------------------

    def encode(self, term: bytes) -> int:
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
            first = term[:1]
            kind = LITERAL if first == b'"' else BLANK if first == b"_" else TRIPLE if term[:2] == b"<<" else IRI
            self.kinds.append(kind)
        return found

    def key(self, triple: Triple) -> int:
        s, p, o = triple
        return (s << 64) | (p << 32) | o

    def unkey(self, key: int) -> Triple:
        return (key >> 64, (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF)

    def line(self, triple: Triple) -> bytes:
        terms = self.terms
        return b"%s %s %s .\n" % (terms[triple[0]], terms[triple[1]], terms[triple[2]])

    def __contains__(self, triple: Triple) -> bool:
        s, p, o = triple
        found = self.out.get(p, {}).get(s)
        return found == o if type(found) is int else found is not None and o in found  # type: ignore[operator]

    def _insert(self, s: int, p: int, o: int) -> bool:
        out = self.out.get(p)
        if out is None:
            out = self.out[p] = {}
            self.inn[p] = {}
        if not _add(out, s, o):
            return False
        _add(self.inn[p], o, s)
        return True

    def assert_line(self, line: bytes) -> None:
        """Add one asserted triple, an N-Triples line (before :meth:`run`)."""
        s, p, o = split_line(line)
        encode = self.encode
        triple = (encode(s), encode(p), encode(o))
        if self._insert(*triple):
            self.asserted += 1
            self._queue.append(triple)

    def datatype(self, id: int) -> int:
        """The id of a literal's datatype (-1 when no triple mentions it)."""
        term = self.terms[id]
        tail = term[term.rfind(b'"') + 1 :]
        if tail.startswith(b"^^"):
            name = tail[2:]
        elif tail.startswith(b"@"):
            name = _DIR_LANG_STRING if b"--" in tail else _LANG_STRING
        else:
            name = _XSD_STRING
        return self.ids.get(name, -1)

    # -- the program ---------------------------------------------------------------------------------

    def load_program(self, schema: CompiledSchema) -> None:
        """Compile the schema's rules against this dictionary, and queue its entailed schema triples."""
        for rule in schema.program:
            self._compile(rule)
        for key, rows in self._direct.items():  # rows that differ in a constant object only: one lookup
            grouped: dict[tuple[tuple[tuple[int, int], ...], tuple[int, ...], int, int], list[int]] = {}
            single: list[_Direct] = []
            for checks, not_literal, a, b, c in rows:
                if c >= 0:
                    grouped.setdefault((checks, not_literal, a, b), []).append(c)
                else:
                    single.append((checks, not_literal, a, b, c))
            self._grouped[key] = [(*shape, GROUPED, tuple(cs)) for shape, cs in grouped.items()]
            self._grouped[key] += [(*row, ()) for row in single]
        for s, p, o in schema.entailed():
            triple = (self.encode(text(s)), self.encode(text(p)), self.encode(text(o)))
            if self._insert(*triple):
                self.inferred[self.key(triple)] = None
                self._queue.append(triple)

    def _compile(self, rule: Rule) -> None:
        names: dict[str, int] = {}

        def slot(value: object) -> Slot:
            if isinstance(value, str):
                return (False, names.setdefault(value[1:], len(names)))
            return (True, self.encode(text(value)))

        for column in rule.columns:
            names.setdefault(column, len(names))
        premises = tuple((slot(s), slot(p), slot(o)) for s, p, o in rule.premises)
        conclusion = (slot(rule.conclusion[0]), slot(rule.conclusion[1]), slot(rule.conclusion[2]))
        filters = tuple(self._filter(f, names) for f in rule.filters)
        plans = tuple(_plan(premises, first, {names[c] for c in rule.columns}) for first in range(len(premises)))
        compiled = _Compiled(rule.name, len(names), premises, conclusion, filters, plans)
        for row in rule.rows:
            binding = [-1] * len(names)
            for column, value in zip(rule.columns, row.values, strict=True):
                binding[names[column]] = self.encode(text(value))
            if self._direct_rule(compiled, rule.filters, names, binding):
                continue
            predicates = [p[1] if p[0] else binding[p[1]] for _, p, _ in premises]
            for i, (_, _, o) in enumerate(premises):
                predicate = predicates[i]
                needs = frozenset(q for j, q in enumerate(predicates) if j != i and q >= 0)
                if predicate < 0:
                    self._any.setdefault(needs, []).append((compiled, i, binding, needs))
                    continue
                cls = (o[1] if o[0] else binding[o[1]]) if predicate == self._type else -1
                self._triggers.setdefault((predicate, cls), []).append((compiled, i, binding, needs))

    def _direct_rule(self, rule: _Compiled, filters: tuple[str, ...], names: dict[str, int], row: Binding) -> bool:
        """Keep a one-premise rule row as a :data:`_Direct` (no binding, no join: most firings are these);
        False when its shape needs the general path (a repeated variable, another filter)."""
        if len(rule.premises) != 1:
            return False
        positions: dict[int, int] = {}
        checks = []
        for position, (constant, value) in enumerate(rule.premises[0]):
            known = value if constant else row[value]
            if known >= 0:
                checks.append((position, known))
            elif value in positions:
                return False
            else:
                positions[value] = position
        not_literal = []
        for source in filters:
            found = re.fullmatch(r"!isLiteral\(\?(\w+)\)", source)
            if found is None or names[found[1]] not in positions:
                return False
            not_literal.append(positions[names[found[1]]])
        conclusion = []
        for constant, value in rule.conclusion:
            known = value if constant else row[value]
            if known < 0 and value not in positions:
                return False
            conclusion.append(known if known >= 0 else -1 - positions[value])
        by_position = dict(checks)
        predicate = by_position.get(1, -1)
        if predicate < 0:
            return False
        cls = by_position.get(2, -1) if predicate == self._type else -1
        rest = tuple((i, v) for i, v in checks if i != 1 and not (i == 2 and cls >= 0))
        entry = (rest, tuple(not_literal), conclusion[0], conclusion[1], conclusion[2])
        self._direct.setdefault((predicate, cls), []).append(entry)
        return True

    def _filter(self, source: str, names: dict[str, int]) -> Callable[[Binding], bool]:
        """A filter of :mod:`.program` as a function of a binding; the shapes it writes, and no other."""
        kinds = self.kinds
        if found := re.fullmatch(r"!isLiteral\(\?(\w+)\)", source):
            v = names[found[1]]
            return lambda b: kinds[b[v]] != LITERAL
        if found := re.fullmatch(r"\?(\w+) != \?(\w+)", source):
            a, c = names[found[1]], names[found[2]]
            return lambda b: b[a] != b[c]
        if found := re.fullmatch(r"\?(\w+) != (<[^>]*>)", source):
            a, constant = names[found[1]], self.encode(found[2].encode())
            return lambda b: b[a] != constant
        pattern = r"isLiteral\(\?(\w+)\) && \(\?(\w+) = (<[^>]*>) \|\| datatype\(\?(\w+)\) = \?(\w+)\)"
        if (found := re.fullmatch(pattern, source)) and found[1] == found[4] and found[2] == found[5]:
            y, f, literal = names[found[1]], names[found[2]], self.encode(found[3].encode())
            datatype = self.datatype
            return lambda b: kinds[b[y]] == LITERAL and (b[f] == literal or datatype(b[y]) == b[f])
        raise ValueError(f"a rule filter the in-memory engine does not read: {source}")

    # -- evaluation ----------------------------------------------------------------------------------

    def run(self) -> int:
        """Fire every queued triple until nothing new follows; returns how many triples were inferred."""
        before = len(self.inferred)
        found: list[Triple] = []
        queue, inferred, key, insert = self._queue, self.inferred, self.key, self._insert
        while queue:
            self._fire(queue.popleft(), found)
            for triple in found:
                if insert(*triple):
                    inferred[key(triple)] = None
                    queue.append(triple)
            found.clear()
        return len(self.inferred) - before

    def _fire(self, triple: Triple, found: list[Triple]) -> None:
        _, p, o = triple
        kinds, out, direct = self.kinds, self.out, self._grouped
        rows = (direct.get((p, o)), direct.get((p, -1))) if p == self._type else (direct.get((p, -1)),)
        for group in rows:
            if group is None:
                continue
            for checks, not_literal, a, b, c, objects in group:
                if checks and any(triple[i] != v for i, v in checks):
                    continue
                if not_literal and any(kinds[triple[i]] == LITERAL for i in not_literal):
                    continue
                x = a if a >= 0 else triple[-1 - a]
                y = b if b >= 0 else triple[-1 - b]
                if kinds[x] >= LITERAL or kinds[y] != IRI:  # what a CONSTRUCT template leaves out
                    continue
                index = out.get(y)
                have = index.get(x) if index is not None else None
                if c != GROUPED:
                    objects = (c if c >= 0 else triple[-1 - c],)
                if have is None:
                    found.extend((x, y, z) for z in objects)
                elif type(have) is int:
                    found.extend((x, y, z) for z in objects if z != have)
                else:
                    found.extend((x, y, z) for z in objects if z not in have)  # type: ignore[operator]
        triggers = self._triggers
        present = out.keys()
        for triggered in (triggers.get((p, o), ()) if p == self._type else (), triggers.get((p, -1), ())):
            for rule, i, row, needs in triggered:
                if needs <= present:  # else another premise's predicate has no triple at all (yet)
                    binding = row.copy()
                    if _unify(rule.premises[i], triple, binding):
                        self._join(rule, rule.plans[i], 0, binding, found)
        for needs, triggered in self._any.items():
            if needs <= present:
                for rule, i, row, _ in triggered:
                    binding = row.copy()
                    if _unify(rule.premises[i], triple, binding):
                        self._join(rule, rule.plans[i], 0, binding, found)

    def _join(self, rule: _Compiled, plan: tuple[int, ...], step: int, b: Binding, found: list[Triple]) -> None:
        if step == len(plan):
            self._conclude(rule, b, found)
            return
        pattern = rule.premises[plan[step]]
        s, p, o = (value if constant else b[value] for constant, value in pattern)
        if s >= 0 and p >= 0 and o >= 0:  # a check, not a lookup
            if (s, p, o) in self:
                self._join(rule, plan, step + 1, b, found)
            return
        free = [value for constant, value in pattern if not constant and b[value] < 0]
        for triple in self._match(s, p, o):
            if _unify(pattern, triple, b):
                self._join(rule, plan, step + 1, b, found)
            for value in free:
                b[value] = -1

    def _match(self, s: int, p: int, o: int) -> Iterator[Triple]:
        """The triples present that match a pattern (-1: any term). Nothing is inserted while a triple fires
        (conclusions are collected first), so the indexes are read without copies."""
        for q in [p] if p >= 0 else list(self.out):
            if s >= 0 and o >= 0:
                if (s, q, o) in self:
                    yield (s, q, o)
            elif s >= 0:
                yield from ((s, q, x) for x in _values(self.out.get(q, {}).get(s)))
            elif o >= 0:
                yield from ((x, q, o) for x in _values(self.inn.get(q, {}).get(o)))
            else:
                for subject, objects in self.out.get(q, {}).items():
                    yield from ((subject, q, x) for x in _values(objects))

    def _conclude(self, rule: _Compiled, b: Binding, found: list[Triple]) -> None:
        (sc, sv), (pc, pv), (oc, ov) = rule.conclusion
        s, p, o = (sv if sc else b[sv]), (pv if pc else b[pv]), (ov if oc else b[ov])
        kinds = self.kinds
        if kinds[s] in (LITERAL, TRIPLE) or kinds[p] != IRI:  # what a CONSTRUCT template leaves out
            return
        for check in rule.filters:
            if not check(b):
                return
        if (s, p, o) not in self:
            found.append((s, p, o))


def _unify(pattern: tuple[Slot, Slot, Slot], triple: Triple, b: Binding) -> bool:
    for (constant, value), term in zip(pattern, triple, strict=True):
        if constant:
            if value != term:
                return False
        elif b[value] < 0:
            b[value] = term
        elif b[value] != term:
            return False
    return True


def _plan(premises: tuple[tuple[Slot, Slot, Slot], ...], first: int, columns: set[int]) -> tuple[int, ...]:
    """The other premises in join order: each time the one with most positions known (constants, columns,
    variables bound by the premises before it), ties in the rule's order."""
    bound = set(columns) | {value for constant, value in premises[first] if not constant}
    rest = [i for i in range(len(premises)) if i != first]
    order = []
    while rest:
        known = {i: sum(1 for constant, value in premises[i] if constant or value in bound) for i in rest}
        best = max(rest, key=lambda i: (known[i], -i))
        order.append(best)
        rest.remove(best)
        bound |= {value for constant, value in premises[best] if not constant}
    return tuple(order)


# -- a whole closure from files ----------------------------------------------------------------------

_SCHEMA_PREDICATES = frozenset(text(NODES[p]) for p in SCHEMA_PREDICATES)
_SCHEMA_TYPES = frozenset(text(NODES[c]) for c in SCHEMA_TYPES)
_TYPE_TEXT = text(NODES[TYPE])


def is_schema_line(line: bytes) -> bool:
    """Whether an N-Triples line is one :data:`.schema.SCHEMA_QUERY` reads (the rules are compiled from it)."""
    _, p, o = split_line(line)
    return p in _SCHEMA_PREDICATES or (p == _TYPE_TEXT and o in _SCHEMA_TYPES)


def closure_of(lines: Iterable[bytes]) -> tuple[Closure, CompiledSchema]:
    """The closure of asserted N-Triples lines, under the rules compiled from the schema they hold."""
    closure = Closure()
    schema_lines = []
    for line in lines:
        if line.strip():
            closure.assert_line(line)
            if is_schema_line(line):
                schema_lines.append(line)
    schema = compile_schema(
        (t.subject, t.predicate, t.object)
        for t in (q.triple for q in parse(b"".join(schema_lines), RdfFormat.N_TRIPLES))
    )
    closure.load_program(schema)
    closure.run()
    return closure, schema
