"""A remote SPARQL 1.1 engine as the knowledge graph's store (QLever, Virtuoso, Fuseki, GraphDB, Oxigraph's server…).

Everything goes over the SPARQL 1.1 Protocol (queries, updates) and, for bulk loads, the Graph Store Protocol.
Three things differ from an embedded store, and are handled here:

- **The union default graph.** genai-kg's queries see every graph as their default graph. Engines spell
  that differently, so the first query that needs it finds out how this one does: natively (Virtuoso,
  GraphDB), with Oxigraph's ``union-default-graph`` parameter, or else by naming every named graph in
  ``default-graph-uri`` (the engine's own default graph is then left out: keep data in named graphs).
- **Blank nodes.** A blank node returned by an engine cannot be named in a later request, so what genai-kg
  writes (loads, Graph Store bodies) is skolemised: ``_:b`` becomes ``<…/.well-known/genid/b>``
  (RDF 1.1 Concepts, 3.5), and pages and explanations read such IRIs as anonymous nodes.
- **Bound parameters.** The protocol cannot pre-bind variables, so they are appended to the query as a
  trailing ``VALUES`` clause (which binds the whole query's solutions).

Several service processes may write through one engine: they take turns through a *lease* kept in the
engine (:class:`graph.lease.Lease`), so the reasoning of one write never interleaves with another's.
"""

from __future__ import annotations

import itertools
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
    serialize,
)

from .backend import KEEP_STATE, Dataset, GraphName, QueryResult, Term, TripleResult, quad_block, write_operations
from .engine_client import EngineClient
from .errors import ReadOnly
from .lease import LEASE_UNTIL, Lease
from .namespaces import GENID, GRAPH_CLOSURE, GRAPH_INFERRED, PREFIXES
from .skolem import skolemize_quad
from .sparql_lexer import query_form, tokens, where_group

#: Media types asked for when genai-kg itself reads a query's answer (by the kind of answer: some engines
#: answer a CONSTRUCT as a table when results come first in the Accept header).
_ACCEPT_RESULTS = "application/sparql-results+json, application/n-triples;q=0.1"
_ACCEPT_GRAPH = "application/n-triples, application/sparql-results+json;q=0.1"
#: Quads per ``INSERT DATA`` request when an engine has no Graph Store endpoint to load through.
INSERT_BATCH = 10_000
#: Triples per Graph Store POST of the reasoner's large outputs.
POST_LINES = 200_000
_PROLOGUE = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())


def prologue(sparql: str, base_iri: str | None) -> str:
    """The query or update with genai-kg's prefixes (and its base IRI) declared in front, as embedded stores allow."""
    base = f"BASE {NamedNode(base_iri)}\n" if base_iri else ""
    return base + _PROLOGUE + sparql


def with_values(sparql: str, substitutions: Mapping[str, Term] | None) -> str:
    """The query with ``substitutions`` bound by a ``VALUES`` block, first in its top-level ``WHERE`` group.

    There it binds the variables before the group's filters, optionals and binds see them (as pre-binding
    does); when the group is a sub-select, or cannot be found, a trailing ``VALUES`` clause binds the
    query's solutions instead.
    """
    if not substitutions:
        return sparql
    names = " ".join(f"?{name}" for name in substitutions)
    row = " ".join(str(term) for term in substitutions.values())
    values = f"VALUES ({names}) {{ ({row}) }}"
    start = where_group(sparql)
    if start is None or _opens_subselect(sparql, start):
        return f"{sparql}\n{values}"
    return f"{sparql[: start + 1]} {values} {sparql[start + 1 :]}"


def answer_format(content_type: str | None) -> tuple[str, RdfFormat | None, QueryResultsFormat | None]:
    """What an engine's answer says it is: its media type (``Content-Type`` without parameters, in lower case),
    and the RDF format or the results format that names (None for the kind it is not).

    >>> answer_format("application/sparql-results+json; charset=utf-8")[::2]
    ('application/sparql-results+json', <QueryResultsFormat SPARQL Results in JSON>)
    """
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type, RdfFormat.from_media_type(media_type), QueryResultsFormat.from_media_type(media_type)


def _opens_subselect(sparql: str, start: int) -> bool:
    """True when the group opening at ``start`` is a sub-select (its first token is SELECT)."""
    first = next(tokens(sparql[start + 1 :]), None)
    return first is not None and first.is_keyword("SELECT")


