"""The API's identifiers: an entity's id is its IRI without the identifier space ``gaid:``, a type's or a
property's its IRI without the schema space ``gai:``; full IRIs and prefixed names are accepted too."""

from __future__ import annotations

from pyoxigraph import NamedNode

from ..errors import BadParameter
from ..namespaces import GAI, PREFIXES, expand


def short(iri: str, namespace: str = GAI) -> str:
    """The id of an IRI: its local name in ``namespace``, else a prefixed name, else the IRI itself.

    >>> short("https://w3id.org/genai-kg/ontology#AIModel"), short("http://www.w3.org/2004/02/skos/core#altLabel")
    ('AIModel', 'skos:altLabel')
    """
    if iri.startswith(namespace) and len(iri) > len(namespace):
        return iri[len(namespace) :]
    for prefix, base in PREFIXES.items():
        if iri.startswith(base) and base != namespace and len(iri) > len(base):
            return f"{prefix}:{iri[len(base) :]}"
    return iri


def full(id: str, namespace: str = GAI) -> str:
    """The IRI an id stands for: a full IRI, a prefixed name, or a local name in ``namespace``.

    >>> from graph.namespaces import GAID
    >>> full("GPT-4.5", GAID), full("gai:AIModel"), full("AIModel")
    ('https://w3id.org/genai-kg/id/GPT-4.5', 'https://w3id.org/genai-kg/ontology#AIModel', 'https://w3id.org/genai-kg/ontology#AIModel')
    """
    expanded = expand(id)
    if expanded != id or "://" in id:
        return expanded
    return namespace + id


def node(id: str, namespace: str, what: str) -> NamedNode:
    """The IRI an id stands for, as a node; :class:`BadParameter` (naming ``what``) when it is no IRI."""
    try:
        return NamedNode(full(id, namespace))
    except ValueError:
        raise BadParameter(what, f"{id[:80]!r} is not an identifier") from None
