"""The knowledge graph: genai-kg's named graphs over a store (embedded or remote), and the way it is queried.

Every read goes through :meth:`KnowledgeGraph.query`, which decides what the default graph is: the union of
all graphs (asserted and inferred) by default, or everything but the inferred graph with ``infer=False``.
Every write goes through :meth:`KnowledgeGraph.update`, :meth:`KnowledgeGraph.replace_graph` or
:meth:`KnowledgeGraph.add_quads`, which notify the listeners (inference keeps itself current that way).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, RdfFormat, Store

from .backend import GRAPH_RESULTS, Backend, Dataset, EmbeddedBackend, GraphName, QueryResult, Term, quad_block
from .dataset_clauses import query_names_dataset
from .errors import BadQuery, EngineError, NotFound, ReadOnly
from .namespaces import GRAPH_INFERRED, PREFIXES
from .outbound import remote_failure
from .sparql_lexer import called_endpoints

__all__ = ["GRAPH_RESULTS", "Change", "KnowledgeGraph", "QueryResult", "Term"]


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
    """A store (embedded or remote) with genai-kg's named graphs, its read rules and its write notifications."""

    def __init__(self, backend: Backend, *, path: Path | None = None) -> None:
        self.backend = backend
        self.path = path
        self._listeners: list[Listener] = []
        #: Services attached to this store (the reasoner lives at ``extensions["inference"]``).
        self.extensions: dict[str, Any] = {}
        #: Changes with every committed write: what caches and HTTP validators are keyed by.
        self.generation = "0"

    @classmethod
    def open(cls, path: str | Path | None = None, *, read_only: bool = False) -> KnowledgeGraph:
        """Open the store at ``path`` (created when missing), or an in-memory store when ``path`` is None."""
        if path is None:
            return cls(EmbeddedBackend.open(None, read_only=read_only))
        path = Path(path)
        if read_only and not path.exists():
            raise NotFound(f"no store at {path}")
        return cls(EmbeddedBackend.open(path, read_only=read_only), path=path)

    @property
    def read_only(self) -> bool:
        return self.backend.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self.backend.read_only = value

    @property
    def store(self) -> Store:
        """The embedded pyoxigraph store (checkpoints and worker processes need its files)."""
        if not isinstance(self.backend, EmbeddedBackend):
            raise TypeError(f"the knowledge graph at {self.backend.location} is not an embedded store")
        return self.backend.store

    def close(self) -> None:
        """Flush what is written; the store object is released when the last reference goes."""
        self.backend.close()

    def is_empty(self) -> bool:
        return self.backend.is_empty()

    def __len__(self) -> int:
        return self.backend.count()

    # -- reads ---------------------------------------------------------------------------------------

    def named_graphs(self, *, infer: bool = True) -> list[NamedNode | BlankNode]:
        """The store's named graphs, without the inferred graph when ``infer`` is false."""
        graphs = self.backend.named_graphs()
        return graphs if infer else [g for g in graphs if g != GRAPH_INFERRED]

    def quads(
        self,
        subject: Term | None = None,
        predicate: NamedNode | None = None,
        object: Term | None = None,
        graph: GraphName | None = None,
    ) -> Iterator[Quad]:
        """The quads that match a pattern (None matches anything; ``graph`` None means every graph)."""
        return self.backend.quads(subject, predicate, object, graph)

    def contains_named_graph(self, graph: NamedNode | BlankNode) -> bool:
        return self.backend.contains_named_graph(graph)

    def dump(
        self,
        output: IO[bytes],
        format: RdfFormat,
        *,
        from_graph: GraphName | None = None,
        prefixes: dict[str, str] | None = None,
    ) -> None:
        """Write the dataset (or one graph) to ``output``."""
        self.backend.dump(output, format, from_graph=from_graph, prefixes=prefixes)

    def dataset(
        self,
        sparql: str,
        *,
        infer: bool = True,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> Dataset:
        """The dataset a query runs over: the protocol's graphs, else its own FROM, else the union rule."""
        try:
            defaults = tuple(NamedNode(iri) for iri in default_graph_uris)
            named = tuple(NamedNode(iri) for iri in named_graph_uris)
        except ValueError as error:
            raise BadQuery(f"a dataset graph is not an IRI: {error}") from error
        if defaults or named:
            # the protocol's dataset is exactly the graphs it names (SPARQL 1.1 Protocol, 2.1.4)
            return Dataset(default=defaults, named=named)
        if query_names_dataset(sparql):
            return Dataset()  # FROM/FROM NAMED in the query decide; the union rule must not replace them
        if infer:
            return Dataset(union=True)
        visible = tuple(self.named_graphs(infer=False))
        return Dataset(default=(DefaultGraph(), *visible), named=visible)

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
        dataset = self.dataset(
            sparql, infer=infer, default_graph_uris=default_graph_uris, named_graph_uris=named_graph_uris
        )
        try:
            return self.backend.query(sparql, dataset, substitutions=substitutions, base_iri=base_iri)
        except SyntaxError as error:
            raise BadQuery(str(error)) from error
        except RuntimeError as error:  # evaluation errors: unknown function, bad dataset, …
            raise BadQuery(f"the query cannot be evaluated: {error}") from error
        except (OSError, EngineError) as error:  # a SERVICE call that failed, or the store itself (500)
            if called_endpoints(sparql, PREFIXES):
                raise BadQuery(remote_failure(error)) from None
            raise

    # -- writes --------------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(self, change)`` after every write (used to keep inferences current)."""
        self._listeners.append(listener)

    def _changed(self, change: Change) -> None:
        self.generation = str(int(self.generation) + 1)
        for listener in self._listeners:
            listener(self, change)

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnly("this store is open read-only")

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update atomically: it applies whole or not at all."""
        self._check_writable()
        try:
            self.backend.update(sparql, base_iri=base_iri)
        except SyntaxError as error:
            raise BadQuery(str(error)) from error
        except RuntimeError as error:  # e.g. DROP GRAPH of a graph that does not exist (without SILENT)
            raise BadQuery(f"the update failed and changed nothing: {error}") from error
        self._changed(Change(update=sparql, base_iri=base_iri))

    def add_quads(self, quads: Iterable[Quad]) -> None:
        """Add quads in one transaction."""
        self._check_writable()
        quads = tuple(self.backend.storable(quads))
        self.backend.add(quads)
        self._changed(Change(added=quads))

    def bulk_load(
        self, input: IO[bytes], format: RdfFormat, *, to_graph: NamedNode | DefaultGraph | None, base_iri: str
    ) -> None:
        """Load a large file with Oxigraph's bulk loader: fast and atomic, but nothing else may write meanwhile.

        A syntax error raises :class:`SyntaxError` with nothing written (Oxigraph 0.5 commits at the end).
        """
        self._check_writable()
        self.backend.bulk_load(input, format, to_graph=to_graph, base_iri=base_iri)
        self._changed(Change(unknown=True))

    def replace_graphs(self, contents: Mapping[NamedNode | DefaultGraph, Iterable[Quad]]) -> dict[str, int]:
        """Make each graph hold exactly the given quads, all in one transaction; returns triples per graph.

        A named graph given no quads still exists afterwards (an empty graph, as the Graph Store Protocol wants).
        """
        self._check_writable()
        operations, counts = [], {}
        added: list[Quad] = []
        removed = [q for graph in contents for q in self.backend.quads(None, None, None, graph)]
        for graph, given in contents.items():
            quads = [Quad(q.subject, q.predicate, q.object, graph) for q in self.backend.storable(given)]
            added += quads
            counts[str(graph)] = len(quads)
            body = quad_block(quads)
            if isinstance(graph, DefaultGraph):
                operations += ["DROP SILENT DEFAULT", f"INSERT DATA {{\n{body}\n}}"]
            else:
                operations += [
                    f"DROP SILENT GRAPH {graph}",
                    f"CREATE SILENT GRAPH {graph}",
                    f"INSERT DATA {{\n{body}\n}}",
                ]
        try:
            self.backend.update(" ;\n".join(operations))
        except (SyntaxError, RuntimeError) as error:
            raise BadQuery(f"the engine refused the write, and nothing changed: {error}") from error
        self._changed(Change(added=tuple(added), removed=tuple(removed)))
        return counts
