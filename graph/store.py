"""The knowledge graph's store: an Oxigraph dataset on disk (or in memory) and the way it is queried.

Every read goes through :meth:`KnowledgeGraph.query`, which decides what the default graph is: the union of
all graphs (asserted and inferred) by default, or everything but the inferred graph with ``infer=False``.
Every write goes through :meth:`KnowledgeGraph.update`, :meth:`KnowledgeGraph.replace_graph` or
:meth:`KnowledgeGraph.add_quads`, which notify the listeners (inference keeps itself current that way).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
    Variable,
)

from .dataset_clauses import query_names_dataset
from .errors import BadQuery, NotFound, ReadOnly
from .namespaces import GRAPH_INFERRED, PREFIXES

Term = NamedNode | BlankNode | Literal | Triple
QueryResult = QuerySolutions | QueryBoolean | QueryTriples


@dataclass(frozen=True)
class Change:
    """What a write did, as far as it is known: the quads it added and removed, or the update that ran."""

    added: tuple[Quad, ...] = ()
    #: Quads that were in the store before the write and may be gone (a replaced graph's old content).
    removed: tuple[Quad, ...] = ()
    update: str | None = None
    base_iri: str | None = None
    #: True when the write's effect is not known quad by quad (bulk loads, graph replacement).
    unknown: bool = False


Listener = Callable[["KnowledgeGraph", Change], None]


class KnowledgeGraph:
    """An Oxigraph store with genai-kg's named graphs, its read rules and its write notifications."""

    def __init__(self, store: Store, *, path: Path | None = None, read_only: bool = False) -> None:
        self.store = store
        self.path = path
        self.read_only = read_only
        self._listeners: list[Listener] = []
        #: Services attached to this store (the reasoner lives at ``extensions["inference"]``).
        self.extensions: dict[str, Any] = {}

    @classmethod
    def open(cls, path: str | Path | None = None, *, read_only: bool = False) -> KnowledgeGraph:
        """Open the store at ``path`` (created when missing), or an in-memory store when ``path`` is None."""
        if path is None:
            return cls(Store(), read_only=read_only)
        path = Path(path)
        if read_only:
            if not path.exists():
                raise NotFound(f"no store at {path}")
            return cls(Store.read_only(str(path)), path=path, read_only=True)
        path.mkdir(parents=True, exist_ok=True)
        return cls(Store(str(path)), path=path)

    def close(self) -> None:
        """Flush what is written; the store object is released when the last reference goes."""
        if self.path is not None and not self.read_only:
            self.store.flush()

    def is_empty(self) -> bool:
        return len(self.store) == 0

    def __len__(self) -> int:
        return len(self.store)

    # -- reads ---------------------------------------------------------------------------------------

    def named_graphs(self, *, infer: bool = True) -> list[NamedNode | BlankNode]:
        """The store's named graphs, without the inferred graph when ``infer`` is false."""
        graphs = list(self.store.named_graphs())
        return graphs if infer else [g for g in graphs if g != GRAPH_INFERRED]

    def query(
        self,
        sparql: str,
        *,
        infer: bool = True,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
        substitutions: Mapping[str, Term] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        """Evaluate a SPARQL query; the default graph is the union of the graphs ``infer`` lets it see.

        Explicit ``default_graph_uris``/``named_graph_uris`` (the protocol's dataset), or else the query's own
        ``FROM``/``FROM NAMED``, win over that rule.

        >>> kg = KnowledgeGraph.open()
        >>> bool(kg.query("ASK { ?s ?p ?o }"))
        False
        """
        options: dict[str, Any] = {"base_iri": base_iri, "prefixes": PREFIXES}
        try:
            defaults = [NamedNode(iri) for iri in default_graph_uris]
            named = [NamedNode(iri) for iri in named_graph_uris]
        except ValueError as error:
            raise BadQuery(f"a dataset graph is not an IRI: {error}") from error
        if defaults or named:
            # the protocol's dataset is exactly the graphs it names (SPARQL 1.1 Protocol, 2.1.4)
            options["default_graph"] = defaults
            options["named_graphs"] = named
        elif query_names_dataset(sparql):
            pass  # FROM/FROM NAMED in the query decide; the union rule must not replace them
        elif infer:
            options["use_default_graph_as_union"] = True
        else:
            visible = self.named_graphs(infer=False)
            options["default_graph"] = [DefaultGraph(), *visible]
            options["named_graphs"] = visible
        if substitutions:
            options["substitutions"] = {Variable(name): term for name, term in substitutions.items()}
        try:
            return self.store.query(sparql, **options)
        except SyntaxError as error:
            raise BadQuery(str(error)) from error
        except RuntimeError as error:  # Oxigraph's evaluation errors: unknown function, bad dataset, …
            raise BadQuery(f"the query cannot be evaluated: {error}") from error

    # -- writes --------------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(self, change)`` after every write (used to keep inferences current)."""
        self._listeners.append(listener)

    def _changed(self, change: Change) -> None:
        for listener in self._listeners:
            listener(self, change)

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnly("this store is open read-only")

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update atomically: it applies whole or not at all."""
        self._check_writable()
        try:
            self.store.update(sparql, base_iri=base_iri, prefixes=PREFIXES)
        except SyntaxError as error:
            raise BadQuery(str(error)) from error
        except RuntimeError as error:  # e.g. DROP GRAPH of a graph that does not exist (without SILENT)
            raise BadQuery(f"the update failed and changed nothing: {error}") from error
        self._changed(Change(update=sparql, base_iri=base_iri))

    def add_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction."""
        self._check_writable()
        quads = tuple(quads)
        self.store.extend(quads)
        self._changed(Change(added=quads))

    def bulk_load(
        self, input: IO[bytes], format: RdfFormat, *, to_graph: NamedNode | DefaultGraph | None, base_iri: str
    ) -> None:
        """Load a large file with Oxigraph's bulk loader: fast and atomic, but nothing else may write meanwhile.

        A syntax error raises :class:`SyntaxError` with nothing written (Oxigraph 0.5 commits at the end).
        """
        self._check_writable()
        self.store.bulk_load(input, format, base_iri=base_iri, to_graph=to_graph)
        self._changed(Change(unknown=True))

    def replace_graphs(self, contents: Mapping[NamedNode | DefaultGraph, Iterable[Quad]]) -> dict[str, int]:
        """Make each graph hold exactly the given quads, all in one transaction; returns triples per graph.

        A named graph given no quads still exists afterwards (an empty graph, as the Graph Store Protocol wants).
        """
        self._check_writable()
        operations, counts = [], {}
        added: list[Quad] = []
        removed = [q for graph in contents for q in self.store.quads_for_pattern(None, None, None, graph)]
        for graph, given in contents.items():
            quads = list(given)
            added += (Quad(q.subject, q.predicate, q.object, graph) for q in quads)
            lines = [f"{q.subject} {q.predicate} {q.object} ." for q in quads]
            counts[str(graph)] = len(lines)
            body = "\n".join(lines)
            if isinstance(graph, DefaultGraph):
                operations += ["DROP SILENT DEFAULT", f"INSERT DATA {{\n{body}\n}}"]
            else:
                operations += [
                    f"DROP SILENT GRAPH {graph}",
                    f"CREATE SILENT GRAPH {graph}",
                    f"INSERT DATA {{ GRAPH {graph} {{\n{body}\n}} }}",
                ]
        self.store.update(" ;\n".join(operations))
        self._changed(Change(added=tuple(added), removed=tuple(removed)))
        return counts
