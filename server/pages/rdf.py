"""One resource, several documents: choosing the variant, serialising RDF and the linked-data headers.

The Cool URIs answer here is "200 with ``Content-Location``": ``/id/ChatGPT`` answers directly with the
variant ``Accept`` picks and names it (``Content-Location: /id/ChatGPT.ttl``), with ``Vary: Accept`` and a
``Link`` header to every alternate; a suffix (``/id/ChatGPT.ttl``) picks the variant itself. No 303 round trip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from flask import Response, abort, request
from markupsafe import Markup
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, serialize

from graph.namespaces import PREFIXES, compact

from ..negotiation import SUFFIXES, choose

#: The variants of every linked-data page, the default (for ``*/*`` or no ``Accept``) first.
OFFERS = ["text/turtle", "text/html", "application/ld+json", "application/rdf+xml", "application/n-triples"]
RDF_OFFERS = [o for o in OFFERS if o != "text/html"]
EXTENSIONS = {media: ext for ext, media in SUFFIXES.items() if media in OFFERS}

RDF_TYPE = PREFIXES["rdf"] + "type"
PLAIN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
XSD_STRING = PREFIXES["xsd"] + "string"

#: The JSON-LD context of every JSON-LD document we send, also published at ``/context.jsonld``.
CONTEXT: dict[str, Any] = {"@context": dict(PREFIXES)}


def split_suffix(name: str) -> tuple[str, str | None]:
    """``ChatGPT.ttl`` -> (``ChatGPT``, ``ttl``); a name whose dot is not a known variant stays whole.

    >>> split_suffix("GPT-4.5")
    ('GPT-4.5', None)
    >>> split_suffix("GPT-4.5.jsonld")
    ('GPT-4.5', 'jsonld')
    """
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and SUFFIXES.get(suffix.lower()) in OFFERS:
        return stem, suffix.lower()
    return name, None


def variant(suffix: str | None, offers: list[str] = OFFERS) -> str:
    """The media type to send, from the suffix or else ``Accept``; 406 when nothing offered fits."""
    chosen = choose(request.headers.get("Accept"), offers, suffix=suffix)
    if chosen is None:
        abort(406, f"this resource is available as {', '.join(offers)}")
    return chosen


def _jsonld_term(term: object) -> dict[str, str]:
    if isinstance(term, NamedNode):
        return {"@id": compact(term.value)}
    if isinstance(term, BlankNode):
        return {"@id": f"_:{term.value}"}
    assert isinstance(term, Literal)
    if term.language:
        return {"@value": term.value, "@language": term.language}
    if term.datatype.value == XSD_STRING:
        return {"@value": term.value}
    return {"@value": term.value, "@type": compact(term.datatype.value)}


def jsonld(triples: Iterable[Triple]) -> str:
    """Triples as JSON-LD in compact IRIs under our published context (pyoxigraph writes expanded JSON-LD only)."""
    nodes: dict[str, dict[str, Any]] = {}
    for triple in triples:
        subject = _jsonld_term(triple.subject)["@id"]
        node = nodes.setdefault(subject, {"@id": subject})
        if triple.predicate.value == RDF_TYPE and isinstance(triple.object, NamedNode):
            node.setdefault("@type", []).append(compact(triple.object.value))
        else:
            node.setdefault(compact(triple.predicate.value), []).append(_jsonld_term(triple.object))
    return json.dumps({**CONTEXT, "@graph": list(nodes.values())}, indent=2, ensure_ascii=False)


#: What may not appear as itself inside ``<script>``: ``</script>`` would close it, ``<!--`` would make an HTML
#: parser look for ``-->`` and swallow the rest of the page. JSON says each one with a ``\\u`` escape instead.
SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_jsonld(triples: Iterable[Triple]) -> Markup:
    """JSON-LD safe to embed in ``<script type="application/ld+json">``: no ``<``, ``>`` or ``&`` as itself.

    >>> script_jsonld([Triple(NamedNode("urn:a"), NamedNode("urn:b"), Literal("</script><!--"))]).count("<")
    0
    """
    return Markup(jsonld(triples).translate(SCRIPT_ESCAPES))


def safe_prefixes(triples: Iterable[Triple]) -> dict[str, str]:
    """The prefixes under which every IRI of ``triples`` has a plain local name (no backslash escapes).

    Turtle allows ``dbr:Adobe_Inc\\.``, but common parsers (rdflib) reject it: such a prefix is left out.
    """
    unsafe = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            iri = (
                term.datatype.value
                if isinstance(term, Literal)
                else term.value
                if isinstance(term, NamedNode)
                else None
            )
            for prefix, namespace in PREFIXES.items():
                if iri and iri.startswith(namespace) and not PLAIN_LOCAL.match(iri[len(namespace) :]):
                    unsafe.add(prefix)
    return {prefix: namespace for prefix, namespace in PREFIXES.items() if prefix not in unsafe}


def rdf_body(triples: list[Triple], media: str) -> bytes:
    """Triples in the RDF format ``media`` names."""
    if media == "application/ld+json":
        return jsonld(triples).encode()
    prefixes = safe_prefixes(triples) if media == "text/turtle" else None
    body = serialize(triples, format=RdfFormat.from_media_type(media), prefixes=prefixes)
    assert body is not None  # no output file: the bytes come back
    return body


def linked(response: Response, path: str, media: str, *, iri: str, offers: list[str] = OFFERS) -> Response:
    """Add the linked-data headers: ``Vary``, ``Content-Location`` and ``Link`` to each alternate."""
    response.vary.add("Accept")
    response.headers["Content-Location"] = f"{path}.{EXTENSIONS[media]}"
    links = [f'<{path}.{EXTENSIONS[o]}>; rel="alternate"; type="{o}"' for o in offers if o != media]
    links.append(f'<{iri}>; rel="describes"')
    response.headers["Link"] = ", ".join(links)
    return response


def context_response() -> Response:
    """The published JSON-LD context."""
    return Response(json.dumps(CONTEXT, indent=2), mimetype="application/ld+json")
