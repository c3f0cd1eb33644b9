"""Reading an update request: its operations, split with the one SPARQL lexer and judged by pyoxigraph.

Nothing here evaluates, fetches or calls anything. Data blocks and templates are read by pyoxigraph's own
``INSERT DATA`` parser on an empty in-memory store, ``WHERE`` groups by its query parser (whose solutions
are lazy: parsing evaluates nothing), and the IRIs the operations name by a ``VALUES`` query; each of them
gets a text made of our fixed parts and spans of the request, so that its errors point back into the request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from pyoxigraph import DefaultGraph, NamedNode, Quad, Store

from ..errors import BadQuery, ReadOnly
from ..namespaces import PREFIXES, is_reasoners
from ..outbound import NOWHERE, OutboundPolicy
from ..sparql_lexer import Token, called_endpoints, group_end, tokens
from .operations import (
    DataOperation,
    GraphManagement,
    Load,
    Modify,
    Operation,
    Target,
    Template,
    Transfer,
    has_blank_node,
)
from .request import Update


def parse_update(
    text: str,
    *,
    base_iri: str | None = None,
    using: Iterable[str] = (),
    using_named: Iterable[str] = (),
    prefixes: dict[str, str] = PREFIXES,
    outbound: OutboundPolicy = NOWHERE,
) -> Update:
    """The operations of an update request; :class:`BadQuery` (pyoxigraph's message) when it does not parse.

    A ``SERVICE`` in a ``WHERE`` group that ``outbound`` does not allow is refused before pyoxigraph sees the
    group: its parser may begin evaluating a group (an ``OPTIONAL``'s, say) and so call the endpoint.

    ``using``/``using_named`` are the protocol's ``using-graph-uri``/``using-named-graph-uri``: they act as
    ``USING``/``USING NAMED`` of every operation with a ``WHERE``, and are refused with an update that names its
    own dataset. An operation that names a graph the reasoner owns as its target is :class:`ReadOnly`.
    Nothing is evaluated, fetched or called: syntax is judged on an empty in-memory store.
    """
    try:
        dataset = (tuple(NamedNode(g) for g in using), tuple(NamedNode(g) for g in using_named))
    except ValueError as error:
        raise BadQuery(f"a using-graph-uri is not an IRI: {error}") from error
    return _Parser(text, base_iri, prefixes, dataset, outbound).parse()


def _operation_start(token: Token) -> bool:
    return token.is_keyword("INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")


class _Parser:
    """Reads a request's tokens operation by operation; pyoxigraph judges each piece it hands over."""

    def __init__(
        self,
        text: str,
        base_iri: str | None,
        prefixes: dict[str, str],
        dataset: tuple[tuple[NamedNode, ...], tuple[NamedNode, ...]],
        outbound: OutboundPolicy,
    ) -> None:
        self.text = text
        self.outbound = outbound
        self.base_iri = base_iri
        self.head = " ".join(f"PREFIX {name}: {NamedNode(iri)}" for name, iri in prefixes.items()) + " "
        self.using, self.using_named = dataset
        self.tokens = _skeleton_tokens(text)
        self.index = 0
        #: Spans of the PREFIX and BASE declarations read so far (they hold for every later operation).
        self.declarations: list[tuple[int, int]] = []
        self.judge = Store()  # empty, in memory: parses, and evaluates only what it is asked to
        self.marker = f"urn:x-genai-kg-variable:{uuid.uuid4().hex}:"
        self.inserted_blocks: list[tuple[int, int]] = []

    # -- tokens

    def peek(self, ahead: int = 0) -> Token | None:
        position = self.index + ahead
        return self.tokens[position] if position < len(self.tokens) else None

    def next(self, expected: str) -> Token:
        token = self.peek()
        if token is None:
            raise self.error(f"expected {expected}, found the end of the update", None)
        self.index += 1
        return token

    def keyword(self, *words: str) -> Token | None:
        token = self.peek()
        if token is not None and token.is_keyword(*words):
            self.index += 1
            return token
        return None

    def expect(self, *words: str) -> Token:
        token = self.next(" or ".join(words))
        if not token.is_keyword(*words):
            raise self.error(f"expected {' or '.join(words)}, found {token.text!r}", token)
        return token

    def iri(self) -> Token:
        token = self.next("an IRI")
        if token.kind not in ("iri", "pname"):
            raise self.error(f"expected an IRI, found {token.text!r}", token)
        return token

    def group(self) -> tuple[int, int]:
        """The indexes of the ``{`` that comes next and of the ``}`` that closes it."""
        opening = self.next("{")
        if opening.kind != "open":
            raise self.error(f"expected {{, found {opening.text!r}", opening)
        first = self.index - 1
        for position in range(self.index, len(self.tokens)):
            token = self.tokens[position]
            if token.kind == "close" and token.depth == opening.depth:
                self.index = position + 1
                return first, position
        raise self.error("this group is not closed", opening)

    def error(self, message: str, token: Token | None) -> BadQuery:
        offset = token.start if token is not None else len(self.text)
        return BadQuery(f"error at {_position(self.text, offset)}: {message}")

    # -- the grammar

    def parse(self) -> Update:
        operations: list[Operation] = []
        while True:
            self.prologue()
            if self.peek() is None:
                break
            operations.append(self.operation())
            if self.peek() is None:
                break
            separator = self.next("';'")
            if separator.text != ";":
                raise self.error(f"expected ';' between operations, found {separator.text!r}", separator)
        self.check_shared_blank_nodes()
        return Update(tuple(operations))

    def prologue(self) -> None:
        while (token := self.keyword("BASE", "PREFIX")) is not None:
            if token.is_keyword("PREFIX"):
                name = self.next("a prefix")
                if name.kind != "pname" or not name.text.endswith(":"):
                    raise self.error(f"expected a prefix such as ex:, found {name.text!r}", name)
            iri = self.next("an IRI")
            if iri.kind != "iri":
                raise self.error(f"expected an IRI in <>, found {iri.text!r}", iri)
            self.declarations.append((token.start, iri.end))

    def operation(self) -> Operation:
        first = self.peek()
        assert first is not None
        if not _operation_start(first):
            raise self.error(
                f"expected an update operation (INSERT, DELETE, WITH, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, "
                f"COPY), found {first.text!r}",
                first,
            )
        word = first.text.upper()
        following = self.peek(1)
        if word in ("INSERT", "DELETE") and following is not None and following.is_keyword("DATA"):
            return self.data(f"{word} DATA")
        if word == "DELETE" and following is not None and following.is_keyword("WHERE"):
            return self.delete_where()
        if word in ("INSERT", "DELETE", "WITH"):
            return self.modify()
        self.index += 1
        silent = self.keyword("SILENT") is not None
        if word == "LOAD":
            return self.load(silent)
        if word in ("CLEAR", "DROP", "CREATE"):
            return self.management(word, silent)
        return self.transfer(word, silent)

    def data(self, kind: str) -> DataOperation:
        self.index += 2
        first, last = self.group()
        block = (self.tokens[first].start, self.tokens[last].end)
        if kind == "INSERT DATA":
            self.inserted_blocks.append(block)
        quads, graphs = self.quad_data(kind, block)
        if kind == "DELETE DATA" and any(has_blank_node(q) for q in quads):
            raise self.error("blank nodes are not allowed in DELETE DATA", self.tokens[first])
        self.check_targets(graphs)
        return DataOperation(kind=kind, quads=tuple(quads), graphs=graphs)

    def delete_where(self) -> Modify:
        start = self.tokens[self.index]
        self.index += 2
        first, last = self.group()
        pattern = self.template(first, last)
        if any(has_blank_node(q) for q in pattern.quads):
            raise self.error("blank nodes are not allowed in DELETE WHERE", start)
        self.check_targets(q.graph_name for q in pattern.quads if pattern.variable(q.graph_name) is None)
        return self.modify_operation("DELETE WHERE", first, last, delete=pattern, insert=None, with_graph=None)

    def modify(self) -> Modify:
        start = self.peek()
        with_token = self.iri() if self.keyword("WITH") else None
        delete = insert = None
        if self.keyword("DELETE"):
            delete = self.template(*self.group())
            if any(has_blank_node(q) for q in delete.quads):
                raise self.error("blank nodes are not allowed in a DELETE template", start)
        if self.keyword("INSERT"):
            insert = self.template(*self.group())
        if delete is None and insert is None:
            raise self.error("expected DELETE or INSERT", self.peek())
        using_tokens: list[tuple[bool, Token]] = []
        while self.keyword("USING"):
            named = self.keyword("NAMED") is not None
            using_tokens.append((named, self.iri()))
        self.expect("WHERE")
        first, last = self.group()
        names = self.resolve(([with_token] if with_token is not None else []) + [t for _, t in using_tokens])
        with_graph = names.pop(0) if with_token is not None else None
        if with_graph is not None:  # the templates' default graph is the WITH graph
            delete, insert = (_into(t, with_graph) for t in (delete, insert))
        own_using = tuple(g for (named, _), g in zip(using_tokens, names, strict=True) if not named)
        own_named = tuple(g for (named, _), g in zip(using_tokens, names, strict=True) if named)
        if (with_token is not None or using_tokens) and (self.using or self.using_named):
            raise self.error(
                "the update names its own dataset (USING or WITH) and the request adds using-graph-uri or "
                "using-named-graph-uri; send one or the other",
                start,
            )
        for template in (delete, insert):
            if template is not None:
                self.check_targets(q.graph_name for q in template.quads if template.variable(q.graph_name) is None)
        return self.modify_operation(
            "MODIFY",
            first,
            last,
            delete=delete,
            insert=insert,
            with_graph=with_graph,
            using=(own_using, own_named) if using_tokens else None,
        )

    def modify_operation(
        self,
        kind: str,
        first: int,
        last: int,
        *,
        delete: Template | None,
        insert: Template | None,
        with_graph: NamedNode | None,
        using: tuple[tuple[NamedNode, ...], tuple[NamedNode, ...]] | None = None,
    ) -> Modify:
        if using is None and (self.using or self.using_named):
            using = (self.using, self.using_named)
        source = _Source(self.text)
        source.add(self.head)
        self.add_declarations(source)
        source.add("SELECT * WHERE ")
        source.add_span(self.tokens[first].start, self.tokens[last].end)
        where = source.text()
        self.outbound.check_sparql(where, {})  # the group carries its prefixes; BASE-relative ones are refused
        try:
            self.judge.query(where, base_iri=self.base_iri)  # parsed; evaluation is lazy (but see parse_update)
        except SyntaxError as error:
            raise source.error(error) from None
        return Modify(
            kind=kind,
            where=where,
            base_iri=self.base_iri,
            delete=delete,
            insert=insert,
            with_graph=with_graph,
            using=using[0] if using is not None else None,
            using_named=using[1] if using is not None else (),
            reads_named=any(t.is_keyword("GRAPH") for t in self.tokens[first:last]),
            services=tuple(called_endpoints(where, {})),
        )

    def load(self, silent: bool) -> Load:
        source = self.iri()
        target = None
        if self.keyword("INTO"):
            self.expect("GRAPH")
            target = self.iri()
        names = self.resolve([source] + ([target] if target is not None else []))
        graph: Target = names[1] if target is not None else DefaultGraph()
        self.check_targets([graph])
        return Load(kind="LOAD", silent=silent, source=names[0].value, target=graph)

    def management(self, kind: str, silent: bool) -> GraphManagement:
        if kind == "CREATE":
            self.expect("GRAPH")
            scope = "GRAPH"
        else:
            scope = self.expect("GRAPH", "DEFAULT", "NAMED", "ALL").text.upper()
        graph = self.resolve([self.iri()])[0] if scope == "GRAPH" else None
        if graph is not None:
            self.check_targets([graph])
        return GraphManagement(kind=kind, silent=silent, scope=scope, graph=graph)

    def transfer(self, kind: str, silent: bool) -> Transfer:
        source = self.graph_or_default()
        self.expect("TO")
        target = self.graph_or_default()
        self.check_targets([target] + ([source] if kind == "MOVE" else []))
        return Transfer(kind=kind, silent=silent, source=source, target=target)

    def graph_or_default(self) -> Target:
        if self.keyword("DEFAULT"):
            return DefaultGraph()
        self.keyword("GRAPH")
        return self.resolve([self.iri()])[0]

    # -- what pyoxigraph judges

    def add_declarations(self, source: _Source) -> None:
        for start, end in self.declarations:
            source.add_span(start, end)
            source.add("\n")

    def resolve(self, names: list[Token]) -> list[NamedNode]:
        """The IRIs that IRI and prefixed-name tokens stand for, resolved by pyoxigraph as the parser would."""
        if not names:
            return []
        source = _Source(self.text)
        source.add(self.head)
        self.add_declarations(source)
        source.add("SELECT * { VALUES (" + " ".join(f"?t{i}" for i in range(len(names))) + ") { (")
        for token in names:
            source.add_span(token.start, token.end)
            source.add(" ")
        source.add(") } }")
        try:
            solution = next(iter(self.judge.query(source.text(), base_iri=self.base_iri)))  # type: ignore[arg-type]
        except SyntaxError as error:
            raise source.error(error) from None
        return [solution[f"t{i}"] for i in range(len(names))]

    def quad_data(
        self, kind: str, block: tuple[int, int], variables: dict[int, str] | None = None
    ) -> tuple[list[Quad], tuple[Target, ...]]:
        """The quads of a data block (or of a template, its variables written as IRIs), as pyoxigraph reads them,
        and the graphs that hold them.

        The block is inserted into the empty judging store: pyoxigraph's own ``INSERT DATA`` parser decides what
        is valid, and blank nodes come out fresh.
        """
        source = _Source(self.text)
        source.add(self.head)
        self.add_declarations(source)
        source.add("INSERT DATA ")
        cursor = block[0]
        for start, name in sorted((variables or {}).items()):
            source.add_span(cursor, start)
            source.add(str(NamedNode(self.marker + name)))
            cursor = start + len(name) + 1
        source.add_span(cursor, block[1])
        try:
            self.judge.update(source.text(), base_iri=self.base_iri)
        except SyntaxError as error:
            raise source.error(error, kind) from None
        quads = list(self.judge)
        graphs: list[Target] = [g for g in self.judge.named_graphs() if isinstance(g, NamedNode)]
        if next(self.judge.quads_for_pattern(None, None, None, DefaultGraph()), None) is not None:
            graphs.append(DefaultGraph())
        self.judge.clear()
        return quads, tuple(graphs)

    def template(self, first: int, last: int) -> Template:
        variables = {t.start: t.text[1:] for t in self.tokens[first:last] if t.kind == "var"}
        block = (self.tokens[first].start, self.tokens[last].end)
        return Template(tuple(self.quad_data("a template", block, variables)[0]), self.marker)

    def check_targets(self, graphs: Iterable[object]) -> None:
        for graph in graphs:
            if is_reasoners(graph):
                raise ReadOnly.reasoners(graph)

    def check_shared_blank_nodes(self) -> None:
        """Refuse a blank node label shared by two ``INSERT DATA`` blocks, as pyoxigraph does within one request."""
        if len(self.inserted_blocks) < 2:
            return
        source = _Source(self.text)
        source.add(self.head)
        self.add_declarations(source)  # all first: Oxigraph reads no prologue between operations
        for start, end in self.inserted_blocks:
            source.add("INSERT DATA ")
            source.add_span(start, end)
            source.add(" ;\n")
        try:
            self.judge.update(source.text(), base_iri=self.base_iri)
        except SyntaxError as error:
            raise source.error(error) from None
        finally:
            self.judge.clear()


def _skeleton_tokens(text: str) -> list[Token]:
    """The request's tokens, without the inside of its ``INSERT DATA``/``DELETE DATA`` blocks.

    A data block may hold millions of tokens that only pyoxigraph needs to read; the lexer's
    :func:`~graph.sparql_lexer.group_end` finds where it closes, and reading resumes there.
    """
    found: list[Token] = []
    start = 0
    while True:
        for token in tokens(text, start):
            found.append(token)
            if (
                token.kind == "open"
                and token.depth == 0
                and len(found) >= 3
                and found[-2].is_keyword("DATA")
                and found[-3].is_keyword("INSERT", "DELETE")
            ):
                end = group_end(text, token.start)
                if end is None:
                    raise BadQuery(f"error at {_position(text, token.start)}: this data block is not closed")
                found.append(Token("close", "}", end - 1, end, 0))
                start = end
                break
        else:
            return found


def _into(template: Template | None, graph: NamedNode) -> Template | None:
    """The template with its default-graph quads put into ``graph`` (what ``WITH`` does)."""
    if template is None:
        return None
    quads = tuple(
        Quad(q.subject, q.predicate, q.object, graph) if isinstance(q.graph_name, DefaultGraph) else q
        for q in template.quads
    )
    return Template(quads, template.marker)


def _position(text: str, offset: int) -> str:
    """``line:column`` of an offset, 1-based, as pyoxigraph's messages give positions."""
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


_AT = re.compile(r"^error at (\d+):(\d+)")


class _Source:
    """Text for pyoxigraph put together from fixed parts and spans of the request.

    pyoxigraph's syntax errors point into this text; :meth:`error` points them back into the request.
    """

    def __init__(self, request: str) -> None:
        self.request = request
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, int]] = []  # (offset here, offset in the request, length)
        self.size = 0

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def add_span(self, start: int, end: int) -> None:
        self.spans.append((self.size, start, end - start))
        self.add(self.request[start:end])

    def text(self) -> str:
        return "".join(self.parts)

    def error(self, error: SyntaxError, kind: str | None = None) -> BadQuery:
        """pyoxigraph's message, its position moved into the request."""
        message = str(error)
        if kind is not None and kind != "INSERT DATA":  # the block was read as INSERT DATA; say what it is
            message = message.replace("INSERT DATA", kind)
        match = _AT.match(message)
        if match is None:
            return BadQuery(message)
        text = self.text()
        line, column = int(match.group(1)), int(match.group(2))
        offset = 0
        for _ in range(line - 1):
            offset = text.index("\n", offset) + 1
        offset += column - 1
        origin = len(self.request)
        for here, there, length in self.spans:
            if here <= offset:
                origin = there + min(offset - here, length)
        return BadQuery(f"error at {_position(self.request, origin)}{message[match.end() :]}")
