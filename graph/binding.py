"""Typed parameters of named queries turned into RDF terms, to be bound through ``substitutions``, never pasted.

A value arrives as text (a query string, a form field, a CLI option) and leaves as a pyoxigraph term, or as
:class:`~graph.errors.BadParameter` naming the parameter and what was expected.

>>> bind(Param("model", "iri"), "gaid:ChatGPT")
<NamedNode value=https://w3id.org/genai-kg/id/ChatGPT>
>>> bind(Param("min", "integer"), "+0042")
<Literal value=42 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
>>> bind(Param("text", "langString"), "Hallo@de")
<Literal value=Hallo language=de>
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from pyoxigraph import Literal, NamedNode

from .errors import BadParameter
from .namespaces import expand

XSD = "http://www.w3.org/2001/XMLSchema#"

#: Characters an IRI may not contain (RFC 3987 excludes them; in SPARQL they would end an IRI reference).
IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
IRI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
INTEGER = re.compile(r"^[+-]?[0-9]+$")
DECIMAL = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
TRUE, FALSE = ("true", "1"), ("false", "0")


@dataclass(frozen=True)
class Param:
    """One declared parameter of a named query: a SPARQL variable with a type, and what a caller may omit."""

    name: str
    type: str = "string"
    required: bool = False
    default: str | None = None
    enum: tuple[str, ...] = ()
    description: str = ""
    example: str | None = None

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown type {self.type!r}; expected one of {', '.join(TYPES)}")

    @property
    def expected(self) -> str:
        """What this parameter accepts, in the words a 400 response uses."""
        return EXPECTED[self.type]


def _iri(raw: str) -> NamedNode:
    value = expand(raw.strip())
    if not IRI_SCHEME.match(value) or IRI_FORBIDDEN.search(value):
        raise ValueError
    return NamedNode(value)


def _string(raw: str) -> Literal:
    return Literal(raw)


def _integer(raw: str) -> Literal:
    text = raw.strip()
    if not INTEGER.match(text):
        raise ValueError
    return Literal(str(int(text)), datatype=NamedNode(XSD + "integer"))


def _decimal(raw: str) -> Literal:
    text = raw.strip()
    if not DECIMAL.match(text):
        raise ValueError
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise ValueError from error
    lexical = format(number, "f")
    if "." not in lexical:
        lexical += ".0"
    return Literal(lexical, datatype=NamedNode(XSD + "decimal"))


def _date(raw: str) -> Literal:
    text = raw.strip()
    if not DATE.match(text):
        raise ValueError
    return Literal(date.fromisoformat(text).isoformat(), datatype=NamedNode(XSD + "date"))


def _boolean(raw: str) -> Literal:
    text = raw.strip().lower()
    if text not in TRUE + FALSE:
        raise ValueError
    return Literal("true" if text in TRUE else "false", datatype=NamedNode(XSD + "boolean"))


def _lang_string(raw: str) -> Literal:
    text, sep, language = raw.rpartition("@")
    if not sep or not LANGUAGE_TAG.match(language):
        raise ValueError
    return Literal(text, language=language.lower())


TYPES: dict[str, Callable[[str], NamedNode | Literal]] = {
    "iri": _iri,
    "string": _string,
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "boolean": _boolean,
    "langString": _lang_string,
}

#: What each type accepts, in the words a 400 response uses.
EXPECTED: dict[str, str] = {
    "iri": 'an absolute IRI or prefix:Local (no spaces or <>"{}|^`\\)',
    "string": "any text",
    "integer": "an integer such as 42 or -7",
    "decimal": "a decimal number such as 3.14",
    "date": "a date as YYYY-MM-DD",
    "boolean": "true or false",
    "langString": "text with a language tag, such as chat@en",
}


def bind(param: Param, raw: str) -> NamedNode | Literal:
    """The RDF term for ``raw`` under ``param``'s type and enumeration, or :class:`BadParameter`."""
    try:
        term = TYPES[param.type](raw)
    except ValueError as error:
        raise BadParameter(param.name, f"expected {param.expected}, got {raw!r}") from error
    if param.enum and term not in {TYPES[param.type](choice) for choice in param.enum}:
        raise BadParameter(param.name, f"expected one of {', '.join(param.enum)}, got {raw!r}")
    return term
