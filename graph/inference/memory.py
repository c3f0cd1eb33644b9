"""The closure in memory, for bulk work: the rules of :mod:`.program`, compiled to Python, over integer triples.

The store-resident engine (:mod:`.engine`) runs each rule of a compiled schema's program as SPARQL over delta
graphs; this one runs the *same* :class:`~.program.Rule` objects (premises, conclusion, filters, table rows)
semi-naively in memory: a triple fires every rule instance it is a premise of, the other premises looked up
among the triples present, when it leaves the queue. There is no second rule set: each rule is compiled, for
each premise a new triple can be, into one Python function whose source is written from the rule's patterns
(:func:`premise_source`): the new triple's terms, a loop over the table rows its predicate and object select,
the other premises as index lookups in join order, each filter where its variables are bound, the conclusion.
A filter whose text is not one of the few shapes the program writes is refused (:class:`ValueError`), so that
a new rule cannot be evaluated differently here without notice.

Terms are their N-Triples text (as Oxigraph writes it), numbered as they come; each ``(subject, predicate)``
maps to one object id or a set of them (most have one), and the same from the object's side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph
from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from .program import Rule
from .schema import CompiledSchema, compile_schema
from .vocabulary import NODES, SCHEMA_PREDICATES, SCHEMA_TYPES, TYPE

IRI, BLANK, LITERAL, TRIPLE = 0, 1, 2, 3
_XSD_STRING = b"<http://www.w3.org/2001/XMLSchema#string>"
_LANG_STRING = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString>"
_DIR_LANG_STRING = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString>"
#: The object half of a trigger key that any object matches (no term gets this id).
ANY = 0xFFFFFFFF

Triple = tuple[int, int, int]
Objects = int | set[int]
Index = dict[int, dict[int, Objects]]
Rows = tuple[tuple[int, ...], ...]
#: A compiled premise: called with a new triple and the table rows it selects, it adds the conclusions.
Fire = Callable[[int, int, int, Rows], None]


def text(term: object) -> bytes:
    """A term's N-Triples text, the key of the dictionary (Oxigraph writes files the way ``str`` writes terms)."""
    return str(term).encode()


def split_line(line: bytes) -> tuple[bytes, bytes, bytes]:
    """Subject, predicate and object of one N-Triples line as Oxigraph writes it (``s p o .``, single spaces)."""
    s, p, rest = line.split(b" ", 2)
    return s, p, rest.rstrip(b"\r\n")[:-2]


def each(found: Objects | None) -> Collection[int]:
    """The ids an index entry holds."""
    if found is None:
        return ()
    if type(found) is int:
        return (found,)
    return found  # type: ignore[return-value]


_EMPTY: dict[int, Objects] = {}


def values_of(index: Index, p: int, key: int) -> Collection[int]:
    """The objects of ``(key, p)`` in ``out``, or the subjects of ``(p, key)`` in ``inn``."""
    return each(index.get(p, _EMPTY).get(key))


def pairs(index: Index, p: int) -> Iterator[tuple[int, int]]:
    """Every ``(subject, object)`` of predicate ``p``."""
    for s, found in index.get(p, _EMPTY).items():
        for o in each(found):
            yield s, o


# -- compiling a rule --------------------------------------------------------------------------------


def filter_source(source: str, names: dict[str, str], constant: Callable[[bytes], int]) -> str:
    """A filter of :mod:`.program` as a Python expression over the variables' local names (``constant``: the id
    of an IRI's text); the shapes the program writes, and no other (:class:`ValueError`)."""
    if found := re.fullmatch(r"!isLiteral\(\?(\w+)\)", source):
        return f"kinds[{names[found[1]]}] != {LITERAL}"
    if found := re.fullmatch(r"\?(\w+) != \?(\w+)", source):
        return f"{names[found[1]]} != {names[found[2]]}"
    if found := re.fullmatch(r"\?(\w+) != (<[^>]*>)", source):
        return f"{names[found[1]]} != {constant(found[2].encode())}"
    pattern = r"isLiteral\(\?(\w+)\) && \(\?(\w+) = (<[^>]*>) \|\| datatype\(\?(\w+)\) = \?(\w+)\)"
    if (found := re.fullmatch(pattern, source)) and found[1] == found[4] and found[2] == found[5]:
        y, f, literal = names[found[1]], names[found[2]], constant(found[3].encode())
        return f"kinds[{y}] == {LITERAL} and ({f} == {literal} or datatype({y}) == {f})"
    raise ValueError(f"a rule filter the in-memory engine does not read: {source}")


