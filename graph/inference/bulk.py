"""The bulk path: a whole closure computed in memory in a child process, then written to the store in bulk.

Rounds of SPARQL over delta graphs (:mod:`.engine`) are right for a write of a few triples; for a closure from
scratch, a large file or a large delta they pay a store lookup for every candidate derivation. Past
:attr:`BulkThresholds.reasoning_quads` the writer instead

1. dumps the asserted graphs, and the inferred graph as it is, to N-Triples files;
2. computes the closure in a child process (:mod:`.memory`: the same rules, over integer triples; its memory
   goes back to the system when it ends), and compares it with the inferred graph as it is: the child hands
   the triples to add over in chunks while it still reasons (the closure only grows), after the schema's
   fingerprint, and the triples to remove at the end, as N-Triples files;
3. adds each chunk as it comes, then removes what goes, in bounded batches (a remote engine refuses one huge
   update), the closure marked pending meanwhile by the caller, as every write does: a crash leaves it
   pending and the next writable open computes it again. What it adds goes to the closure graph too, and
   what it removes leaves it where no asserted graph holds it (:mod:`.closure_graph`).

A bulk load (:func:`load_in_bulk`) is the same job with a file beside the dumps, taken before it is loaded:
the child parses the file first (a syntax error stops the load with nothing written), names its blank nodes
afresh and writes it as canonical lines; the writer loads those into the store while the child reasons over
the dumps and the file together (two cores at work, and the file is never dumped back out of the store).

The state triples are the caller's, as on the store-resident path, so both paths leave the same store. This
module is the writer's side; the child's is :mod:`.bulk_child`.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode, Quad, RdfFormat, parse, serialize

from ..namespaces import GRAPH_CLOSURE, GRAPH_INFERRED
from . import closure_graph
from .batched import add_lines, batch_lines, dump_asserted, line_batches, renewer
from .bulk_child import BulkJob, BulkResult, LoadedFile, compute, whole_mark
from .memory import text
from .schema import CompiledSchema, read_schema

if TYPE_CHECKING:
    from ..store import KnowledgeGraph
    from .schema import TermTriple

#: A retraction of more triples than this, and than :attr:`BulkThresholds.retraction_share` of the store, is
#: reasoned over in bulk. Random data triples removed at once, the store path against the bulk path (2026-12-07,
#: a quiet machine): 1,274 of the 1M-triple university (2.98M quads) 6.0 s against 36.1 s, 12,744 of them 45.8 s
#: against 45.9 s; 999 of the 20,000-model catalogue (833k quads) 4.0 s against 5.1 s. Below 500 the store
#: path is the quicker on both.
BULK_RETRACTION_MIN = 500


@dataclass(frozen=True)
class BulkThresholds:
    """When a write takes the bulk path instead of rounds in the store (the settings
    ``GENAI_KG_BULK_REASONING_QUADS`` and ``GENAI_KG_BULK_RETRACTION_SHARE``; see ``docs/inference.md``)."""

    #: A change (asserted triples added and removed) larger than this, or a closure from scratch of a store
    #: holding this many quads or more.
    reasoning_quads: int = 50_000
    #: A retraction of more than this share of the store's quads (and of more than :data:`BULK_RETRACTION_MIN`
    #: triples): DRed costs about 3.5 to 4.7 ms a triple removed on the university and the catalogue, where the
    #: bulk path costs about 6 to 15 µs a quad the store holds; they cross near 0.4% and 0.15% of the quads.
    retraction_share: float = 0.001


#: How often the write turn is renewed while the child computes.
RENEW_SECONDS = 5.0
#: How often the writer looks whether the child has handed something over (see :class:`_Writer`).
POLL_SECONDS = 0.02


class _Writer:
    """The writer's side of a job: it writes what the child hands over as it comes (the loaded file's
    canonical lines first, then the chunks of added triples once the schema is checked)."""

    def __init__(
        self, kg: KnowledgeGraph, job: BulkJob, expected: Callable[[], str], loaded: Callable[[], None]
    ) -> None:
        self.kg, self.job, self.expected, self.loaded = kg, job, expected, loaded
        self.waiting = job.load is not None
        self.checked = False
        self.next = 0

    def feed(self) -> None:
        """Dump what the child reads, each dump marked whole when written (the child reads it as it grows)."""
        kg, job = self.kg, self.job
        with job.asserted.open("wb") as output:
            dump_asserted(kg, output)
        whole_mark(job.asserted).touch()
        if job.retracted is None:
            with job.inferred.open("wb") as output:
                kg.backend.dump(output, RdfFormat.N_TRIPLES, from_graph=GRAPH_INFERRED, prefixes=None)
        whole_mark(job.inferred).touch()

    def take(self) -> None:
        job = self.job
        if self.waiting:
            if job.load is None or not job.load.canonical.exists():
                return
            self.loaded()
            self.waiting = False
        while (chunk := job.added(self.next)).exists():
            if not self.checked:  # nothing reaches the inferred graph from rules of another schema
                _check(job.fingerprint.read_text(), self.expected())
                self.checked = True
            add_inferred(self.kg, chunk)
            self.next += 1


def run(
    job: BulkJob, writer: _Writer, *, in_process: bool = False, renew: Callable[[], None] = lambda: None
) -> BulkResult:
    """Run ``job`` in a new Python process (its memory is the system's again when it ends), or here, while
    ``writer`` takes what it hands over; ``renew`` keeps the write turn meanwhile (a remote engine's lease
    lapses unless renewed).

    A plain process rather than :mod:`multiprocessing`: the caller may be a script, a server thread or a
    worker, and a spawned child would import the caller's main module again."""
    if in_process:
        writer.feed()
        result = compute(job)
    else:
        result = _in_child(job, writer, renew)
    if result.refused is None:
        writer.take()  # what the child wrote after the writer last looked
    return result


def _in_child(job: BulkJob, writer: _Writer, renew: Callable[[], None]) -> BulkResult:
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
    command = [sys.executable, "-c", "from graph.inference.bulk_child import child_main; child_main()"]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as child:
        try:
            assert child.stdin is not None
            child.stdin.write(pickle.dumps(job))
            child.stdin.flush()
            writer.feed()  # the child reads the dumps as they grow
            renewed = time.monotonic()
            while True:
                try:
                    out, err = child.communicate(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    writer.take()
                    if time.monotonic() - renewed >= RENEW_SECONDS:
                        renew()
                        renewed = time.monotonic()
        except BaseException:
            child.kill()
            raise
    if child.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"the bulk reasoner stopped (exit status {child.returncode}): {' / '.join(tail)}")
    result = pickle.loads(out)
    assert isinstance(result, BulkResult)
    return result


def add_inferred(kg: KnowledgeGraph, added: Path) -> None:
    """Add a file of the child's triples to the inferred graph and the closure graph."""
    add_lines(kg, added, (GRAPH_INFERRED, GRAPH_CLOSURE))


def remove_inferred(kg: KnowledgeGraph, removed: Path) -> None:
    """Remove a file of the child's triples from the inferred graph, in bounded batches, then from the closure
    graph those no asserted graph holds."""
    renew = renewer(kg)
    for chunk in line_batches(removed, batch_lines(kg)):
        renew()
        triples = (q.triple for q in parse(chunk, RdfFormat.N_TRIPLES))
        kg.backend.remove([Quad(t.subject, t.predicate, t.object, GRAPH_INFERRED) for t in triples])
    closure_graph.retire_file(kg, removed)


def materialize_in_bulk(
    kg: KnowledgeGraph,
    fingerprint: str,
    *,
    in_process: bool = False,
    retracted: Sequence[TermTriple] | None = None,
) -> BulkResult:
    """Make the inferred graph the closure of the asserted graphs through the bulk path (the caller holds the
    write turn and has marked the closure pending); ``fingerprint`` is the schema's as the caller read it.

    ``retracted``: the write only took these triples out of every asserted graph, the closure was current
    before it, and the schema is unchanged; the inferred graph is then not dumped (see :func:`_retract`)."""
    with tempfile.TemporaryDirectory(prefix="genai-kg-bulk-") as folder:
        job = BulkJob.in_folder(Path(folder), retracted=retracted is not None)
        if job.retracted is not None and retracted is not None:
            with job.retracted.open("wb") as output:
                output.writelines(b"%s %s %s .\n" % (text(s), text(p), text(o)) for s, p, o in retracted)
        writer = _Writer(kg, job, lambda: fingerprint, lambda: None)
        result = run(job, writer, in_process=in_process, renew=renewer(kg))
        _check(result.fingerprint, fingerprint)
        remove_inferred(kg, job.removed)
    return result


def _as_triples(load: LoadedFile, path: Path) -> Path:
    """The loaded file's canonical lines as N-Triples (the closure graph holds triples), in ``path`` if need be."""
    if load.canonical_format == RdfFormat.N_TRIPLES:
        return load.canonical
    with load.canonical.open("rb") as lines, path.open("wb") as output:
        serialize((q.triple for q in parse(lines, RdfFormat.N_QUADS)), output, format=RdfFormat.N_TRIPLES)
    return path


def _check(found: str, expected: str) -> None:
    if found != expected:
        raise RuntimeError(f"the bulk path compiled another schema ({found}) than the store's ({expected})")


def load_in_bulk(
    kg: KnowledgeGraph,
    source: Path,
    format: RdfFormat,
    *,
    to_graph: NamedNode | None,
    base_iri: str,
    read: Callable[[], None] = lambda: None,
) -> tuple[BulkResult, int, CompiledSchema]:
    """Load a file and bring the inferred graph up to date with it (the caller holds the write turn and has
    marked the closure pending). The child parses the file; the writer loads its canonical lines, then the
    triples the closure adds, while the child still reasons; what it removes goes last. Returns the child's
    result, the quads the store gained and the schema it holds now. A file that does not parse raises
    :class:`BadData` with nothing written; ``read`` is called once the child has read the whole file."""
    with tempfile.TemporaryDirectory(prefix="genai-kg-bulk-") as folder:
        root = Path(folder)
        load = LoadedFile(
            source,
            format.media_type,
            base_iri,
            to_graph.value if to_graph is not None else None,
            kg.backend.shared,
            root / ("loaded.nq" if format.supports_datasets else "loaded.nt"),
        )
        job = BulkJob.in_folder(root, load=load)
        gained: list[int] = []
        schemas: list[CompiledSchema] = []

        def write_loaded() -> None:
            read()
            before = len(kg)
            graph = None if load.canonical_format == RdfFormat.N_QUADS else to_graph  # the quads name their graphs
            with load.canonical.open("rb") as lines:
                kg.backend.bulk_load(lines, load.canonical_format, to_graph=graph, base_iri=base_iri)
            gained.append(len(kg) - before)
            add_lines(kg, _as_triples(load, root / "loaded-triples.nt"), (GRAPH_CLOSURE,))

        def schema_now() -> str:  # the store's schema once the file is in it
            if not schemas:
                schemas.append(read_schema(kg))
            return schemas[0].fingerprint

        result = run(job, _Writer(kg, job, schema_now, write_loaded), in_process=kg.bulk_in_process, renew=renewer(kg))
        result.raise_refusal()
        _check(result.fingerprint, schema_now())
        remove_inferred(kg, job.removed)
    return result, gained[0], schemas[0]
