"""Named queries: the ``queries/*.rq`` files, each valid SPARQL with a ``#+`` YAML header that declares it.

A header names the query and types its parameters; the parameters are ordinary SPARQL variables, so a file
runs unchanged in any tool, and here a caller's values are bound to them through ``substitutions``::

    #+ title: Models by output modality
    #+ params:
    #+   - name: modality
    #+     type: iri
    #+     default: gai:TextModality
    SELECT ?modality ?model WHERE { ?model gai:outputModality ?modality }

Every file is loaded and checked at start-up, so a broken header or query fails there, naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pyoxigraph import NamedNode, QueryBoolean, QueryTriples, Store, Variable

from .binding import TYPES, Param, bind
from .errors import BadParameter, GraphError, NotFound
from .namespaces import PREFIXES
from .outbound import NOWHERE, OutboundPolicy
from .sparql_lexer import service_variables, tokens
from .store import KnowledgeGraph, QueryResult, Term

#: The shipped queries, next to the packages in the source tree.
QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HEADER_KEYS = {"title", "description", "tags", "params"}
#: PyYAML's safe loader, in C when libyaml is there (the headers parsed five times faster at every start).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PARAM_KEYS = {"name", "type", "required", "default", "enum", "description", "example"}


class QueryFileError(GraphError):
    """A ``.rq`` file whose header or SPARQL is broken; the message starts with the file's path."""


@dataclass(frozen=True)
class NamedQuery:
    """One ``.rq`` file: its name (the file's stem), what its header declares, and its SPARQL text."""

    name: str
    title: str
    description: str
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    sparql: str
    #: ``select``, ``ask`` or ``graph`` (CONSTRUCT/DESCRIBE): which result formats apply.
    kind: str = "select"

    def param(self, name: str) -> Param | None:
        """The declared parameter called ``name``, if any."""
        return next((p for p in self.params if p.name == name), None)

    def bind(self, values: Mapping[str, str]) -> tuple[tuple[str, Term], ...]:
        """Typed terms for ``values`` (raw text by parameter name), with defaults; empty text counts as absent.

        Unknown names, missing required parameters and ill-typed values raise :class:`BadParameter`.
        """
        known = {p.name for p in self.params}
        for name in values:
            if name not in known:
                expected = ", ".join(sorted(known)) or "none"
                raise BadParameter(name, f"{self.name} has no such parameter; its parameters: {expected}")
        bound: list[tuple[str, Term]] = []
        for param in self.params:
            raw = values.get(param.name)
            if raw is None or raw == "":
                raw = param.default
            if raw is None:
                if param.required:
                    raise BadParameter(param.name, f"required: {param.expected}")
                continue
            bound.append((param.name, bind(param, raw)))
        return tuple(bound)

    def prepare(
        self, values: Mapping[str, str], outbound: OutboundPolicy = NOWHERE
    ) -> tuple[str, tuple[tuple[str, Term], ...]]:
        """The SPARQL to run for ``values`` and the terms to bind: :meth:`bind`, then every endpoint parameter
        written into its ``SERVICE`` clause (:func:`with_endpoints`) and every endpoint the query would call
        checked against ``outbound`` (:class:`~graph.errors.BadRequest` before any call)."""
        sparql, bound = with_endpoints(self.sparql, self.bind(values))
        outbound.check_sparql(sparql, PREFIXES)
        return sparql, bound

    def run(
        self, kg: KnowledgeGraph, values: Mapping[str, str] | None = None, outbound: OutboundPolicy = NOWHERE
    ) -> QueryResult:
        """Evaluate on ``kg`` with ``values`` bound (the CLI's path; the server goes through its evaluator)."""
        sparql, bound = self.prepare(values or {}, outbound)
        return kg.query(sparql, substitutions=dict(bound))


def with_endpoints(sparql: str, bound: tuple[tuple[str, Term], ...]) -> tuple[str, tuple[tuple[str, Term], ...]]:
    """``SERVICE ?p`` written as ``SERVICE <iri>`` where parameter ``p`` is bound to an IRI; the rest as it was.

    SPARQL engines cannot bind the variable of ``SERVICE ?p`` (Oxigraph finds it unbound whether it is
    substituted or given by ``VALUES``), so an endpoint parameter is replaced, token for token, by the IRI
    as pyoxigraph writes it: the text is never spliced. A parameter left unbound stays a variable, which the
    outbound policy refuses. The binding itself is kept only where the variable occurs elsewhere.

    >>> text, bound = with_endpoints("SELECT * { SERVICE ?e { ?s ?p ?o } }", (("e", NamedNode("http://x/q")),))
    >>> text, bound
    ('SELECT * { SERVICE <http://x/q> { ?s ?p ?o } }', ())
    """
    values = dict(bound)
    parts: list[str] = []
    last = 0
    for token in service_variables(sparql):
        term = values.get(token.text[1:])
        if isinstance(term, NamedNode):
            parts += [sparql[last : token.start], str(term)]
            last = token.end
    if not parts:
        return sparql, bound
    text = "".join([*parts, sparql[last:]])
    left = {t.text[1:] for t in tokens(text) if t.kind == "var"}
    return text, tuple((name, term) for name, term in bound if name in left)


def split_header(text: str) -> tuple[str, str]:
    """The YAML of the leading ``#+`` lines (blank lines and ``#`` comments may sit among them), and the rest."""
    lines = text.splitlines(keepends=True)
    header: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("#+"):
            header.append(stripped[3:] if stripped.startswith("#+ ") else stripped[2:])
            header.append("\n")
        elif stripped and not stripped.startswith("#"):
            return "".join(header), "".join(lines[index:])
    return "".join(header), ""


