"""Limits a client's text must keep before any parser sees it: how deeply it nests, how long one literal is.

pyoxigraph's parsers descend recursively into nested JSON-LD objects, SPARQL groups and expressions, and
RDF 1.2 triple terms, on the thread that calls them: too deep an input overflows that thread's stack and
kills the whole process (a segmentation fault, not an exception). Measured with pyoxigraph 0.5.13 on a
thread with a 2 MiB stack, the smallest depth that crashed was 600 nested SPARQL groups; JSON-LD objects and
nested ``OPTIONAL`` crashed from 800 to 1,000, nested triple terms from 5,000; an 8 MiB stack takes about
four times as much, a 512 KiB one a quarter. RDF/XML does not crash, but its time grows with the square of
its depth (20,000 levels: 3.4 s). A literal or IRI of more than 16 MiB stops the parsers with
``MemoryError``. So the text is checked first, in passes that never recurse, against :class:`InputLimits`:

- JSON-LD: objects and arrays, outside strings; the length of strings;
- RDF/XML: elements, text and attribute length (a streaming expat pass, which also refuses DTDs and entity
  declarations, and documents that are cut short — pyoxigraph accepts one whose closing tags are missing);
- Turtle, TriG, N-Triples, N-Quads, N3 and SPARQL: brackets, parentheses and braces, and the length of
  strings and IRIs, as the one SPARQL lexer (:mod:`graph.sparql_lexer`) sees them.

Too deep is :class:`~graph.errors.BadData` (400, :class:`~graph.errors.BadQuery` for SPARQL); a literal over
the limit is :class:`~graph.errors.TooLarge` (413). Most texts are decided by counting bytes, without a scan.

>>> limits = InputLimits(max_depth=3, max_literal_bytes=10)
>>> check_sparql("SELECT * { { ?s ?p ?o } }", limits)
>>> check_sparql("SELECT * { { { { ?s ?p ?o } } } }", limits)
Traceback (most recent call last):
graph.errors.BadQuery: the query nests 4 levels deep (groups, parentheses, brackets); this service accepts at most 3
>>> check_rdf(b'{"@id": "urn:a", "urn:p": [{"urn:p": [{"@value": "]]]]"}]}]}', RdfFormat.JSON_LD, limits)
Traceback (most recent call last):
graph.errors.BadData: request body: JSON-LD objects and arrays nest 5 levels deep; this service accepts at most 3
>>> check_rdf(b'<urn:a> <urn:p> "more than ten bytes" .', RdfFormat.N_TRIPLES, limits)
Traceback (most recent call last):
graph.errors.TooLarge: request body: a literal or IRI written in 21 characters; this service accepts at most 10 bytes
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from xml.parsers import expat

from pyoxigraph import RdfFormat

from .errors import BadData, BadQuery, TooLarge
from .sparql_lexer import longest_literal, max_depth

__all__ = ["InputLimits", "check_rdf", "check_rdf_file", "check_sparql"]

#: How much of a file is read at a time when it is checked as a stream.
CHUNK_BYTES = 1 << 20

#: JSON passed over inside the regular expression engine (runs without brackets or quotes, strings whole),
#: up to the next bracket or the end: one match per bracket.
_JSON_BRACKET = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+"?)*+([\[\]{}]|\Z)')
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?')
_STEP = {b"{": 1, b"[": 1, b"}": -1, b"]": -1, b"": 0}
_JSON_LD = (RdfFormat.JSON_LD, RdfFormat.STREAMING_JSON_LD)
_TURTLE_FAMILY = (RdfFormat.TURTLE, RdfFormat.TRIG, RdfFormat.N_TRIPLES, RdfFormat.N_QUADS, RdfFormat.N3)
_TRIPLE_QUOTES = (b'"' * 3, b"'" * 3)


@dataclass(frozen=True)
class InputLimits:
    """How deeply a body, query or update may nest, and how many bytes one literal (or IRI) may take."""

    max_depth: int = 100
    max_literal_bytes: int = 1 << 20


def check_sparql(text: str, limits: InputLimits, *, what: str = "query") -> None:
    """Refuse (:class:`BadQuery`) a query or update that nests deeper than ``limits.max_depth``."""
    if sum(text.count(c) for c in "{([") <= limits.max_depth:
        return
    depth = max_depth(text)
    if depth > limits.max_depth:
        raise BadQuery(
            f"the {what} nests {depth} levels deep (groups, parentheses, brackets); "
            f"this service accepts at most {limits.max_depth}"
        )


def check_rdf(data: bytes, format: RdfFormat, limits: InputLimits, *, name: str = "request body") -> None:
    """Refuse RDF text that nests too deep (:class:`BadData`) or holds too long a literal (:class:`TooLarge`);
    RDF/XML is refused too when it declares a DTD or entities, or is cut short."""
    if format == RdfFormat.RDF_XML:
        _check_xml([data], limits, name)
    elif format in _JSON_LD:
        _check_json([data], _Counts.of([data]), limits, name)
    elif format in _TURTLE_FAMILY:
        _check_turtle(lambda: data, _Counts.of([data]), limits, name)


def check_rdf_file(path: Path, format: RdfFormat, limits: InputLimits) -> None:
    """:func:`check_rdf` for a file, read as a stream; a file of the Turtle family is read whole only when
    counting its bytes cannot decide (it is lexed then)."""
    if format == RdfFormat.RDF_XML:
        _check_xml(_chunks(path), limits, path.name)
    elif format in _JSON_LD:
        _check_json(_lines(_chunks(path)), _Counts.of(_chunks(path)), limits, path.name)
    elif format in _TURTLE_FAMILY:
        _check_turtle(path.read_bytes, _Counts.of(_chunks(path)), limits, path.name)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, cut after their last line break: no JSON string (which holds none) is cut in two."""
    carry = b""
    for chunk in chunks:
        head, newline, tail = chunk.rpartition(b"\n")
        if newline:
            yield carry + head + newline
            carry = tail
        else:
            carry += chunk
    if carry:
        yield carry