#: Reads of "every graph" leave out the closure graph, which repeats them (see :data:`GRAPH_CLOSURE`).
_NOT_CLOSURE = f"FILTER(?g != {GRAPH_CLOSURE})"


def _pattern_term(term: Term | None, variable: str) -> str:
    return variable if term is None else str(term)


class RemoteBackend:
    """A :class:`~graph.backend.Backend` that is a SPARQL 1.1 engine reached over HTTP."""

    shared = True

    def __init__(self, client: EngineClient, *, read_only: bool = False) -> None:
        self.client = client
        self.read_only = read_only or not client.has("update")
        self.location = client.location
        self._default_is_union: bool | None = None
        self._empty_graphs: bool | None = None
        self._lock = threading.RLock()
        self.lease = Lease(self)

    # -- queries -------------------------------------------------------------------------------------

    def dataset_fields(self, dataset: Dataset) -> list[tuple[str, str]]:
        """The protocol parameters that give a query this dataset on this engine."""
        fields = [("default-graph-uri", g.value) for g in dataset.default or () if isinstance(g, NamedNode)]
        fields += [("named-graph-uri", g.value) for g in dataset.named or () if isinstance(g, NamedNode)]
        if dataset.default is not None and not fields:
            fields = [("named-graph-uri", GENID + "none")]  # an empty dataset, not the engine's default one
        return fields

    def default_is_union(self) -> bool:
        """Whether this engine's own default graph is the union of its graphs (Fuseki's ``unionDefaultGraph``),
        so that reads of "every graph" must not read it besides its named graphs (asked once it can tell)."""
        with self._lock:
            if self._default_is_union is not None:
                return self._default_is_union
            if not self._ask("ASK { GRAPH ?g { ?s ?p ?o } }"):
                return False  # no named graph holds anything yet: nothing to tell, ask again later
            # one quad of a named graph, looked for in the default graph (all of them would be a scan)
            probe = "ASK { { SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1 } FILTER NOT EXISTS { ?s ?p ?o } }"
            self._default_is_union = not self._ask(probe)
            return self._default_is_union

    def _ask(self, sparql: str, fields: list[tuple[str, str]] | None = None, *, tolerate: bool = False) -> bool:
        try:
            result = self._select(sparql, fields or [])
        except SyntaxError:
            if tolerate:  # an engine that refuses a parameter it does not know
                return True
            raise
        return bool(result)

    def _select(self, sparql: str, fields: list[tuple[str, str]]) -> QueryResult:
        accept = _ACCEPT_GRAPH if query_form(sparql) in ("CONSTRUCT", "DESCRIBE") else _ACCEPT_RESULTS
        response = self.client.sparql("query", sparql, fields=fields, accept=accept, stream=True)
        _, rdf, results = answer_format(response.headers.get("Content-Type"))
        if rdf is not None:
            return TripleResult(q.triple if isinstance(q, Quad) else q for q in parse(response, rdf))  # type: ignore[arg-type]
        return parse_query_results(response, results or QueryResultsFormat.JSON)  # type: ignore[arg-type]

    def query(
        self, sparql: str, dataset: Dataset, *, substitutions: Mapping[str, Term] | None, base_iri: str | None
    ) -> QueryResult:
        text = prologue(with_values(sparql, substitutions), base_iri)
        return self._select(text, self.dataset_fields(dataset))

    def rows(self, sparql: str) -> Iterator[dict[str, Term]]:
        """The solutions of one of our own SELECT queries, over the engine's own dataset."""
        result = self._select(sparql, [])
        assert isinstance(result, QuerySolutions)
        names = [v.value for v in result.variables]
        for solution in result:
            yield {name: solution[name] for name in names if solution[name] is not None}

    # -- quads ---------------------------------------------------------------------------------------

    def quads(
        self, subject: Term | None, predicate: NamedNode | None, object: Term | None, graph: GraphName | None
    ) -> Iterator[Quad]:
        if isinstance(subject, Literal | BlankNode) or isinstance(object, BlankNode) or isinstance(graph, BlankNode):
            return iter(())  # a blank node cannot be named to an engine; ours are skolemised
        pattern = f"{_pattern_term(subject, '?s')} {_pattern_term(predicate, '?p')} {_pattern_term(object, '?o')}"
        parts = []
        if (graph is None or isinstance(graph, DefaultGraph)) and not self.default_is_union():
            parts.append(f"{{ {pattern} }}")
        if graph is None:
            parts.append(f"{{ GRAPH ?g {{ {pattern} }} {_NOT_CLOSURE} }}")
        elif isinstance(graph, NamedNode):
            parts.append(f"{{ GRAPH {graph} {{ {pattern} }} }}")
        if not parts:
            return iter(())
        return self._quads(f"SELECT * WHERE {{ {' UNION '.join(parts)} }}", subject, predicate, object, graph)

    def _quads(
        self, sparql: str, subject: Term | None, predicate: NamedNode | None, object: Term | None, graph: object
    ) -> Iterator[Quad]:
        for row in self.rows(sparql):
            g = row.get("g", graph if isinstance(graph, NamedNode) else DefaultGraph())
            s, p, o = row.get("s", subject), row.get("p", predicate), row.get("o", object)
            yield Quad(s, p, o, g)  # type: ignore[arg-type]

    def named_graphs(self) -> list[NamedNode | BlankNode]:
        if self.knows_empty_graphs():
            sparql = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
        else:  # Virtuoso: 5 ms grouped, 7 s with DISTINCT (the shipped graph and its closure: 60,000 quads)
            sparql = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        rows = self.rows(sparql)
        return [row["g"] for row in rows if isinstance(row.get("g"), NamedNode)]  # type: ignore[misc]

    def contains_named_graph(self, graph: NamedNode | BlankNode) -> bool:
        pattern = "{ }" if self.knows_empty_graphs() else "{ ?s ?p ?o }"
        return isinstance(graph, NamedNode) and self._ask(f"ASK {{ GRAPH {graph} {pattern} }}")

    def knows_empty_graphs(self) -> bool:
        """Whether ``GRAPH <g> { }`` tells graphs that exist from graphs that do not (Virtuoso's is always true);
        where it does not, a graph exists while it holds a triple."""
        with self._lock:
            if self._empty_graphs is None:
                self._empty_graphs = not self._ask(f"ASK {{ GRAPH <{GENID}no-such-graph> {{ }} }}")
            return self._empty_graphs

    def count(self) -> int:
        default = "" if self.default_is_union() else "{ ?s ?p ?o } UNION "
        row = next(
            self.rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ {default}{{ GRAPH ?g {{ ?s ?p ?o }} {_NOT_CLOSURE} }} }}")
        )
        count = row["n"]
        return int(count.value) if isinstance(count, Literal) else 0

    def is_empty(self) -> bool:
        return not self._ask("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")

    def dump(
        self, output: IO[bytes], format: RdfFormat, *, from_graph: GraphName | None, prefixes: dict[str, str] | None
    ) -> None:
        quads = self.quads(None, None, None, from_graph)
        items: Iterator[Quad] | Iterator[Triple] = quads if from_graph is None else (q.triple for q in quads)
        serialize(items, output, format=format, prefixes=prefixes)

    # -- writes --------------------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnly(f"the SPARQL engine at {self.location} is used read-only (no update endpoint given)")

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        self._check_writable()
        self.client.sparql("update", prologue(sparql, base_iri), timeout=None)

    def storable(self, quads: Iterable[Quad]) -> list[Quad]:
        return [skolemize_quad(q) for q in quads]

    def add(self, quads: Iterable[Quad]) -> None:
        """One ``INSERT DATA``, or for many quads one Graph Store POST (engines cap the size of an update)."""
        quads = list(quads)
        if len(quads) > INSERT_BATCH and self.client.has("store"):
            self._check_writable()
            body = serialize(quads, None, format=RdfFormat.N_QUADS) or b""
            self.client.request(
                "store", "POST", body=body, headers={"Content-Type": "application/n-quads"}, timeout=None
            )
        elif quads:
            self.update(f"INSERT DATA {{\n{quad_block(quads)}\n}}")

    def remove(self, quads: Iterable[Quad]) -> None:
        quads = list(quads)
        if quads:
            self.update(f"DELETE DATA {{\n{quad_block(quads)}\n}}")

    def bulk_load(self, input: IO[bytes], format: RdfFormat, *, to_graph: GraphName | None, base_iri: str) -> None:
        """Send the lines in one Graph Store POST (else ``INSERT DATA`` batches), blank nodes as Skolem IRIs named
        after their labels."""
        self._check_writable()
        with tempfile.TemporaryFile() as staged:
            quads = parse(input, format, base_iri=base_iri)
            target = to_graph if to_graph is not None else DefaultGraph()
            serialize((skolemize_quad(_into(q, target)) for q in quads), staged, format=RdfFormat.N_QUADS)
            staged.seek(0)
            if self.client.has("store"):
                self.client.request(
                    "store", "POST", body=staged, headers={"Content-Type": "application/n-quads"}, timeout=None
                )
                return
            for batch in _batches(parse(staged, RdfFormat.N_QUADS), INSERT_BATCH):
                self.update(f"INSERT DATA {{\n{quad_block(batch)}\n}}")

    def flush(self) -> None:
        pass

    def compact(self) -> None:
        pass

    def close(self) -> None:
        self.client.close()

    # -- the write pipeline's operations -------------------------------------------------------------

    def writer(self) -> Lease:
        return self.lease

    def match(self, triples: Sequence[tuple[Term, Term, Term]]) -> list[Quad]:
        """The quads of many triples, a thousand triples a query."""
        found: list[Quad] = []
        rows = [t for t in triples if not any(isinstance(x, BlankNode | Literal) for x in t[:2])]
        for batch in _batches(rows, 1000):
            values = " ".join(f"({s} {p} {o})" for s, p, o in batch)
            parts = [] if self.default_is_union() else ["{ ?s ?p ?o }"]
            parts.append(f"{{ GRAPH ?g {{ ?s ?p ?o }} {_NOT_CLOSURE} }}")
            sparql = f"SELECT * WHERE {{ VALUES (?s ?p ?o) {{ {values} }} {' UNION '.join(parts)} }}"
            for row in self.rows(sparql):
                found.append(Quad(row["s"], row["p"], row["o"], row.get("g", DefaultGraph())))  # type: ignore[arg-type]
        return found

    def apply(
        self,
        *,
        removed: Sequence[Quad],
        added: Sequence[Quad],
        created: Sequence[NamedNode],
        dropped: Sequence[NamedNode],
        mark: Quad,
    ) -> None:
        """One update; many added quads go in Graph Store POSTs after it (engines cap an update's size)."""
        self._check_writable()
        later: Sequence[Quad] = ()
        if len(added) > INSERT_BATCH and self.client.has("store"):
            added, later = (), added
        self.update(write_operations(removed, [mark, *added], created, dropped))
        if later:
            self.add(later)

    def add_ntriples(self, data: IO[bytes], graphs: Sequence[NamedNode]) -> None:
        lines = iter(data)
        while chunk := b"".join(itertools.islice(lines, POST_LINES)):
            for graph in graphs:
                if self.client.has("store"):
                    self.client.request(
                        "store",
                        "POST",
                        fields=[("graph", graph.value)],
                        body=chunk,
                        headers={"Content-Type": "application/n-triples"},
                        timeout=None,
                    )
                else:
                    triples = [q.triple for q in parse(chunk, RdfFormat.N_TRIPLES)]
                    for batch in _batches(
                        (Quad(t.subject, t.predicate, t.object, graph) for t in triples), INSERT_BATCH
                    ):
                        self.update(f"INSERT DATA {{\n{quad_block(batch)}\n}}")

    def clear_inferred(self) -> int:
        g = GRAPH_INFERRED
        keep = f"{KEEP_STATE} FILTER(?p != {LEASE_UNTIL})"
        row = next(self.rows(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {g} {{ ?s ?p ?o }} {keep} }}"), {})
        count = row.get("n")
        self.update(f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} {keep} }}")
        return int(count.value) if isinstance(count, Literal) else 0

    def drop_graph(self, graph: NamedNode) -> None:
        self.update(f"DROP SILENT GRAPH {graph}")  # the engine's own business


def _into(quad: Quad, target: GraphName) -> Quad:
    """The quad moved into ``target`` when it is in the default graph (a file of triples loaded into a graph)."""
    if isinstance(quad.graph_name, DefaultGraph) and not isinstance(target, DefaultGraph):
        return Quad(quad.subject, quad.predicate, quad.object, target)
    return quad


def _batches(quads: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for quad in quads:
        batch.append(quad)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