def parse(name: str, text: str) -> NamedQuery:
    """Build and check a named query from a file's text; :class:`ValueError` says what is wrong."""
    if not NAME.match(name):
        raise ValueError(f"file name {name!r} must be lower-case letters, digits and hyphens")
    header_text, body = split_header(text)
    try:
        header = yaml.load(header_text, Loader=SAFE_LOADER) if header_text.strip() else None
    except yaml.YAMLError as error:
        raise ValueError(f"the #+ header is not YAML: {error}") from error
    if not isinstance(header, dict):
        raise ValueError("no '#+ ' YAML header (a mapping with at least 'title')")
    unknown = set(header) - HEADER_KEYS
    if unknown:
        raise ValueError(f"unknown header keys {sorted(unknown)}; expected {sorted(HEADER_KEYS)}")
    title = header.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("the header needs a 'title'")
    tags = header.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValueError("'tags' must be a list of strings")
    params = tuple(_param(spec) for spec in header.get("params") or [])
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"a parameter is declared twice in {names}")
    query = NamedQuery(
        name=name,
        title=title.strip(),
        description=str(header.get("description") or "").strip(),
        tags=tuple(tags),
        params=params,
        sparql=text,
    )
    return replace(query, kind=_checked(query, body))


def _param(spec: Any) -> Param:
    if not isinstance(spec, dict):
        raise ValueError(f"each entry of 'params' must be a mapping, not {spec!r}")
    unknown = set(spec) - PARAM_KEYS
    if unknown:
        raise ValueError(f"unknown parameter keys {sorted(unknown)}; expected {sorted(PARAM_KEYS)}")
    name = spec.get("name")
    if not isinstance(name, str) or not VARIABLE.match(name):
        raise ValueError(f"parameter name {name!r} must be a SPARQL variable name (letters, digits, _)")
    kind = spec.get("type", "string")
    if kind not in TYPES:
        raise ValueError(f"parameter {name!r}: unknown type {kind!r}; expected one of {', '.join(TYPES)}")
    enum = spec.get("enum") or []
    if not isinstance(enum, list):
        raise ValueError(f"parameter {name!r}: 'enum' must be a list")
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise ValueError(f"parameter {name!r}: 'required' must be true or false")
    default, example = spec.get("default"), spec.get("example")
    param = Param(
        name=name,
        type=kind,
        required=required,
        default=None if default is None else _text(default),
        enum=tuple(_text(choice) for choice in enum),
        description=str(spec.get("description") or "").strip(),
        example=None if example is None else _text(example),
    )
    if param.required and param.default is not None:
        raise ValueError(f"parameter {name!r} is required and has a default: choose one")
    if param.required and param.example is None and not param.enum:
        raise ValueError(f"parameter {name!r} is required: give an 'example' for the documentation")
    for value in (*param.enum, param.default, param.example):
        if value is not None:
            try:
                bind(param, value)
            except BadParameter as error:
                raise ValueError(f"header value {value!r}: {error}") from error
    return param


def _text(value: Any) -> str:
    """A header value as the text a caller would send (YAML reads ``true`` and ``42`` as other types)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _checked(query: NamedQuery, body: str) -> str:
    """Parse the SPARQL on an empty store, with and without every parameter bound; return its kind."""
    for param in query.params:
        if not re.search(rf"[?$]{param.name}(?![A-Za-z0-9_])", body):
            raise ValueError(f"parameter {param.name!r} is declared but ?{param.name} is not in the query")
    samples = {
        p.name: bind(p, p.example or p.default or (p.enum[0] if p.enum else SAMPLES[p.type])) for p in query.params
    }
    store = Store()
    bound_text, bound = with_endpoints(query.sparql, tuple(samples.items()))
    try:
        result = store.query(query.sparql)
        store.query(bound_text, substitutions={Variable(name): term for name, term in bound})
    except SyntaxError as error:
        raise ValueError(f"the SPARQL does not parse: {error}") from error
    except RuntimeError as error:  # Oxigraph binds only variables the SELECT clause projects
        raise ValueError(f"a parameter cannot be bound: {error}") from error
    return "graph" if isinstance(result, QueryTriples) else "ask" if isinstance(result, QueryBoolean) else "select"


#: A value of each type, to check at load time that every parameter can be bound.
SAMPLES = {
    "iri": "https://example.org/x",
    "string": "x",
    "integer": "1",
    "decimal": "1.0",
    "date": "2025-01-01",
    "boolean": "true",
    "langString": "x@en",
}


def load(folder: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    """Every ``*.rq`` file in ``folder`` by name, checked; the first broken file raises :class:`QueryFileError`."""
    return load_files(sorted(folder.glob("*.rq")))


def load_files(paths: Iterable[Path]) -> dict[str, NamedQuery]:
    """The named queries in ``paths``, by file stem; the first broken file raises :class:`QueryFileError`."""
    queries: dict[str, NamedQuery] = {}
    for path in paths:
        try:
            queries[path.stem] = parse(path.stem, path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise QueryFileError(f"{path}: {error}") from error
    return queries


def get(queries: Mapping[str, NamedQuery], name: str) -> NamedQuery:
    """The query called ``name``, or :class:`NotFound` listing the names there are."""
    try:
        return queries[name]
    except KeyError:
        raise NotFound(f"no named query {name!r}; see /queries for the list") from None
