"""One resource, several documents: choosing the variant, serialising RDF and the linked-data headers.

The Cool URIs answer here is "200 with ``Content-Location``": ``/id/ChatGPT`` answers directly with the
variant ``Accept`` picks and names it (``Content-Location: /id/ChatGPT.ttl``), with ``Vary: Accept`` and a
``Link`` header to every alternate; a suffix (``/id/ChatGPT.ttl``) picks the variant itself. No 303 round trip.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import rdflib
from flask import Response, abort, request
from markupsafe import Markup
from pyoxigraph import RdfFormat, Triple, serialize

from graph.namespaces import PREFIXES

from ..negotiation import SUFFIXES, choose

#: The variants of every linked-data page, the default (for ``*/*`` or no ``Accept``) first.
OFFERS = ["text/turtle", "text/html", "application/ld+json", "application/rdf+xml", "application/n-triples"]
RDF_OFFERS = [o for o in OFFERS if o != "text/html"]
EXTENSIONS = {media: ext for ext, media in SUFFIXES.items() if media in OFFERS}

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


def jsonld(triples: Iterable[Triple]) -> str:
    """Triples as compact JSON-LD with our published context (rdflib compacts, pyoxigraph cannot yet)."""
    graph = rdflib.Graph()
    graph.parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")
    return graph.serialize(format="json-ld", context=CONTEXT["@context"], indent=2)


def script_jsonld(triples: Iterable[Triple]) -> Markup:
    """JSON-LD safe to embed in ``<script type="application/ld+json">`` (no ``</`` can close the tag)."""
    return Markup(jsonld(triples).replace("</", "<\\/"))


def rdf_body(triples: list[Triple], media: str) -> bytes:
    """Triples in the RDF format ``media`` names."""
    if media == "application/ld+json":
        return jsonld(triples).encode()
    prefixes = PREFIXES if media == "text/turtle" else None
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
