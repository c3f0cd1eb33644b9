"""Skolem IRIs back into blank nodes, on every way out of a remote engine.

Over a remote engine genai-kg writes a blank node ``_:v`` as the IRI ``<…/.well-known/genid/v>`` (RDF 1.1
Concepts, 3.5: a blank node cannot be named in a later request). A client that wrote blank nodes must read
blank nodes, so every answer that leaves the service turns such an IRI back into ``_:v``:

- the *label* is the IRI's last part when that is a plain blank node label (``<…/genid/b1>`` is ``_:b1``:
  genai-kg skolemises ``_:b1`` as that IRI, so a body read back and written again names the same nodes, as
  on the embedded store), else ``h`` and a digest of it. The engine's own blank nodes (a ``CONSTRUCT``
  template's ``[]``, say) get a prefix drawn at random for each answer. The same IRI is the same blank node
  in one answer (and in the next), and labels of different kinds do not collide.
- answers are rewritten while they stream, a block of whole lines or whole bindings at a time: N-Triples,
  N-Quads and TSV term by term (a literal is skipped whole, so text inside it is never touched), SPARQL
  JSON and XML by their term objects, CSV made from TSV (CSV cannot tell an IRI from a literal).

>>> rewriter = for_media_type("application/n-triples")
>>> rewriter.feed(b'<https://w3id.org/genai-kg/.well-known/genid/ab12> <http://p> "_:x <x>" .\\n_:e1 <http')
b'_:ab12 <http://p> "_:x <x>" .\\n'
>>> rewriter.feed(b'://p> <https://w3id.org/genai-kg/.well-known/genid/ab12> .\\n').endswith(b"e1 <http://p> _:ab12 .\\n")
True
>>> blank(NamedNode(GENID + "b1")), blank(NamedNode("http://x/")), label("a/b")[:9]
(<BlankNode value=b1>, <NamedNode value=http://x/>, 'hc14cddc0')
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Callable, Iterator

from pyoxigraph import BlankNode, NamedNode, Quad, QueryResultsFormat, RdfFormat, Triple

from .namespaces import GENID

_PLAIN = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_GENID = re.escape(GENID.encode())
#: Large enough for any block of whole lines; a longer line (a huge literal) is sent as it is, unrewritten.
MAX_CARRY = 16 * 1024 * 1024


def label(suffix: str) -> str:
    """The blank node label of ``<GENID + suffix>``."""
    if _PLAIN.match(suffix):
        return suffix
    return "h" + hashlib.sha256(suffix.encode()).hexdigest()[:32]


def blank(term: object) -> object:
    """A Skolem IRI genai-kg minted as its blank node; any other term unchanged."""
    if isinstance(term, NamedNode) and term.value.startswith(GENID):
        return BlankNode(label(term.value[len(GENID) :]))
    return term


def blank_triple(triple: Triple) -> Triple:
    return Triple(blank(triple.subject), triple.predicate, blank(triple.object))  # type: ignore[arg-type]


def blank_quad(quad: Quad) -> Quad:
    return Quad(blank(quad.subject), quad.predicate, blank(quad.object), blank(quad.graph_name))  # type: ignore[arg-type]


def skolemize(term: object) -> object:
    """A blank node as its Skolem IRI (how genai-kg writes it to a remote engine); any other term unchanged."""
    return NamedNode(GENID + term.value) if isinstance(term, BlankNode) else term


def skolemize_quad(quad: Quad) -> Quad:
    return Quad(skolemize(quad.subject), quad.predicate, skolemize(quad.object), skolemize(quad.graph_name))  # type: ignore[arg-type]


# -- streaming rewrites ------------------------------------------------------------------------------------


#: N-Triples / N-Quads / TSV terms: a literal or an IRI is taken whole (text inside is never rewritten);
#: a Skolem IRI and a blank node are rewritten.
_TERMS = re.compile(rb'"(?:[^"\\\n]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>\n]*>)?|<([^>\s]*)>|_:(\S+)')
_GENID_BYTES = GENID.encode()


def rewrite_lines(block: bytes, engine: bytes = b"z") -> bytes:
    """Whole lines of N-Triples, N-Quads or TSV with Skolem IRIs as blank nodes, and the engine's own blank
    nodes with ``engine`` in front of their labels."""
    if b"_:" not in block and b"/.well-known/genid/" not in block:
        return block

    def term(match: re.Match[bytes]) -> bytes:
        iri, bnode = match.group(1), match.group(2)
        if iri is not None and iri.startswith(_GENID_BYTES):
            return b"_:" + label(iri[len(_GENID_BYTES) :].decode("utf-8", "replace")).encode()
        if bnode is not None:
            return b"_:" + engine + bnode
        return match.group(0)

    return _TERMS.sub(term, block)


_JSON_IRI = re.compile(
    rb'\{\s*"type"\s*:\s*"uri"\s*,\s*"value"\s*:\s*"' + _GENID + rb'([^"]*)"\s*\}'
    rb'|\{\s*"value"\s*:\s*"' + _GENID + rb'([^"]*)"\s*,\s*"type"\s*:\s*"uri"\s*\}'
)
_JSON_BNODE = re.compile(
    rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")|("value"\s*:\s*")(?=[^"]*"\s*,\s*"type"\s*:\s*"bnode")'
)


def _json_iri(match: re.Match[bytes]) -> bytes:
    suffix = (match.group(1) if match.group(1) is not None else match.group(2)).decode("utf-8", "replace")
    return b'{"type":"bnode","value":"' + label(suffix).encode() + b'"}'


def rewrite_json(block: bytes, engine: bytes = b"z") -> bytes:
    """Whole term objects of SPARQL JSON results (inside a JSON string quotes are escaped: no false match)."""
    if b"bnode" not in block and b"/.well-known/genid/" not in block:
        return block
    block = _JSON_BNODE.sub(lambda m: m.group(0) + engine, block)
    return _JSON_IRI.sub(_json_iri, block)


_XML_TERMS = re.compile(rb"<uri>" + _GENID + rb"([^<]*)</uri>|<bnode>([^<]*)</bnode>")


def rewrite_xml(block: bytes, engine: bytes = b"z") -> bytes:
    """Whole bindings of SPARQL XML results (text inside a literal has its ``<`` escaped: no false match)."""
    if b"<bnode>" not in block and b"/.well-known/genid/" not in block:
        return block

    def term(match: re.Match[bytes]) -> bytes:
        if match.group(1) is not None:
            return b"<bnode>" + label(match.group(1).decode("utf-8", "replace")).encode() + b"</bnode>"
        return b"<bnode>" + engine + match.group(2) + b"</bnode>"

    return _XML_TERMS.sub(term, block)


_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        return chr(int(code, 16)) if code else _SIMPLE.get(match.group(3), match.group(3))

    return _ESCAPE.sub(one, text)


def _csv_value(cell: str) -> str:
    if cell.startswith("<") and cell.endswith(">"):
        return _unescape(cell[1:-1])
    if cell.startswith('"'):
        return _unescape(cell[1 : cell.rindex('"')])
    return cell  # a blank node (already relabelled), a number or a boolean, written bare


def tsv_to_csv(block: bytes, header: bool) -> bytes:
    """Whole lines of (rewritten) TSV results as CSV results (SPARQL 1.1 CSV: IRIs and literals bare)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    lines = block.decode("utf-8").split("\n")
    if lines[-1] == "":
        lines.pop()  # the block ends with its last line's newline
    for index, line in enumerate(lines):
        cells = line.rstrip("\r").split("\t")
        if header and index == 0:
            writer.writerow([cell.lstrip("?$") for cell in cells])
        else:
            writer.writerow([_csv_value(cell) if cell else "" for cell in cells])
    return out.getvalue().encode("utf-8")