@dataclass
class _Counts:
    """What counting bytes tells: no text nests deeper than the levels it opens in all, and no literal that
    cannot span lines (a short string, a JSON string, an IRI) is longer than the longest line."""

    size: int = 0
    levels: int = 0  # {, ( and [: what opens a level in JSON, the Turtle family and SPARQL
    longest_line: int = 0
    triple_quotes: bool = False  # Turtle's long strings, which may span lines

    @classmethod
    def of(cls, chunks: Iterable[bytes]) -> _Counts:
        counts, line, previous = cls(), 0, b""
        for chunk in chunks:
            counts.size += len(chunk)
            counts.levels += chunk.count(b"{") + chunk.count(b"(") + chunk.count(b"[")
            lines = chunk.split(b"\n")
            if len(lines) == 1:
                line += len(chunk)
            else:
                counts.longest_line = max(counts.longest_line, line + len(lines[0]), *map(len, lines[1:-1]))
                line = len(lines[-1])
            joined = previous[-2:] + chunk  # a triple quote across two chunks
            counts.triple_quotes = counts.triple_quotes or any(quotes in joined for quotes in _TRIPLE_QUOTES)
            previous = chunk
        counts.longest_line = max(counts.longest_line, line)
        return counts

    def deep(self, limits: InputLimits) -> bool:
        """False when the text certainly nests no deeper than the limit."""
        return self.levels > limits.max_depth

    def long_line(self, limits: InputLimits) -> bool:
        """False when the text certainly holds no string or IRI (that stays on one line) over the limit."""
        return self.longest_line > limits.max_literal_bytes

    def long(self, limits: InputLimits) -> bool:
        """False when the text certainly holds no literal over the limit (Turtle's may span lines)."""
        return self.long_line(limits) or (self.triple_quotes and self.size > limits.max_literal_bytes)


def _too_large(name: str, size: int, limits: InputLimits, unit: str = "bytes") -> TooLarge:
    return TooLarge(
        f"{name}: a literal or IRI written in {size} {unit}; this service accepts at most "
        f"{limits.max_literal_bytes} bytes"
    )


def _too_deep(name: str, what: str, depth: int, limits: InputLimits, **position: int) -> BadData:
    return BadData(
        f"{name}: {what} nest {depth} levels deep; this service accepts at most {limits.max_depth}", **position
    )


def _check_json(pieces: Iterable[bytes], counts: _Counts, limits: InputLimits, name: str) -> None:
    """Depth of objects and arrays outside strings, and the length of strings, over JSON cut between strings."""
    if not (counts.deep(limits) or counts.long_line(limits)):
        return
    depth = 0
    for piece in pieces:
        if counts.long_line(limits):
            longest = max(map(len, _JSON_STRING.findall(piece)), default=0)
            if longest > limits.max_literal_bytes:
                raise _too_large(name, longest, limits)
        steps = map(_STEP.__getitem__, _JSON_BRACKET.findall(piece))
        levels = list(accumulate(steps, lambda level, step: max(level + step, 0), initial=depth))
        if max(levels) > limits.max_depth:
            raise _too_deep(name, "JSON-LD objects and arrays", max(levels), limits)
        depth = levels[-1]


def _check_turtle(read: Callable[[], bytes], counts: _Counts, limits: InputLimits, name: str) -> None:
    """Depth, and the length of strings and IRIs, of Turtle-like text as the SPARQL lexer reads it."""
    deep, long = counts.deep(limits), counts.long(limits)
    if not (deep or long):
        return
    data = read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadData(f"{name}: not valid UTF-8 (byte {error.start})") from error
    if long and (longest := longest_literal(text)) > limits.max_literal_bytes:
        raise _too_large(name, longest, limits, "characters")
    if deep and (depth := max_depth(text)) > limits.max_depth:
        raise _too_deep(name, "brackets, parentheses and braces", depth, limits)


class _XmlRefused(Exception):
    """Raised from an expat handler to stop the pass; carries the error to raise."""


def _check_xml(chunks: Iterable[bytes], limits: InputLimits, name: str) -> None:
    """Element depth, text and attribute length, no DTD or entity, and a complete document (expat, streaming)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth, text = 0, 0

    def start(_tag: str, attributes: dict[str, str]) -> None:
        nonlocal depth, text
        depth, text = depth + 1, 0
        if depth > limits.max_depth:
            line, column = parser.CurrentLineNumber, parser.CurrentColumnNumber
            raise _XmlRefused(_too_deep(name, "RDF/XML elements", depth, limits, line=line, column=column))
        for value in attributes.values():
            if len(value) > limits.max_literal_bytes:
                raise _XmlRefused(_too_large(name, len(value.encode()), limits))

    def end(_tag: str) -> None:
        nonlocal depth, text
        depth, text = depth - 1, 0

    def characters(data: str) -> None:
        nonlocal text
        text += len(data.encode())
        if text > limits.max_literal_bytes:
            raise _XmlRefused(_too_large(name, text, limits))

    def declaration(*_: object) -> None:
        raise _XmlRefused(BadData(f"{name}: DTDs and entity declarations (<!DOCTYPE …>) are not accepted"))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = declaration
    parser.EntityDeclHandler = declaration
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _XmlRefused as refused:
        raise refused.args[0] from None
    except expat.ExpatError as error:
        raise BadData(
            f"{name}: not a complete XML document ({expat.ErrorString(error.code)})",
            line=error.lineno,
            column=error.offset,
        ) from None
