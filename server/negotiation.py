"""Content negotiation as pure functions: a path suffix beats ``Accept``, ``Accept`` beats the default.

Werkzeug parses ``Accept`` (q-values, wildcards, specificity); this module only decides between offers.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyoxigraph import RdfFormat
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

#: Media types for RDF graphs (CONSTRUCT/DESCRIBE results, Graph Store, Service Description), default first.
GRAPH_TYPES = [
    "text/turtle",
    "application/n-triples",
    "application/ld+json",
    "application/rdf+xml",
    "application/trig",
    "application/n-quads",
]

#: File suffixes users may put on a URL, and the media type each one asks for.
SUFFIXES: dict[str, str] = {
    "html": "text/html",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "json": "application/json",
    "srj": "application/sparql-results+json",
    "srx": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


def choose(accept: str | None, offers: Sequence[str], *, suffix: str | None = None) -> str | None:
    """The offer to send, or None when nothing fits (the caller answers 406).

    ``offers`` are in the server's order of preference; the first is the default.

    >>> choose(None, ["text/turtle", "application/ld+json"])
    'text/turtle'
    >>> choose("application/ld+json;q=0.9, text/turtle;q=0.5", ["text/turtle", "application/ld+json"])
    'application/ld+json'
    >>> choose("text/turtle", ["text/turtle", "text/html"], suffix="html")
    'text/html'
    >>> choose("image/png", ["text/turtle"]) is None
    True
    >>> choose("text/turtle; charset=utf-8", ["application/ld+json", "text/turtle"])
    'text/turtle'
    """
    if suffix is not None:
        wanted = SUFFIXES.get(suffix.lower())
        return wanted if wanted in offers else None
    if not accept or not accept.strip():
        return offers[0]
    parsed = parse_accept_header(accept, MIMEAccept)
    if not parsed:
        return offers[0]
    # parameters other than q (text/turtle; charset=utf-8) do not change which format fits
    plain = MIMEAccept([(value.split(";")[0].strip(), quality) for value, quality in parsed])
    return plain.best_match(offers)


def rdf_body_format(mimetype: str | None) -> RdfFormat | None:
    """The RDF format of a request body of type ``mimetype`` (without parameters): only the types in
    :data:`GRAPH_TYPES`, not every alias pyoxigraph knows (``text/plain`` is no N-Triples here).

    >>> rdf_body_format("application/n-triples"), rdf_body_format("text/plain")
    (<RdfFormat N-Triples>, None)
    """
    return RdfFormat.from_media_type(mimetype) if mimetype in GRAPH_TYPES else None


def prefers_html(accept: str | None) -> bool:
    """True when a browser is asking: HTML is acceptable and ranked at least as high as anything else.

    >>> prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> prefers_html("application/sparql-results+json") or prefers_html(None) or prefers_html("*/*")
    False
    """
    if not accept:
        return False
    parsed = parse_accept_header(accept, MIMEAccept)
    quality = parsed["text/html"] if "text/html" in parsed.values() else 0
    return bool(quality) and quality >= max((q for _, q in parsed), default=0)