class Rewriter:
    """A streaming rewrite: ``feed`` chunks, get back what can be written so far; ``close`` gives the rest."""

    def __init__(self, rewrite: Callable[[bytes, bytes], bytes], boundary: bytes) -> None:
        self._engine = b"e" + secrets.token_hex(4).encode() + b"x"  # the engine's blank nodes, this answer
        self._rewrite = lambda block: rewrite(block, self._engine)
        self._boundary = boundary
        self._rest = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self._rest + chunk
        cut = data.rfind(self._boundary)
        if cut < 0:
            if len(data) > MAX_CARRY:
                self._rest = b""
                return data
            self._rest = data
            return b""
        cut += len(self._boundary)
        self._rest = data[cut:]
        return self._rewrite(data[:cut])

    def close(self) -> bytes:
        rest, self._rest = self._rest, b""
        return self._rewrite(rest) if rest else b""

    def stream(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """The rewritten chunks, each as soon as a whole block has arrived."""
        for chunk in chunks:
            out = self.feed(chunk)
            if out:
                yield out
        last = self.close()
        if last:
            yield last


class _CsvFromTsv(Rewriter):
    def __init__(self) -> None:
        self._first = True
        super().__init__(self._convert, b"\n")

    def _convert(self, block: bytes, engine: bytes) -> bytes:
        header, self._first = self._first, False
        return tsv_to_csv(rewrite_lines(block, engine), header)


def bare(media_type: str) -> str:
    """A media type without its parameters (pyoxigraph's TSV and CSV types carry a charset)."""
    return media_type.split(";")[0].strip().lower()


def for_media_type(media_type: str) -> Rewriter:
    """The rewrite of an answer in ``media_type`` (as the engine sends it); CSV is made from TSV."""
    media_type = bare(media_type)
    if media_type in (
        RdfFormat.N_TRIPLES.media_type,
        RdfFormat.N_QUADS.media_type,
        bare(QueryResultsFormat.TSV.media_type),
    ):
        return Rewriter(rewrite_lines, b"\n")
    if media_type == QueryResultsFormat.JSON.media_type:
        return Rewriter(rewrite_json, b"}")
    if media_type == QueryResultsFormat.XML.media_type:
        return Rewriter(rewrite_xml, b"</binding>")
    if media_type == bare(QueryResultsFormat.CSV.media_type):
        return _CsvFromTsv()
    raise ValueError(f"no streaming rewrite of {media_type}")


#: The formats an answer can be rewritten in while it streams (CSV is asked of the engine as TSV).
STREAMED = {
    RdfFormat.N_TRIPLES.media_type,
    RdfFormat.N_QUADS.media_type,
    QueryResultsFormat.JSON.media_type,
    QueryResultsFormat.XML.media_type,
    bare(QueryResultsFormat.TSV.media_type),
}
