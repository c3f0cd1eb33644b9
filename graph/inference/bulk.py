"""The bulk path: a whole closure computed in memory in a child process, then written to the store in bulk.

Rounds of SPARQL over delta graphs (:mod:`.engine`) are right for a write of a few triples; for a closure from
scratch, a large file or a large delta they pay a store lookup for every candidate derivation. Past
:data:`BULK_REASONING_QUADS` the writer instead

1. dumps the asserted graphs, and the inferred graph as it is, to N-Triples files;
2. computes the closure in a child process (:mod:`.memory`: the same rules, over integer triples; its memory
   goes back to the system when it ends), and compares it with the inferred graph as it is: the child hands
   the triples to add over in chunks while it still reasons (the closure only grows), after the schema's
   fingerprint, and the triples to remove at the end, as N-Triples files;
3. adds each chunk as it comes, then removes what goes, in bounded batches (a remote engine refuses one huge
   update), the closure marked pending meanwhile by the caller, as every write does: a crash leaves it
   pending and the next writable open computes it again.

A bulk load (:func:`load_in_bulk`) is the same job with a file beside the dumps, taken before it is loaded:
the child parses the file first (a syntax error stops the load with nothing written), names its blank nodes
afresh and writes it as canonical lines; the writer loads those into the store while the child reasons over
the dumps and the file together (two cores at work, and the file is never dumped back out of the store).

The state triples are the caller's, as on the store-resident path, so both paths leave the same store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, parse, serialize

from ..errors import BadData, TooLarge
from ..namespaces import GKR, GRAPH_INFERRED
from ..skolem import skolemize_quad
from .memory import BLANK, Closure, prepared, split_line, text
from .program import MEMBER
from .schema import CompiledSchema, read_schema

if TYPE_CHECKING:
    from ..store import KnowledgeGraph
    from .schema import TermTriple

#: Changes (asserted triples added and removed) or stores larger than this are reasoned over in bulk.
BULK_REASONING_QUADS = 50_000
#: A retraction of more triples than this, and than ``BULK_RETRACTION_SHARE`` of the store, too.
BULK_RETRACTION_MIN = 1_000
BULK_RETRACTION_SHARE = 0.001
#: Lines per write of the bulk path's output: one bulk-loader call here, one request to a remote engine.
EMBEDDED_BATCH_LINES = 200_000
#: About how many added triples the child hands the writer at a time while it reasons.
CHUNK_LINES = 200_000
REMOTE_BATCH_LINES = 5_000
#: How often the write turn is renewed while the child computes.
RENEW_SECONDS = 5.0
#: How often the writer looks whether the child has handed something over (see :class:`_Writer`).
POLL_SECONDS = 0.02
#: Bytes the child reads of a dump at a time.
READ_BYTES = 1 << 20

_INFERRED = text(GRAPH_INFERRED)
_REASONERS = ("<" + GKR).encode()
_MEMBER = text(MEMBER)


@dataclass(frozen=True)
class LoadedFile:
    """A file a bulk load adds: the child parses it and writes it to ``canonical`` as N-Triples (N-Quads when
    its format holds graphs), blank nodes named afresh (as Skolem IRIs with ``skolemize``: a remote engine
    cannot name a stored blank node), triples of the default graph in ``graph`` when one is given."""

    source: Path
    media_type: str
    base_iri: str
    graph: str | None
    skolemize: bool
    canonical: Path

    @property
    def format(self) -> RdfFormat:
        found = RdfFormat.from_media_type(self.media_type)
        assert found is not None
        return found

    @property
    def canonical_format(self) -> RdfFormat:
        return RdfFormat.N_QUADS if self.format.supports_datasets else RdfFormat.N_TRIPLES


@dataclass(frozen=True)
class BulkJob:
    """What the child reads (asserted triples, the inferred graph as it is) and writes (the difference).

    With ``retracted`` (the triples a write took out of every asserted graph, when the closure was current
    before it), the inferred graph is not read: see :func:`compute`. With ``load``, the file's triples are
    asserted too (see :func:`convert`)."""

    asserted: Path
    inferred: Path
    #: The folder the child writes its output to: the schema's fingerprint (before it reasons), the triples
    #: the closure adds in chunks (while it reasons), the triples it removes (at the end).
    out: Path
    retracted: Path | None = None
    load: LoadedFile | None = None

    @property
    def fingerprint(self) -> Path:
        return self.out / "fingerprint"

    @property
    def removed(self) -> Path:
        return self.out / "removed.nt"

    def added(self, chunk: int) -> Path:
        return self.out / f"added.{chunk}.nt"

    @classmethod
    def in_folder(cls, root: Path, *, retracted: bool = False, load: LoadedFile | None = None) -> BulkJob:
        """A job in ``root``, with the dumps the writer fills while the child reads them (see :func:`_growing`)."""
        (root / "out").mkdir()
        given = root / "retracted.nt" if retracted else None
        job = cls(root / "asserted.nt", root / "inferred.nt", root / "out", given, load)
        job.asserted.touch()
        job.inferred.touch()
        return job


@dataclass(frozen=True)
class BulkResult:
    """What the child found: triples asserted and inferred, the difference written, the schema's fingerprint."""

    asserted: int
    inferred: int
    added: int
    removed: int
    fingerprint: str
    seconds: float
    #: The child's peak resident memory (bytes), or 0 when computed in the calling process.
    peak_rss: int = 0
    #: Why the loaded file was refused (its syntax, its size): ``(kind, message, line, column)``.
    refused: tuple[str, str, int | None, int | None] | None = None

    def raise_refusal(self) -> None:
        """The file's refusal as the error it was (:class:`BadData`, or :class:`TooLarge` for a huge token)."""
        if self.refused is not None:
            kind, message, line, column = self.refused
            raise (TooLarge(message) if kind == "too-large" else BadData(message, line=line, column=column))