def premise_source(rule: Rule, first: int, constant: Callable[[bytes], int], *, keyed: bool) -> str:
    """The source of ``fire(s, p, o, rows)`` for ``rule`` when the new triple ``(s, p, o)`` is premise
    ``first``, given the table rows the triple selects (``keyed``: rows chosen by the triple's predicate, and
    its object where the premise's object is known, so these need no check).

    Variables are Python locals: the new triple's ``s``, ``p``, ``o``, a column's ``c_<name>``, a variable
    bound by a later premise ``v_<name>``; a check that fails goes on to the next candidate (``continue``).
    """
    names = {column: f"c_{column}" for column in rule.columns}
    pre: list[str] = []  # checks on the new triple alone, before the loop over rows
    body: list[str] = []  # inside that loop, indented by the loops the other premises open
    depth = 2

    def known(slot: object) -> str | None:
        if isinstance(slot, str):
            return names.get(slot[1:])
        return str(constant(text(slot)))

    def line(code: str) -> None:
        body.append("    " * depth + code)

    # every variable's local name, fixed before the source is written: the filters are written with them
    final = dict(names)
    for slot, given in zip(rule.premises[first], ("s", "p", "o"), strict=True):
        if isinstance(slot, str):
            final.setdefault(slot[1:], given)
    for slot in (s for pattern in rule.premises for s in pattern):
        if isinstance(slot, str):
            final.setdefault(slot[1:], f"v_{slot[1:]}")
    # the filters, and what a CONSTRUCT template leaves out (a literal or triple subject, a predicate that is no
    # IRI), each checked as soon as its variables are bound
    waiting = [(set(re.findall(r"\?(\w+)", f)), filter_source(f, final, constant)) for f in rule.filters]
    subject, predicate, _ = rule.conclusion
    for slot, check in ((subject, f"kinds[{{}}] < {LITERAL}"), (predicate, f"kinds[{{}}] == {IRI}")):
        if isinstance(slot, str):
            waiting.append(({slot[1:]}, check.format(final[slot[1:]])))
        elif isinstance(slot, (Literal, pyoxigraph.Triple)) or (slot is predicate and not isinstance(slot, NamedNode)):
            return "def fire(s, p, o, rows):\n    return\n"  # it concludes nothing a store can hold

    def place_filters(into: list[str], stop: str) -> None:
        for entry in list(waiting):
            needs, check = entry
            if needs <= names.keys():
                waiting.remove(entry)
                into.append("    " * (1 if stop == "return" else depth) + f"if not ({check}): {stop}")

    premise = rule.premises[first]
    for position, (slot, given) in enumerate(zip(premise, ("s", "p", "o"), strict=True)):
        value = known(slot)
        column = isinstance(slot, str) and slot[1:] in rule.columns
        if value is None:
            names[slot[1:]] = given  # type: ignore[index]
        elif keyed and position > 0 and (column or not isinstance(slot, str)):
            continue  # the rows were chosen by it
        elif column:
            body.append(f"        if {given} != {value}: continue")
        else:
            pre.append(f"    if {given} != {value}: return")
    columns = {column: names.pop(column) for column in rule.columns if names.get(column, "").startswith("c_")}
    place_filters(pre, "return")
    names.update(columns)
    place_filters(body, "continue")
    for j in _plan(rule, first):
        slots = rule.premises[j]
        fresh: dict[str, int] = {}
        checks: list[tuple[int, str]] = []
        for position, slot in enumerate(slots):
            if known(slot) is None:
                variable = slot[1:]  # type: ignore[index]
                if variable in fresh:
                    checks.append((position, variable))
                else:
                    fresh[variable] = position
        at = {position: f"v_{variable}" for variable, position in fresh.items()}
        at.update({position: f"_r{position}" for position, _ in checks})  # a repeated variable's other place
        ks, kp, ko = (known(slot) for slot in slots)
        if kp is None:
            kp = at[1]
            line(f"for {kp} in out:")
            depth += 1
        if ks is not None and ko is not None:
            line(f"if not has({ks}, {kp}, {ko}): continue")
        elif ks is not None:
            line(f"for {at[2]} in values(out, {kp}, {ks}):")
            depth += 1
        elif ko is not None:
            line(f"for {at[0]} in values(inn, {kp}, {ko}):")
            depth += 1
        else:
            line(f"for {at[0]}, {at[2]} in pairs(out, {kp}):")
            depth += 1
        names.update({variable: f"v_{variable}" for variable in fresh})
        for position, variable in checks:
            line(f"if {at[position]} != {names[variable]}: continue")
        place_filters(body, "continue")
    if waiting:
        raise ValueError(f"{rule.name}: a filter reads a variable no premise binds: {waiting}")
    cs, cp, co = (known(slot) for slot in rule.conclusion)
    if cs is None or cp is None or co is None:
        raise ValueError(f"{rule.name}: the conclusion has a variable no premise binds")
    line(f"add(({cs}, {cp}, {co}))")
    row = "(" + "".join(f"c_{column}, " for column in rule.columns) + ")"
    head = "def fire(s, p, o, rows, out=out, inn=inn, kinds=kinds, add=add, has=has, values=values, pairs=pairs, "
    head += "datatype=datatype):"
    return "\n".join([head, *pre, f"    for {row} in rows:", *body, ""])


