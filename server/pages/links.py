"""Where an IRI leads in a browser: our own IRIs to this server's pages, others outbound; terms as HTML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape
from pyoxigraph import Literal, NamedNode

from graph.namespaces import compact, page_path

from ..context import link

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def href(iri: str) -> str:
    """Where a link to ``iri`` points: our page for our IRIs (under the public base), else the IRI itself."""
    path = page_path(iri)
    return link(path) if path is not None else iri


def node_html(node: NamedNode, labels: Mapping[str, str]) -> Markup:
    """A link to ``node`` named by its label; outbound links are marked."""
    text = labels.get(node.value) or compact(node.value)
    internal = page_path(node.value) is not None
    css = "" if internal else ' class="ext" rel="noopener"'
    return Markup('<a href="{}" title="{}"{}>{}</a>').format(href(node.value), node.value, Markup(css), text)


def literal_html(literal: Literal) -> Markup:
    """A literal's value, with its language or datatype in small print."""
    value = escape(literal.value)
    if len(literal.value) > 80 or "\n" in literal.value:
        value = Markup('<span class="long">{}</span>').format(literal.value)
    if literal.language:
        return Markup('{} <span class="tag">@{}</span>').format(value, literal.language)
    datatype = literal.datatype.value
    if datatype in (XSD_STRING, LANG_STRING):
        return Markup(value)
    return Markup('{} <span class="tag">{}</span>').format(value, compact(datatype))


def tokens_html(tokens: Sequence[str | NamedNode], labels: Mapping[str, str]) -> Markup:
    """A class expression (words and IRIs) with its IRIs linked."""
    out = Markup("")
    for token in tokens:
        out += node_html(token, labels) if isinstance(token, NamedNode) else escape(token)
    return Markup('<span class="expr">{}</span>').format(out)


def term_html(
    term: object, labels: Mapping[str, str], expressions: Mapping[Any, Sequence[str | NamedNode]] | None = None
) -> Markup:
    """Any RDF term as HTML: IRIs as links, literals as text, blank nodes as their class expression."""
    if expressions and term in expressions:  # a blank node (or its Skolem IRI) that is a class expression
        return tokens_html(expressions[term], labels)
    if isinstance(term, NamedNode):
        return node_html(term, labels)
    if isinstance(term, Literal):
        return literal_html(term)
    return Markup('<span class="blank">{}</span>').format(str(term))
