"""The bulk path's child (:mod:`.bulk`): what it is given (a :class:`BulkJob`), what it computes, and how it
hands its results to the writer while it still works.

Every file the child reads or writes is in the job's folder:

- the store's dumps, which it reads as they grow (:func:`_growing`) until the writer marks each whole;
- a loaded file's canonical lines, written whole and renamed into place (:func:`convert`);
- the schema's fingerprint, then the triples the closure adds in chunks (:class:`_Chunks`), then the triples
  it removes, each published by renaming (:func:`publish`), so the writer never reads half a file.

The child's own answer (a :class:`BulkResult`) goes back pickled on standard output (:func:`child_main`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import os
import pickle
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, parse, serialize

from ..errors import BadData, TooLarge
from ..namespaces import GKR, GRAPH_INFERRED
from ..skolem import skolemize_quad
from .memory import BLANK, Closure, prepared, split_line, text
from .program import MEMBER

#: About how many added triples the child hands the writer at a time while it reasons.
CHUNK_LINES = 200_000
#: Bytes the child reads of a dump at a time, and how long it waits for more.
READ_BYTES = 1 << 20
WAIT_SECONDS = 0.005

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
    publish(load.canonical, lambda output: serialize(quads, output, load.canonical_format))
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


def whole_mark(path: Path) -> Path:
    """The mark the writer leaves once it has written all of a dump."""
    return path.with_name(path.name + ".whole")


def _growing(path: Path) -> Iterator[bytes]:
    """The lines of a dump the writer may still be writing, as they come, until it is marked whole (the child
    reads the store's dump while the store writes it: two cores at work)."""
    mark, rest, writer = whole_mark(path), b"", os.getppid()
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
                time.sleep(WAIT_SECONDS)


def publish(path: Path, write: Callable[[IO[bytes]], object]) -> None:
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
            publish(self.job.added(self.chunks), lambda output: output.writelines((*plain, *blank)))
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
    loaded: Iterable[bytes] = ()
    with contextlib.ExitStack() as files:
        if job.load is not None:
            try:
                loaded = files.enter_context(convert(job.load).open("rb"))
            except (SyntaxError, ValueError, MemoryError) as error:
                return BulkResult(0, 0, 0, 0, "", time.perf_counter() - started, refused=_refusal(error))
        closure, schema = prepared(itertools.chain(_growing(job.asserted), loaded))
    publish(job.fingerprint, lambda output: output.write(schema.fingerprint.encode()))
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
        publish(job.added(0), lambda output: output.writelines(kept))
    return BulkResult(closure.asserted, inferred, len(kept), removed, fingerprint, time.perf_counter() - started)


def child_main() -> None:
    """The child process: a pickled :class:`BulkJob` on standard input, a pickled :class:`BulkResult` out."""
    job = pickle.load(sys.stdin.buffer)
    result = compute(job)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux counts kilobytes
    pickle.dump(dataclasses.replace(result, peak_rss=peak), sys.stdout.buffer)