def convert(load: LoadedFile) -> Path:
    """Parse the loaded file and write its canonical lines (renamed into place when whole, which tells the
    writer it may load them); returns the N-Triples file of its triples the closure reads."""
    quads: Iterable[Quad] = parse(path=load.source, format=load.format, base_iri=load.base_iri, rename_blank_nodes=True)
    dataset = load.canonical_format == RdfFormat.N_QUADS
    if dataset and load.graph is not None:  # (a file of triples goes to its graph when the writer loads it)
        target = NamedNode(load.graph)
        quads = (
            Quad(q.subject, q.predicate, q.object, target) if isinstance(q.graph_name, DefaultGraph) else q
            for q in quads
        )
    if load.skolemize:
        quads = (skolemize_quad(q) for q in quads)
    _publish(load.canonical, lambda output: serialize(quads, output, load.canonical_format))
    if not dataset:
        return load.canonical
    triples = load.canonical.with_name(load.canonical.name + ".nt")
    with triples.open("wb") as output:
        serialize((q.triple for q in parse(path=load.canonical, format=RdfFormat.N_QUADS)), output, RdfFormat.N_TRIPLES)
    return triples


def _refusal(error: Exception) -> tuple[str, str, int | None, int | None]:
    if isinstance(error, SyntaxError):
        return "syntax", f"the file does not parse: {error.msg}", error.lineno, error.offset
    if isinstance(error, MemoryError):  # pyoxigraph's parsers stop at a token (a literal, an IRI) of over 16 MiB
        return "too-large", f"the file holds a token too large to read: {error}", None, None
    return "syntax", f"the file does not parse: {error}", None, None


def _whole(path: Path) -> Path:
    """The mark the writer leaves once it has written all of a dump."""
    return path.with_name(path.name + ".whole")


def _growing(path: Path) -> Iterator[bytes]:
    """The lines of a dump the writer may still be writing, as they come, until it is marked whole (the child
    reads the store's dump while the store writes it: two cores at work)."""
    mark, rest, writer = _whole(path), b"", os.getppid()
    with path.open("rb") as dump:
        while True:
            whole = mark.exists()  # looked at before the read: a dump marked whole and read to its end is all read
            block = dump.read(READ_BYTES)
            if block:
                block = rest + block
                end = block.rfind(b"\n") + 1
                rest = block[end:]
                yield from io.BytesIO(block[:end])  # lines, each with its line feed
            elif whole:
                if rest:
                    yield rest
                return
            elif os.getppid() != writer:  # the writer is gone (killed): nobody will finish the dump
                raise RuntimeError(f"{path} was left unfinished")
            else:
                time.sleep(POLL_SECONDS / 4)


