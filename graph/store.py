"""The knowledge graph: genai-kg's named graphs over a store (embedded or remote), and the way it is queried.

Every read goes through :meth:`KnowledgeGraph.query`, which decides what the default graph is: every asserted
and inferred triple by default (the closure graph, :data:`~graph.namespaces.GRAPH_CLOSURE`, which holds each
once), or the asserted graphs alone with ``infer=False``.
Every write is a :class:`~graph.delta.Delta` given to :meth:`KnowledgeGraph.write`, which applies it, reasons
over it and publishes a new generation, in that order (:meth:`~KnowledgeGraph.update`,
:meth:`~KnowledgeGraph.add_quads` and :meth:`~KnowledgeGraph.replace_graphs` build their delta and call it);
big files go through :meth:`KnowledgeGraph.bulk_load`, which loads the file while the bulk reasoner reasons over it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, RdfFormat, Store, Triple

from .backend import GRAPH_RESULTS, Backend, Dataset, GraphName, QueryResult, Term
from .builds import MISSING, Builds, Recipe, beside
from .dataset_clauses import query_names_dataset
from .deadline import NONE as NO_DEADLINE
from .deadline import bounded_by
from .delta import Delta
from .embedded import EmbeddedBackend
from .errors import BadData, BadQuery, EngineError, NotFound, ReadOnly, TooLarge
from .inference import closure_graph
from .inference.bulk import BulkThresholds
from .inference.reasoner import Change, Report, materialize, reason, reason_over_load
from .inference.state import mark_pending, new_write, pending_quad, read_generation, read_state
from .inference.state import publish as publish_state
from .namespaces import GRAPH_CLOSURE, GRAPH_INFERRED, PREFIXES, is_reasoners, is_view
from .outbound import NOWHERE, remote_failure
from .sparql_lexer import called_endpoints
from .updates import PlanContext, parse_update

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["GRAPH_RESULTS", "KnowledgeGraph", "QueryResult", "Term", "WriteReport"]

#: The most quads one write may remove and add (a larger change is a bulk load: ``genai-kg load``).
MAX_WRITE_QUADS = 2_000_000


@dataclass(frozen=True)
class WriteReport:
    """What one write did: asserted quads removed and added, inferred triples removed and added, the new generation."""

    removed: int
    added: int
    inferred_removed: int
    inferred_added: int
    generation: str
    seconds: float
    #: True when the closure was computed again from the schema up (the write changed the ontology).
    full: bool = False


class KnowledgeGraph:
    """A store (embedded or remote) with genai-kg's named graphs, its read rules and its write notifications."""

    def __init__(self, backend: Backend, *, path: Path | None = None) -> None:
        self.backend = backend
        self.path = path
        #: Caches of this store's readers (statistics…), each keyed by the :attr:`generation` it was computed at.
        self.extensions: dict[str, Any] = {}
        #: Where :meth:`cached` also keeps its builds, for other processes on the same store (on-disk stores).
        self.builds: Builds | None = None if path is None else Builds(beside(path))
        #: The most quads :meth:`write` takes in one delta.
        self.max_write_quads = MAX_WRITE_QUADS
        #: When a write is reasoned over in bulk (:mod:`.inference.bulk`; a bulk load always is).
        self.bulk = BulkThresholds()
        #: Compute the bulk path's closure in this process instead of a child (tests: no process start).
        self.bulk_in_process = False
        #: Told ``True`` when :meth:`cached` starts building an index and ``False`` when it is done (a query
        #: worker tells its pool, which does not count the build against the request's budget).
        self.on_build: Callable[[bool], None] | None = None
        #: The generation as last read or published, where only this process writes (see :attr:`generation`).
        self._generation: str | None = None
        self._generation_lock = threading.Lock()
        #: :meth:`named_graphs` at a generation (see :meth:`_named_graphs`), and how many writes are in progress.
        self._named: tuple[str, tuple[NamedNode | BlankNode, ...]] | None = None
        self._writes = 0
        #: One lock per :meth:`cached` key: a build is made once while other threads wait for it.
        self._building: dict[str, threading.Lock] = {}

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

    def cached(self, key: str, build: Callable[..., T], *args: Any) -> T:
        """``build(self, *args)``, computed at most once per :attr:`generation` and kept in :attr:`extensions`
        until a write changes it: what readers build over the whole store (reconciliation's matcher, search's
        names, VoID's statistics, the pages' charts). An on-disk store also keeps it in :attr:`builds`, where
        the other processes on the store (and this one after a restart) read it instead of building it again,
        with its recipe (``build`` and ``args``, to make it again after a write before anybody asks: a function
        of this package, picklable arguments). A build, or a read of one, is announced to :attr:`on_build`."""
        generation = self.generation
        found = self.extensions.get(key)
        if found is not None and found[0] == generation:
            return cast(T, found[1])
        with self._generation_lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:  # threads that ask meanwhile (a remote engine's request threads) wait for this build
            found = self.extensions.get(key)
            if found is not None and found[0] == generation:
                return cast(T, found[1])
            announce = self.on_build
            if announce is not None:
                announce(True)
            # a build is not timed against the request that needs it first (it grows with the store, not with
            # the request): over a remote engine its requests have the engine's timeout, not the work's deadline
            with bounded_by(NO_DEADLINE):
                try:
                    value = MISSING if self.builds is None else self.builds.read(generation, key)
                    if value is MISSING:
                        value = build(self, *args)
                        if self.builds is not None:
                            self.builds.write(generation, key, value, Recipe.of(key, build, args))
                finally:
                    if announce is not None:
                        announce(False)
            self.extensions[key] = (generation, value)
        return cast(T, value)

    @property
    def generation(self) -> str:
        """The store's generation: changes with every committed write, the same in every process ("" when the
        store was never reasoned over). Snapshots and caches compare it instead of listening for writes.

        Every request that gets a validator or a snapshot asks for it. An embedded store is written by one
        process at most (RocksDB's lock; a read-only opener reads a store nobody writes), so there it is read
        once and then kept by :meth:`publish`; a remote engine, which other processes write too, is asked
        each time.
        """
        if self.backend.shared:
            return read_generation(self) or ""
        with self._generation_lock:
            if self._generation is None:
                self._generation = read_generation(self) or ""
            return self._generation

    def publish(self, *, schema: str, report: Report, compact: bool = False) -> str:
        """Step 5 of a write: mark the closure current under a new generation (:func:`.inference.state.publish`),
        and keep that generation.

        With ``compact`` (a bulk load, a closure computed from nothing, ``infer --force``: writes that rewrite
        most of a store, or cost in proportion to all of it already), the store's files are compacted before the write turn
        ends, so that the checkpoint the query workers read next is too. A bulk load leaves dozens of
        overlapping files, which RocksDB would merge in the background while serving, and a checkpoint of them
        (read-only: never merged) kept every query slower until the next write: on the 20,000-model catalogue,
        just loaded, the benchmark's join took 13.6 ms and a look-up 0.59 ms, against 6.5 and 0.39 ms once
        compacted (5.5 s, paid once here). Other writes leave the merging to RocksDB: compacting costs time in
        proportion to the whole store (7 to 29 s at LUBM(10)'s size), too much for a 1% retraction. Meanwhile
        this process goes on telling the generation before (an embedded store's is kept in memory), so that
        readers keep their checkpoint instead of waiting for the write turn to take a new one.
        """
        generation = publish_state(self, schema=schema, report=report.as_json())
        if compact:
            try:
                self.backend.compact()
            except OSError as error:  # a full disk, say: the write stands, and RocksDB merges the files later
                log.warning("could not compact %s after a large write: %s", self.backend.location, error)
        with self._generation_lock:
            self._generation = generation
        return generation

    @contextmanager
    def writing(self) -> Iterator[object]:
        """Hold the store's write turn (a lock here, a lease in a remote engine) for a sequence of writes."""
        with self.backend.writer() as turn:
            self._writes += 1
            try:
                yield turn
            finally:
                self._writes -= 1
                self._named = None

    def __len__(self) -> int:
        return self.backend.count()

    # -- reads ---------------------------------------------------------------------------------------

    def named_graphs(self, *, infer: bool = True) -> list[NamedNode | BlankNode]:
        """The dataset's named graphs (not the closure graph, nor a write's temporary graphs), without the
        inferred graph when ``infer`` is false."""
        graphs = [g for g in self.backend.named_graphs() if not is_view(g)]
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
        """The dataset a query runs over: the protocol's graphs, else its own FROM, else the closure graph as
        the default graph (the asserted graphs with ``infer=False``) and the dataset's named graphs."""
        try:
            defaults = tuple(NamedNode(iri) for iri in default_graph_uris)
            named = tuple(NamedNode(iri) for iri in named_graph_uris)
        except ValueError as error:
            raise BadQuery(f"a dataset graph is not an IRI: {error}") from error
        if defaults or named:
            # the protocol's dataset is exactly the graphs it names (SPARQL 1.1 Protocol, 2.1.4)
            return Dataset(default=defaults, named=named)
        if query_names_dataset(sparql):
            return Dataset()  # FROM/FROM NAMED in the query decide; the rule below must not replace them
        graphs = self._named_graphs()
        if infer:
            return Dataset(default=(GRAPH_CLOSURE,), named=graphs)
        visible = tuple(g for g in graphs if g != GRAPH_INFERRED)
        return Dataset(default=(DefaultGraph(), *visible), named=visible)

    def _named_graphs(self) -> tuple[NamedNode | BlankNode, ...]:
        """:meth:`named_graphs`, read once per :attr:`generation` (every query's dataset lists them), and each
        time while a write is in progress (it may create graphs before it publishes its generation)."""
        if self._writes:
            return tuple(self.named_graphs())
        generation = self.generation
        found = self._named
        if found is None or found[0] != generation:
            found = self._named = (generation, tuple(self.named_graphs()))
        return found[1]

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
        """Evaluate a SPARQL query; the default graph holds what ``infer`` lets it see (see :meth:`dataset`).

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

    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnly("this store is open read-only")

    def write(self, delta: Delta) -> WriteReport:
        """Apply one change to the asserted graphs and bring the inferences up to date; the one way to write.

        1. refuse a delta that touches the inferred graph (:class:`ReadOnly`) or is too large (:class:`TooLarge`);
        2. make it exact: remove only quads present, add only quads absent;
        3. apply it, with what it newly asserts added to the closure graph, and mark the closure pending, in one
           transaction;
        4. reason over exactly that change (the inferred graph changes);
        5. mark the closure current under a new :attr:`generation`.
        """
        started = time.perf_counter()
        self._check_writable()
        touched = sorted(str(g) for g in delta.graphs() if is_reasoners(g))
        if touched:
            raise ReadOnly.reasoners(touched[0])
        if len(delta) > self.max_write_quads:
            raise TooLarge(
                f"a write of {len(delta)} quads is more than the {self.max_write_quads} one write may change; "
                "load large files with `genai-kg load`"
            )
        delta = Delta(
            removed=tuple(self.backend.storable(delta.removed)),
            added=tuple(self.backend.storable(delta.added)),
            created=delta.created,
            dropped=delta.dropped,
        )
        with self.writing():
            self._settle()
            exact, change, promoted = self._exact(delta)
            if not exact:
                return WriteReport(0, 0, 0, 0, self.generation, time.perf_counter() - started)
            write = new_write()
            self.backend.apply(
                removed=(*exact.removed, *promoted),
                added=(*exact.added, *closure_graph.quads(change.asserted)),
                created=exact.created,
                dropped=exact.dropped,
                mark=pending_quad(write),
            )
            report, schema = reason(self, change)
            generation = self.publish(schema=schema.fingerprint, report=report)
        return WriteReport(
            removed=len(exact.removed),
            added=len(exact.added),
            inferred_removed=report.removed + len(promoted),
            inferred_added=report.added,
            generation=generation,
            seconds=time.perf_counter() - started,
            full=report.full,
        )

    def _settle(self) -> None:
        """Compute the closure before a write if an earlier write stopped before it finished reasoning, other
        rules computed it, or quads were stored without one (an empty store has nothing to compute)."""
        status = read_state(self).status
        if status in ("pending", "stale") or (status == "absent" and not self.is_empty()):
            materialize(self)

    def _exact(self, delta: Delta) -> tuple[Delta, Change, list[Quad]]:
        """The delta without its no-ops, what it changes triple by triple, and the inferred quads it asserts."""
        triples = list(dict.fromkeys(q.triple for q in (*delta.removed, *delta.added)))
        present = set(self.backend.match([(t.subject, t.predicate, t.object) for t in triples]))
        added_wanted = set(delta.added)
        removed = [q for q in dict.fromkeys(delta.removed) if q in present and q not in added_wanted]
        added = [q for q in dict.fromkeys(delta.added) if q not in present]
        created = tuple(g for g in dict.fromkeys(delta.created) if not self.backend.contains_named_graph(g))
        dropped = tuple(g for g in dict.fromkeys(delta.dropped) if self.backend.contains_named_graph(g))
        graphs: dict[Triple, set[Any]] = {}
        inferred: set[Triple] = set()
        for quad in present:
            if quad.graph_name == GRAPH_INFERRED:
                inferred.add(quad.triple)
            else:
                graphs.setdefault(quad.triple, set()).add(quad.graph_name)
        after = {t: set(g) for t, g in graphs.items()}
        for quad in removed:
            after[quad.triple].discard(quad.graph_name)
        for quad in added:
            after.setdefault(quad.triple, set()).add(quad.graph_name)
        asserted = [t for t in dict.fromkeys(q.triple for q in added) if not graphs.get(t)]
        retracted = [t for t in dict.fromkeys(q.triple for q in removed) if not after.get(t)]
        promoted = [Quad(t.subject, t.predicate, t.object, GRAPH_INFERRED) for t in asserted if t in inferred]
        change = Change(
            asserted=tuple((t.subject, t.predicate, t.object) for t in asserted if t not in inferred),
            retracted=tuple((t.subject, t.predicate, t.object) for t in retracted),
        )
        return Delta(tuple(removed), tuple(added), created, dropped), change, promoted

    def update(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        using: Iterable[str] = (),
        using_named: Iterable[str] = (),
        context: PlanContext | None = None,
    ) -> WriteReport:
        """Run a SPARQL 1.1 Update: planned into the exact delta it causes (:mod:`.updates`), then written.

        It applies whole or not at all, inferences included. ``using``/``using_named`` are the protocol's
        ``using-graph-uri`` and ``using-named-graph-uri``; ``context`` bounds the planning (outbound calls,
        deadline, size). The server plans in a budgeted worker instead (``QueryService.update``).
        """
        self._check_writable()
        outbound = context.outbound if context is not None else NOWHERE
        update = parse_update(sparql, base_iri=base_iri, using=using, using_named=using_named, outbound=outbound)
        return self.write(update.plan(self, context))

    def add_quads(self, quads: Iterable[Quad]) -> WriteReport:
        """Add quads in one transaction (those present already are left alone)."""
        return self.write(Delta(added=tuple(quads)))

    def bulk_load(
        self,
        source: Path,
        format: RdfFormat,
        *,
        to_graph: NamedNode | DefaultGraph | None,
        base_iri: str,
        read: Callable[[], None] = lambda: None,
    ) -> WriteReport:
        """Load a large file with Oxigraph's bulk loader and bring the inferences up to date, all or nothing.

        The bulk path's child parses the whole file first, so a syntax error raises :class:`BadData` with its
        line and nothing written (``read`` is called once it is read whole); the store loads the parsed file
        while the child reasons over it (see :func:`.inference.bulk.load_in_bulk`).
        """
        started = time.perf_counter()
        self._check_writable()
        target = to_graph if isinstance(to_graph, NamedNode) else None
        if target is not None and is_reasoners(target):
            raise ReadOnly.reasoners(target)
        with self.writing():
            self._settle()
            write = new_write()
            mark_pending(self, write)
            try:
                report, schema, loaded = reason_over_load(
                    self, source, format, to_graph=target, base_iri=base_iri, read=read
                )
            except (BadData, TooLarge):  # refused before anything was loaded: the closure is as it was
                self.backend.remove([pending_quad(write)])
                raise
            generation = self.publish(schema=schema.fingerprint, report=report, compact=True)
        return WriteReport(
            0, loaded, report.removed, report.added, generation, time.perf_counter() - started, report.full
        )

    def replace_graphs(self, contents: Mapping[NamedNode | DefaultGraph, Iterable[Quad]]) -> dict[str, int]:
        """Make each graph hold exactly the given quads, all in one write; returns triples per graph.

        A named graph given no quads still exists afterwards (an empty graph, as the Graph Store Protocol wants).
        """
        removed: list[Quad] = []
        added: list[Quad] = []
        counts = {}
        for graph, given in contents.items():
            removed += self.backend.quads(None, None, None, graph)
            quads = [Quad(q.subject, q.predicate, q.object, graph) for q in given]
            added += quads
            counts[str(graph)] = len(quads)
        created = tuple(g for g in contents if isinstance(g, NamedNode))
        self.write(Delta(removed=tuple(removed), added=tuple(added), created=created))
        return counts
