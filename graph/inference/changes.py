"""What a SPARQL update changed, read from its text when it is plain data (INSERT DATA / DELETE DATA).

Oxigraph reports no delta for an update, so the reasoner would otherwise have to compare the whole store.
An update that is one ``INSERT DATA`` or ``DELETE DATA`` block with ground triples is parsed here as TriG
(same syntax for data); anything else returns None and the caller falls back to comparing.
"""

from __future__ import annotations

import re

from pyoxigraph import BlankNode, Quad, RdfFormat, parse

from ..namespaces import PREFIXES

_PROLOGUE = r"(?:\s*(?:PREFIX\s+[A-Za-z0-9_.\-]*:\s*<[^<>\s]*>|BASE\s+<[^<>\s]*>))*"
_DATA = re.compile(
    rf"^(?P<prologue>{_PROLOGUE})\s*(?P<operation>INSERT|DELETE)\s+DATA\s*\{{(?P<body>.*)\}}\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def data_delta(update: str, *, base_iri: str | None = None) -> tuple[list[Quad], list[Quad]] | None:
    """The quads an update inserts and deletes, or None when the update is not one plain data block.

    >>> inserted, deleted = data_delta('INSERT DATA { gaid:X a gai:Product }')
    >>> [str(q.object) for q in inserted], deleted
    (['<https://w3id.org/genai-kg/ontology#Product>'], [])
    >>> data_delta("DELETE WHERE { ?s ?p ?o }") is None
    True
    """
    match = _DATA.match(update)
    if match is None or "_:" in match["body"] or "[" in match["body"]:
        return None
    declared = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
    text = declared + match["prologue"] + "\n" + match["body"]
    for attempt in (text, text + " ."):  # SPARQL lets the last triple of a block go without its dot
        try:
            quads = list(parse(attempt, format=RdfFormat.TRIG, base_iri=base_iri))
            break
        except (SyntaxError, ValueError):
            continue
    else:
        return None
    if any(isinstance(term, BlankNode) for q in quads for term in (q.subject, q.object, q.graph_name)):
        return None
    return (quads, []) if match["operation"].upper() == "INSERT" else ([], quads)
