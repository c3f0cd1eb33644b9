"""Checkpoint generations of the store, so that worker processes read files nobody writes and may be killed.

RocksDB allows one read-write opener, and opening a store read-only while another process writes to it is
undefined behaviour. A checkpoint (``Store.backup``: hard links to the immutable table files and a copy of
the live log) is a consistent store of its own that nobody writes, so any number of processes may open it
read-only and killing one of them never harms anything. Every committed write moves the store to a new
:attr:`~graph.store.KnowledgeGraph.generation`; the next query that finds the newest checkpoint older than
that publishes a new one (in the write turn, so never in the middle of a write) before it runs, so it sees
every acknowledged write (a burst of writes costs one checkpoint, not one each). A generation is deleted
once it is neither the newest nor held by a worker.

Layout, beside the store folder ``STORE/``::

    STORE.snapshots/1/   the checkpoint taken when the server opened the store
    STORE.snapshots/2/   for the first query after a write, and so on; stale folders go at the next start

A store opened read-only is never written by this process, so its one generation is the store itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from ..store import KnowledgeGraph


@dataclass(frozen=True)
class Snapshot:
    """One published generation of the store: a folder that ``Store.read_only`` can open."""

    generation: int
    path: Path
    #: The store's generation the checkpoint holds.
    source: str = ""


class Snapshots:
    """The generations of one on-disk store: published when a query follows writes, deleted once unused."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        if kg.path is None:
            raise ValueError("snapshots need an on-disk store; an in-memory store has no files to share")
        self._lock = threading.Lock()
        self._holds: dict[int, int] = {}
        self._closed = False
        self.kg = kg
        if kg.read_only:
            self.root: Path | None = None
            self._latest = Snapshot(0, kg.path, kg.generation)
            return
        self.root = kg.path.with_name(kg.path.name + ".snapshots")
        # The read-write store is open, so its lock is ours: folders left here came from a crashed run.
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        self._latest = self._checkpoint(1)

    def _checkpoint(self, generation: int) -> Snapshot:
        assert self.root is not None
        path = self.root / str(generation)
        shutil.rmtree(path, ignore_errors=True)  # what a failed attempt (a full disk) left behind
        with self.kg.writing():  # between writes: a checkpoint never holds half of one
            source = self.kg.generation
            self.kg.store.backup(str(path))
        return Snapshot(generation, path, source)

    def _stale(self) -> bool:
        return self.root is not None and self.kg.generation != self._latest.source

    def publish(self) -> Snapshot:
        """Checkpoint the store as it is now and make it the newest generation."""
        with self._lock:
            return self._publish()

    def _publish(self) -> Snapshot:
        if self._closed or self.root is None:
            return self._latest
        previous = self._latest
        self._latest = self._checkpoint(previous.generation + 1)  # if this fails, the next query tries again
        self._collect(previous)
        return self._latest

    def latest(self) -> Snapshot:
        with self._lock:
            return self._latest

    def renew(self, held: Snapshot | None) -> Snapshot:
        """Move a holder (a worker) from ``held`` to a generation with every write so far.

        ``held`` is deleted if nobody else holds it and it is not the newest.
        """
        with self._lock:
            latest = self._publish() if self._stale() else self._latest
            if held is not None and held.generation == latest.generation:
                return latest
            self._holds[latest.generation] = self._holds.get(latest.generation, 0) + 1
            if held is not None:
                self._release(held)
            return latest

    def release(self, held: Snapshot | None) -> None:
        """A holder is gone (a killed worker): its generation may be deleted."""
        if held is not None:
            with self._lock:
                self._release(held)

    def _release(self, held: Snapshot) -> None:
        self._holds[held.generation] -= 1
        self._collect(held)

    def _collect(self, snapshot: Snapshot) -> None:
        if self.root is None or self._holds.get(snapshot.generation, 0) > 0 or snapshot == self._latest:
            return
        self._holds.pop(snapshot.generation, None)
        shutil.rmtree(snapshot.path, ignore_errors=True)

    def generations(self) -> list[int]:
        """The generations on disk now (for tests and metrics)."""
        if self.root is None:
            return [0]
        return sorted(int(p.name) for p in self.root.iterdir() if p.name.isdigit())

    def close(self) -> None:
        """Delete every generation; call once no worker reads them any more."""
        with self._lock:
            self._closed = True
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)


#: Waits until its standard input reaches end of file (its parent has exited, however), then deletes a folder.
JANITOR = "import shutil, sys; sys.stdin.buffer.read(); shutil.rmtree(sys.argv[1], ignore_errors=True)"
_janitor_pipes: list[int] = []


def scratch_directory() -> Path:
    """A temporary store folder for ``--memory`` with worker processes, deleted once this process has ended.

    The store stays open until the process exits (RocksDB writes on close), so the folder is deleted by a
    small janitor process that waits for this one to end, even by ``kill -9``.
    """
    path = Path(tempfile.mkdtemp(prefix="genai-kg-memory-"))
    read_end, write_end = os.pipe()
    subprocess.Popen(
        [sys.executable, "-c", JANITOR, str(path)],
        stdin=read_end,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # signals sent to the server's process group leave it to do its work
    )
    os.close(read_end)
    _janitor_pipes.append(write_end)  # held open, never written: closed by the kernel when this process ends
    return path / "store"