def _publish(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write a file the writer waits for under another name, then rename it into place (it is whole then)."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as output:
        write(output)
    os.replace(partial, path)


class _Chunks:
    """The triples the closure adds, handed to the writer in files while the child still reasons: what the
    closure holds stays in it, so each chunk is final once written. Triples the inferred graph holds already
    are skipped; lines with a blank node go last in a chunk (the bulk loader takes the others whole)."""

    def __init__(self, job: BulkJob, closure: Closure, present: set[int]) -> None:
        self.job, self.closure, self.present = job, closure, present
        self.added = 0
        self.chunks = 0

    def write(self, triples: list[tuple[int, int, int]]) -> None:
        closure, present = self.closure, self.present
        kinds, write_line, key = closure.kinds, closure.line, closure.key
        plain: list[bytes] = []
        blank: list[bytes] = []
        for triple in triples:
            if present and key(triple) in present:
                continue
            (blank if BLANK in (kinds[triple[0]], kinds[triple[2]]) else plain).append(write_line(triple))
        if plain or blank:
            _publish(self.job.added(self.chunks), lambda output: output.writelines((*plain, *blank)))
            self.chunks += 1
            self.added += len(plain) + len(blank)


def _present(job: BulkJob, closure: Closure) -> set[int]:
    """The triples of the inferred graph as it is, encoded in ``closure`` (the state triples and a lease are
    the caller's, and left out)."""
    encode, key = closure.encode, closure.key
    present: set[int] = set()
    for line in _growing(job.inferred):
        if not line.strip():
            continue
        s, p, o = split_line(line)
        if s == _INFERRED or (p.startswith(_REASONERS) and p != _MEMBER):
            continue
        present.add(key((encode(s), encode(p), encode(o))))
    return present


def compute(job: BulkJob) -> BulkResult:
    """The closure of ``job.asserted`` (and of the loaded file), written as its difference with
    ``job.inferred`` (the child's work)."""
    started = time.perf_counter()
    sources = [job.asserted]
    if job.load is not None:
        try:
            sources.append(convert(job.load))
        except (SyntaxError, ValueError, MemoryError) as error:
            return BulkResult(0, 0, 0, 0, "", time.perf_counter() - started, refused=_refusal(error))
    with contextlib.ExitStack() as files:
        loaded = [files.enter_context(path.open("rb")) for path in sources[1:]]
        closure, schema = prepared(itertools.chain(_growing(job.asserted), *loaded))
    _publish(job.fingerprint, lambda output: output.write(schema.fingerprint.encode()))
    if job.retracted is not None:
        closure.run()
        return _retract(job, closure, schema.fingerprint, started)
    # before the rules run, the closure holds the asserted triples and the schema's entailments: an inferred
    # triple that is asserted now leaves the inferred graph
    present = _present(job, closure)
    key, unkey, has = closure.key, closure.unkey, closure.has
    entailed = {key(t) for t in closure.inferred}
    asserted = {k for k in present if k not in entailed and has(*unkey(k))}
    chunks = _Chunks(job, closure, present)
    closure.run(chunks.write, CHUNK_LINES)
    chunks.write(closure.inferred)
    removed = 0
    with job.removed.open("wb") as gone:
        for k in present:
            if k in asserted or not has(*unkey(k)):  # asserted now, or no longer follows
                gone.write(closure.line(unkey(k)))
                removed += 1
    return BulkResult(
        closure.asserted,
        closure.inferred_count,
        chunks.added,
        removed,
        schema.fingerprint,
        time.perf_counter() - started,
    )


def _retract(job: BulkJob, closure: Closure, fingerprint: str, started: float) -> BulkResult:
    """The difference a retraction makes, without reading the inferred graph: the closure of what is still
    asserted is computed, then the retracted triples are added back and the rules run on. What they derive
    then is exactly what the inferred graph held and must lose (it followed from the old asserted triples,
    and not from the new ones); a retracted triple the new closure holds already is inferred now, and added."""
    inferred = closure.inferred_count
    closure.handed, closure.inferred = inferred, []  # what follows from what stays asserted
    kept = []
    with job.retracted.open("rb") as lines:  # type: ignore[union-attr]
        for line in lines:
            if not line.strip():
                continue
            s, p, o = split_line(line)
            triple = (closure.encode(s), closure.encode(p), closure.encode(o))
            if triple in closure:
                kept.append(line)  # still follows from what is asserted
            else:
                closure.assert_line(line)
    closure.run()
    removed = 0
    with job.removed.open("wb") as gone:
        for triple in closure.inferred:  # found after the retracted came back
            gone.write(closure.line(triple))
            removed += 1
    if kept:
        _publish(job.added(0), lambda output: output.writelines(kept))
    return BulkResult(closure.asserted, inferred, len(kept), removed, fingerprint, time.perf_counter() - started)


def child_main() -> None:
    """The child process: a pickled :class:`BulkJob` on standard input, a pickled :class:`BulkResult` out."""
    job = pickle.load(sys.stdin.buffer)
    result = compute(job)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux counts kilobytes
    pickle.dump(dataclasses.replace(result, peak_rss=peak), sys.stdout.buffer)


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
        _whole(job.asserted).touch()
        if job.retracted is None:
            with job.inferred.open("wb") as output:
                kg.backend.dump(output, RdfFormat.N_TRIPLES, from_graph=GRAPH_INFERRED, prefixes=None)
        _whole(job.inferred).touch()

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
    command = [sys.executable, "-c", "from graph.inference.bulk import child_main; child_main()"]
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


def dump_asserted(kg: KnowledgeGraph, output: IO[bytes]) -> None:
    """Every asserted graph (the default graph and the named graphs but the reasoner's) as N-Triples."""
    renew = renewer(kg)
    for graph in (DefaultGraph(), *kg.named_graphs(infer=False)):
        renew()
        kg.backend.dump(output, RdfFormat.N_TRIPLES, from_graph=graph, prefixes=None)


def renewer(kg: KnowledgeGraph) -> Callable[[], None]:
    """What keeps ``kg``'s write turn during a long write (a remote engine's lease; nothing for a lock)."""
    renew: Callable[[], None] | None = getattr(kg.backend.writer(), "renew", None)
    return renew if renew is not None else lambda: None


def add_inferred(kg: KnowledgeGraph, added: Path) -> None:
    """Add a file of the child's triples to the inferred graph, in bounded batches (a remote engine refuses
    one huge update)."""
    size = REMOTE_BATCH_LINES if kg.backend.shared else EMBEDDED_BATCH_LINES
    renew = renewer(kg)
    with added.open("rb") as lines:
        while chunk := b"".join(itertools.islice(lines, size)):
            renew()
            kg.backend.add_ntriples(io.BytesIO(chunk), (GRAPH_INFERRED,))


def remove_inferred(kg: KnowledgeGraph, removed: Path) -> None:
    """Remove a file of the child's triples from the inferred graph, in bounded batches."""
    size = REMOTE_BATCH_LINES if kg.backend.shared else EMBEDDED_BATCH_LINES
    renew = renewer(kg)
    with removed.open("rb") as lines:
        while chunk := b"".join(itertools.islice(lines, size)):
            renew()
            triples = (q.triple for q in parse(chunk, RdfFormat.N_TRIPLES))
            kg.backend.remove([Quad(t.subject, t.predicate, t.object, GRAPH_INFERRED) for t in triples])


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

        def schema_now() -> str:  # the store's schema once the file is in it
            if not schemas:
                schemas.append(read_schema(kg))
            return schemas[0].fingerprint

        result = run(job, _Writer(kg, job, schema_now, write_loaded), in_process=kg.bulk_in_process, renew=renewer(kg))
        result.raise_refusal()
        _check(result.fingerprint, schema_now())
        remove_inferred(kg, job.removed)
    return result, gained[0], schemas[0]