def _plan(rule: Rule, first: int) -> tuple[int, ...]:
    """The other premises in join order: each time the one with most positions known (constants, columns,
    variables bound by the premises before it), ties in the rule's order."""
    premises = rule.premises
    bound = set(rule.columns) | {slot[1:] for slot in premises[first] if isinstance(slot, str)}
    rest = [i for i in range(len(premises)) if i != first]
    order = []
    while rest:
        known = {i: sum(1 for slot in premises[i] if not isinstance(slot, str) or slot[1:] in bound) for i in rest}
        best = max(rest, key=lambda i: (known[i], -i))
        order.append(best)
        rest.remove(best)
        bound |= {slot[1:] for slot in premises[best] if isinstance(slot, str)}
    return tuple(order)


@dataclass(frozen=True)
class Compiled:
    """One premise of one rule as a function, and the table rows it is called with, by trigger key."""

    rule: str
    premise: int
    source: str
    fire: Fire
    rows: dict[int, Rows]


class Closure:
    """Integer triples closed under one schema's program; asserted triples first, then :meth:`run`."""

    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.terms: list[bytes] = []
        self.kinds = bytearray()
        self.out: Index = {}
        self.inn: Index = {}
        #: Triples that were not asserted, in the order they were found, since :meth:`run` last handed them
        #: over (see its ``found_so_far``); :attr:`handed` counts those handed over.
        self.inferred: list[Triple] = []
        self.handed = 0
        self.asserted = 0
        self.compiled: list[Compiled] = []
        self._queue: list[Triple] = []
        self._found: list[Triple] = []
        #: Compiled premises by trigger key ``(predicate << 32) | object`` (object :data:`ANY`: any object).
        self._table: dict[int, list[tuple[Fire, Rows]]] = {}
        #: Premises whose predicate is a variable (eq-rep-s/o), with the predicates the other premises need.
        self._any: list[tuple[frozenset[int], Fire, Rows]] = []

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
        return self.has(*triple)

    def has(self, s: int, p: int, o: int) -> bool:
        found = self.out.get(p, _EMPTY).get(s)
        return found == o if type(found) is int else found is not None and o in found  # type: ignore[operator]

    def _insert(self, s: int, p: int, o: int) -> bool:
        out = self.out.get(p)
        if out is None:
            out = self.out[p] = {}
            self.inn[p] = {}
        found = out.get(s)
        if found is None:
            out[s] = o
        elif type(found) is int:
            if found == o:
                return False
            out[s] = {found, o}
        elif o in found:  # type: ignore[operator]
            return False
        else:
            found.add(o)  # type: ignore[union-attr]
        inn = self.inn[p]
        found = inn.get(o)
        if found is None:
            inn[o] = s
        elif type(found) is int:
            inn[o] = {found, s}
        else:
            found.add(s)  # type: ignore[union-attr]
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
            for premise in range(len(rule.premises)):
                self._compile(rule, premise)
        for s, p, o in schema.entailed():
            triple = (self.encode(text(s)), self.encode(text(p)), self.encode(text(o)))
            if self._insert(*triple):
                self.inferred.append(triple)
                self._queue.append(triple)

    def _compile(self, rule: Rule, premise: int) -> None:
        """Premise ``premise`` of ``rule`` as a function, its rows keyed by the predicate and object they need."""
        encode = self.encode
        _, p, o = rule.premises[premise]
        keyed = rule.value(p, rule.rows[0]) is not None if rule.rows else False
        by_key: dict[int, list[tuple[int, ...]]] = {}
        for row in rule.rows:
            values = tuple(encode(text(v)) for v in row.values)
            if keyed:
                predicate, obj = rule.value(p, row), rule.value(o, row)
                key = (encode(text(predicate)) << 32) | (encode(text(obj)) if obj is not None else ANY)
            else:
                key = -1
            by_key.setdefault(key, []).append(values)
        source = premise_source(rule, premise, encode, keyed=keyed)
        namespace = {
            "out": self.out,
            "inn": self.inn,
            "kinds": self.kinds,
            "add": self._found.append,
            "has": self.has,
            "values": values_of,
            "pairs": pairs,
            "datatype": self.datatype,
        }
        # the source is written by premise_source from the rule's patterns and ids, never from data
        exec(compile(source, f"<{rule.name} premise {premise}>", "exec"), namespace)
        fire: Fire = namespace["fire"]  # type: ignore[assignment]
        rows = {key: tuple(found) for key, found in by_key.items()}
        self.compiled.append(Compiled(rule.name, premise, source, fire, rows))
        if keyed:
            for key, found in rows.items():
                self._table.setdefault(key, []).append((fire, found))
            return
        needs = frozenset(
            encode(text(q)) for j, (_, q, _) in enumerate(rule.premises) if j != premise and not isinstance(q, str)
        )
        for found in rows.values():
            self._any.append((needs, fire, found))

    # -- evaluation ----------------------------------------------------------------------------------

    @property
    def inferred_count(self) -> int:
        """How many triples were inferred in all."""
        return self.handed + len(self.inferred)

    def run(self, found_so_far: Callable[[list[Triple]], None] | None = None, every: int = 0) -> int:
        """Fire every queued triple until nothing new follows; returns how many triples were inferred.

        ``found_so_far`` is handed :attr:`inferred` each time it holds ``every`` triples or more, which are
        then dropped from it (the closure only grows: what it holds then stays in it)."""
        before = self.inferred_count
        due = every if found_so_far is not None else -1
        queue, found, inferred, out, inn = self._queue, self._found, self.inferred, self.out, self.inn
        table, anything, present = self._table, self._any, out.keys()
        while queue:
            s, p, o = queue.pop()
            base = p << 32
            for fire, rows in table.get(base | o, ()):
                fire(s, p, o, rows)
            for fire, rows in table.get(base | ANY, ()):
                fire(s, p, o, rows)
            for needs, fire, rows in anything:
                if needs <= present:
                    fire(s, p, o, rows)
            if not found:
                continue
            for triple in found:  # self._insert, written out: this is the innermost loop
                s, p, o = triple
                index = out.get(p)
                if index is None:
                    index = out[p] = {}
                    inn[p] = {}
                have = index.get(s)
                if have is None:
                    index[s] = o
                elif type(have) is int:
                    if have == o:
                        continue
                    index[s] = {have, o}
                elif o in have:  # type: ignore[operator]
                    continue
                else:
                    have.add(o)  # type: ignore[union-attr]
                back = inn[p]
                have = back.get(o)
                if have is None:
                    back[o] = s
                elif type(have) is int:
                    back[o] = {have, s}
                else:
                    have.add(s)  # type: ignore[union-attr]
                inferred.append(triple)
                queue.append(triple)
            found.clear()
            if 0 <= due <= len(inferred):
                found_so_far(inferred)  # type: ignore[misc]
                self.handed += len(inferred)
                inferred.clear()
        return self.inferred_count - before


# -- a whole closure from files ----------------------------------------------------------------------

_SCHEMA_PREDICATES = frozenset(text(NODES[p]) for p in SCHEMA_PREDICATES)
_SCHEMA_TYPES = frozenset(text(NODES[c]) for c in SCHEMA_TYPES)
_TYPE_TEXT = text(NODES[TYPE])


def is_schema_line(line: bytes) -> bool:
    """Whether an N-Triples line is one :data:`.schema.SCHEMA_QUERY` reads (the rules are compiled from it)."""
    _, p, o = split_line(line)
    return p in _SCHEMA_PREDICATES or (p == _TYPE_TEXT and o in _SCHEMA_TYPES)


def prepared(lines: Iterable[bytes], closure: Closure | None = None) -> tuple[Closure, CompiledSchema]:
    """Asserted N-Triples lines in a closure (a new one by default), with the rules compiled from the schema
    they hold (not run yet)."""
    closure = closure if closure is not None else Closure()
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
    return closure, schema
