"""Whole-store builds made again after a write, before anybody asks for them.

A write makes every whole-store build stale (:mod:`graph.builds`): the next visitor of the home page, of search
or of reconciliation waited for it to be made again (10.5 s, 3.7 s and 15.3 s at 1.15M triples). The warmer
watches the store's generation. Once it has stood still for :attr:`Warmer.quiet` seconds (a burst of writes
costs one warm-up, at its end) and lacks builds that the last generation with builds had (also at start: a
store written while no server ran), the warmer starts one process over the newest checkpoint, at the lowest
CPU priority and with the query workers' memory budget. That process makes those builds
(:func:`graph.builds.warm`: what visitors used, not every build there is) and keeps them on disk, where the
workers read them. It takes no query worker, so the long lane and the worker kept for short work are as
before; a request that needs a build while it is being made makes it too.

    python -m graph.querying.warmer SNAPSHOT FOLDER SINCE MEMORY     the process's side
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..builds import Builds, warm
from ..store import KnowledgeGraph
from .worker import watch_parent

if TYPE_CHECKING:
    from .pool import WorkerPool

log = logging.getLogger(__name__)

#: Seconds the generation must stand still before the builds are made again.
QUIET = 2.0


class Warmer:
    """A thread of the pool that makes the builds again, in a process of their own, once writes pause."""

    def __init__(self, pool: WorkerPool, builds: Builds, quiet: float = QUIET) -> None:
        self.pool = pool
        self.builds = builds
        self.quiet = quiet
        #: Warm-ups that ended well since start (for tests and metrics).
        self.runs = 0
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="builds-warmer", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        kg = self.pool.snapshots.kg
        seen, warmed = kg.generation, None  # at start too: a store loaded while no server ran lacks its builds
        since = time.monotonic()
        while not self._stop.wait(min(self.quiet / 2, 0.5)):
            current = kg.generation
            if current != seen:
                seen, since = current, time.monotonic()
            elif current != warmed and time.monotonic() - since >= self.quiet:
                warmed = current
                try:
                    self._warm(current)
                except (OSError, subprocess.SubprocessError):  # only a head start: requests make what it did not
                    log.exception("could not make the builds again after a write")

    def _warm(self, generation: str) -> None:
        before = self.builds.latest_before(generation)
        if before is None or not self.builds.lacks(before, generation):
            return
        snapshots = self.pool.snapshots
        snapshot = snapshots.renew(None)
        try:
            command = [sys.executable, "-m", __name__, str(snapshot.path), str(self.builds.folder), before]
            command.append(str(self.pool.memory or 0))
            with self._lock:
                if self._stop.is_set():
                    return
                self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
            if self._process.wait() == 0:  # not stopped, nor failed (its traceback is on standard error)
                self.runs += 1
        finally:
            snapshots.release(snapshot)

    def close(self) -> None:
        """Stop watching, and stop a warm-up under way (what it kept stays kept)."""
        with self._lock:
            self._stop.set()
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
        self._thread.join(timeout=5)


def main(argv: list[str]) -> None:
    snapshot, folder, since, memory = argv[0], Path(argv[1]), argv[2], int(argv[3])
    os.nice(19)  # after the requests
    if memory:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    watch_parent(os.getppid())
    kg = KnowledgeGraph.open(snapshot, read_only=True)
    kg.builds = Builds(folder)
    warm(kg, since)


if __name__ == "__main__":
    main(sys.argv[1:])
