"""Worker processes that can be killed: the only way to stop a runaway pyoxigraph evaluation.

pyoxigraph cannot cancel a query (oxigraph issue #1926) and a thread cannot be stopped, so each work runs in
one of a pool of worker processes (:mod:`.worker`) that open a read-only checkpoint of the store
(:mod:`.snapshots`). This process keeps the deadline: when it passes, the worker is killed (SIGKILL: it only
reads immutable files, so this is always safe) and a fresh one replaces it, while the others go on.

**Short work is never starved by long work**: the long lane (:mod:`.lanes`) says which works may run long
and stops the others; the pool does the stopping, and serves waiting works in the order they came.

**Memory is a budget too.** Each worker may hold ``memory`` bytes of data (the kernel's ``RLIMIT_DATA``, see
:mod:`.worker`): a work that needs more ends its worker, whatever it is doing, and its client gets
:class:`~graph.errors.QueryOutOfMemory`. Without it one request (an ``ORDER BY`` over a cross product) grew a
worker by 10 GB in 30 s.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import select
import subprocess
import threading
import time
from collections.abc import Iterator
from multiprocessing import util
from multiprocessing.connection import Connection
from pathlib import Path

from .. import errors
from ..deadline import Deadline
from ..store import KnowledgeGraph
from .forks import ForkServer
from .lanes import LongLane
from .remembered import Remembered
from .service import CLIENT
from .snapshots import Snapshot, Snapshots
from .warmer import Warmer
from .work import Answer, Work
from .worker import (
    BUILDING,
    BUILT,
    DATA,
    END,
    ERROR,
    OUT_OF_MEMORY_ENDS,
    READY,
    REPORTED,
    START,
    VALUE,
    WHOLE,
    Job,
)

log = logging.getLogger(__name__)


def default_memory(workers: int) -> int:
    """The bytes of data a worker may hold unless told: half the memory of the machine (or of its container's
    cgroup, when that is less), shared among ``workers``; the rest is for the server, the writer and the
    system's cache of the store's files."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with contextlib.suppress(OSError, ValueError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()  # "max" when none: not a number
        total = min(total, int(limit))
    return total // 2 // max(1, workers)


class _Worker:
    """One worker process, the two pipes that talk to it, and what it is busy with."""

    def __init__(self, forks: ForkServer, memory: int | None = None, builds: Path | None = None) -> None:
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        try:
            self.process = forks.fork(requests_read, answers_write, memory, builds, timeout=30)
        except BaseException:
            for end in (requests_write, answers_read):
                os.close(end)
            raise
        finally:
            os.close(requests_read)
            os.close(answers_write)
        self.requests = Connection(requests_write, readable=False)
        self.answers = Connection(answers_read, writable=False)
        self._poller = select.poll()  # cheaper than Connection.poll, which builds a selector each call
        self._poller.register(answers_read, select.POLLIN)
        self.snapshot: Snapshot | None = None
        self.deadline = Deadline()
        #: When the current work started (monotonic clock), and whether it has become long.
        self.started = 0.0
        self.long = False
        #: Why the worker was killed while busy (the deadline, the long lane), for the error its client gets.
        self.stopped: errors.GraphError | None = None
        #: The work it runs and the client it runs it for (to remember both when it is stopped at the long lane).
        self.work: Work | None = None
        self.client = ""
        #: The whole-graph index its current work reads, with the generation it was checked out at, and the
        #: indexes it has built (kept by :meth:`~graph.store.KnowledgeGraph.cached` in the process).
        self.reading: tuple[str, str] | None = None
        self.warm: set[tuple[str, str]] = set()
        #: Indexes its work is building now (nested builds count), and the seconds its deadline had left when
        #: the first began: building does not count against the budget (see :mod:`.worker`).
        self.builds = 0
        self.suspended: float | None = None
        #: Held while killing: a stream's close and the pool's may kill the same worker at once (shutdown).
        self._killing = threading.Lock()

    @property
    def pid(self) -> int:
        return self.process.pid

    def readable(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds (None: forever) for a frame, or for the end of the pipe."""
        return bool(self._poller.poll(None if timeout is None else max(0, round(timeout * 1000))))

    def wait_ready(self, timeout: float) -> None:
        try:
            if self.readable(timeout) and self.answers.recv_bytes() == READY:
                return
        except (EOFError, OSError):  # it ended first (its fork server was killed, the pool closed)
            pass
        raise RuntimeError("a query worker did not start")

    def kill(self) -> None:
        """Kill the process and close its pipes; again, from any thread, does nothing more."""
        with self._killing:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            if not self.requests.closed:
                self.requests.close()
                self.answers.close()


class WorkerPool:
    """Runs works in worker processes over snapshots; kills a worker at its work's deadline."""

    def __init__(
        self,
        kg: KnowledgeGraph,
        *,
        size: int = 2,
        reserve: int | None = None,
        long_after: float = 2.0,
        memory: int | None = None,
        wait: bool = True,
    ) -> None:
        """``memory``: the bytes of data each worker may hold (None: no limit). ``wait``: return once the
        workers are ready; without it they start in the background while the caller goes on (a server's
        start: the fork server's 0.4 s of imports overlap the app's set-up), and works wait for them."""
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.memory = memory
        self.reserve = min(size - 1, 1 if reserve is None else reserve)
        self.long_after = long_after
        self.snapshots = Snapshots(kg)
        #: The store's builds folder, where workers keep and find whole-store builds (:mod:`graph.builds`).
        self.builds_folder = None if kg.builds is None else kg.builds.folder
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        #: Works waiting for a worker, in the order they came.
        self._waiting: list[_Waiting] = []
        self._busy: set[_Worker] = set()
        self._closed = False
        #: Events since start, for metrics: workers replaced, and works stopped at the memory budget (the long
        #: lane counts its own).
        self.counts = {"replaced": 0, "out_of_memory": 0}
        self.lane = LongLane(size - self.reserve, long_after)
        #: Works that ran out of memory, with the generation they read: the same work on the same data is
        #: refused at once instead of costing a worker again.
        self._out_of_memory = Remembered()
        #: Forks the workers (:mod:`.forks`): a worker killed is replaced in milliseconds. Started again if it
        #: ends (its workers end with it, and are replaced by the new one).
        self.forks = ForkServer()
        self._forking = threading.Lock()
        if wait:
            workers = [_Worker(self.forks, memory, self.builds_folder) for _ in range(size)]
            for worker in workers:
                worker.wait_ready(30)
            self._idle.extend(workers)
        else:
            for _ in range(size):
                threading.Thread(target=self._start_one, name="query-worker-start", daemon=True).start()
        #: Makes the builds again after writes (a read-only store has none).
        self.warmer = None if kg.builds is None or kg.read_only else Warmer(self, kg.builds)
        self._wake_reaper = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="query-reaper", daemon=True)
        self._reaper.start()
        # Run at exit in a plain process (atexit) and in granian's forked worker (which skips atexit).
        util.Finalize(None, self.close, exitpriority=20)

    def stats(self) -> dict[str, int]:
        """Figures for metrics: workers running, busy and busy with long work, and the event counts."""
        with self._lock:
            busy = len(self._busy)
            long = sum(w.long for w in self._busy)
            warm_ups = 0 if self.warmer is None else self.warmer.runs
            return {
                "workers": len(self._idle) + busy,
                "busy": busy,
                "long": long,
                **self.counts,
                **self.lane.counts,
                "warm_ups": warm_ups,
            }

    def pids(self) -> list[int]:
        """The worker processes' ids (for tests and operators)."""
        with self._lock:
            return [w.pid for w in (*self._idle, *self._busy)]

    # -- running -------------------------------------------------------------------------------------

    def run(self, work: Work, deadline: Deadline) -> Answer:
        worker = self._checkout(work, deadline)
        try:
            message = self._ask(worker, work)
        except BaseException:  # timed out, lost, or interrupted: what the worker will send next is unknown
            self._checkin(worker, healthy=False)
            raise
        tag, payload = message[:1], message[1:]
        if tag in (START, WHOLE):
            media_type, _, body = payload.partition(b"\n")
            if tag == START:
                return Answer(media_type.decode(), _Stream(self, worker, body))
            self._checkin(worker, healthy=True)
            return Answer(media_type.decode(), iter([body]))
        self._checkin(worker, healthy=tag in (VALUE, ERROR))
        if tag == VALUE:
            return Answer(value=pickle.loads(payload))
        if tag == ERROR:
            raise _error(payload)
        raise RuntimeError(f"a query worker answered an unexpected frame {tag!r}")

    def _ask(self, worker: _Worker, work: Work) -> bytes:
        """Send the work to ``worker`` with the newest snapshot; its first frame."""
        try:
            worker.snapshot = self.snapshots.renew(worker.snapshot)
        except OSError as error:  # the checkpoint could not be written (a full disk, say)
            raise errors.Unavailable(f"the store's latest writes cannot be published to readers: {error}") from error
        job = Job(str(worker.snapshot.path), work)
        try:
            worker.requests.send_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            raise errors.Unavailable("the query worker stopped unexpectedly; retry shortly") from None
        return self._receive(worker)

    def _checkout(self, work: Work, deadline: Deadline) -> _Worker:
        """Wait, within the budget, for an idle worker; a work the long lane refuses (stopped there before, or its
        client cooling down) is refused at once."""
        client = CLIENT.get()
        with self._lock:
            if refused := self.lane.refuses(work, client, self._long(), time.monotonic()):
                raise refused
            if self._out_of_memory and (self.snapshots.kg.generation, work) in self._out_of_memory:
                self.counts["out_of_memory"] += 1
                raise self._memory_error()
            index = None if work.index is None else (work.index, self.snapshots.kg.generation)
            waiting = _Waiting(index)
            self._waiting.append(waiting)
            try:
                while (worker := self._turn(waiting)) is None or worker.process.poll() is not None:
                    if worker is not None:  # it ended while idle (the kernel's OOM killer, an operator): replaced
                        self._idle.remove(worker)
                        self._discard(worker)
                        continue
                    if self._closed:
                        raise errors.Unavailable("the server is shutting down")
                    remaining = deadline.remaining()
                    if remaining == 0:
                        raise deadline.timeout("waiting for a free query worker")
                    self._lock.wait(remaining)
            finally:
                self._waiting.remove(waiting)
                if self._waiting:
                    self._lock.notify_all()  # the next in line may take another idle worker
            self._idle.remove(worker)
            worker.deadline, worker.started, worker.long, worker.stopped = deadline, time.monotonic(), False, None
            worker.work, worker.client, worker.reading, worker.builds = work, client, index, 0
            self._busy.add(worker)
            if self.lane.on_probation(worker.client):
                self._wake_reaper.set()  # to look again at its probation's end
            return worker

    def _turn(self, waiting: _Waiting) -> _Worker | None:
        """The worker for a waiting work if it is its turn (lock held): works take workers in the order they
        came, unless an earlier one can take none of the idle ones (it waits for the worker building its index).
        Else a client that sends again the moment its work is stopped would take the worker a look-up has been
        waiting for (``bench/contention.py``: look-ups waited several runaways' time)."""
        for earlier in self._waiting:
            if earlier is waiting:
                break
            if self._pick(earlier.index) is not None:
                return None
        return self._pick(waiting.index)

    def _pick(self, index: tuple[str, str] | None) -> _Worker | None:
        """The idle worker for a work that reads ``index`` (lock held): one that has built it, else none while
        a busy one builds it (its work turns long, and another worker would spend the same seconds and memory
        building it again), else the one that last came back, whose caches are the warmest."""
        if index is not None:
            warm = [w for w in self._idle if index in w.warm]
            if warm:
                return warm[-1]
            if any(w.reading == index for w in self._busy):
                return None
        return self._idle[-1] if self._idle else None

    def _long(self) -> int:
        """How many works run long (lock held)."""
        return sum(w.long for w in self._busy)

    def _receive(self, worker: _Worker) -> bytes:
        """The worker's next frame of its answer; past the deadline the worker is killed and the reason raised.
        While the work builds an index the deadline stands still (frames ``B`` and ``b``)."""
        while (frame := self._frame(worker)) in (BUILDING, BUILT):
            deadline = worker.deadline
            if frame == BUILDING:
                worker.builds += 1
                if worker.builds == 1:
                    worker.suspended = deadline.remaining()
                    worker.deadline = Deadline(deadline.budget, None)
            elif worker.builds > 0:
                worker.builds -= 1
                if worker.builds == 0 and worker.suspended is not None:
                    worker.deadline = Deadline(deadline.budget, time.monotonic() + worker.suspended)
        return frame

    def _frame(self, worker: _Worker) -> bytes:
        remaining = worker.deadline.remaining()
        if remaining is None or remaining > 0:  # checked first: a fast stream must not outrun the deadline
            try:
                if worker.readable(remaining):
                    return worker.answers.recv_bytes()
            except (EOFError, OSError):
                if worker.stopped is None:
                    raise self._lost(worker) from None
        worker.kill()
        raise worker.stopped or worker.deadline.timeout("the query")

    def _lost(self, worker: _Worker) -> errors.GraphError:
        """Why a busy worker's pipe ended: its memory ran out, or something else stopped it."""
        try:
            ended = worker.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            ended = None
        if not (self.memory and ended in OUT_OF_MEMORY_ENDS):
            return errors.Unavailable("the query worker stopped unexpectedly; retry shortly")
        with self._lock:
            self.counts["out_of_memory"] += 1
            if worker.snapshot is not None and worker.work is not None:
                self._out_of_memory.add((worker.snapshot.source, worker.work))
        return self._memory_error()

    def _memory_error(self) -> errors.QueryOutOfMemory:
        return errors.QueryOutOfMemory(
            f"the query needed more than the {(self.memory or 0) // 2**20} MiB of memory a query may use, and "
            "was stopped; asking again will not help: ask for less (a LIMIT, fewer variables to sort or group "
            "by, no cross product)"
        )

    def _checkin(self, worker: _Worker, *, healthy: bool) -> None:
        """Return a worker whose answer is complete; any other is killed and replaced."""
        with self._lock:
            self._busy.discard(worker)
            if healthy and worker.reading is not None:
                worker.warm = {i for i in worker.warm if i[1] == worker.reading[1]} | {worker.reading}
            worker.reading = None
            if healthy and not self._closed:
                self._idle.append(worker)
            self._lock.notify_all()  # waiters may want another worker than the first (see _pick)
        if not healthy:
            self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker that is in neither set any more, free its snapshot, and start another."""
        worker.kill()
        self.snapshots.release(worker.snapshot)
        worker.snapshot = None
        self._replace()

    def _replace(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.counts["replaced"] += 1
        threading.Thread(target=self._start_one, name="query-worker-start", daemon=True).start()

    def _start_one(self) -> None:
        worker: _Worker | None = None
        try:
            with self._forking:
                if self._closed:
                    return
                if not self.forks.alive:  # killed (an operator, the kernel's OOM killer): its workers end too
                    self.forks.close()
                    self.forks = ForkServer()
                worker = _Worker(self.forks, self.memory, self.builds_folder)
            worker.wait_ready(30)
        except (OSError, RuntimeError):
            if not self._closed:
                log.exception("could not start a query worker")
            if worker is not None:
                worker.kill()
            worker = None
        with self._lock:
            if worker is not None and not self._closed:
                self._idle.append(worker)
                self._lock.notify_all()
                return
        if worker is not None:
            worker.kill()

    def _reap(self) -> None:
        """Stop a long work beyond the long lane, a work of a client on probation past :data:`PROBATION`, and a
        work whose deadline passed a second ago while nobody read its answer (a stalled client); look again
        when the next of those times comes, and at least every quarter second."""
        wait = 0.25
        while True:
            self._wake_reaper.wait(wait)
            self._wake_reaper.clear()
            with self._lock:  # held while killing, so that the worker cannot move on to another work
                if self._closed:
                    return
                wait = self._look(time.monotonic())

    def _look(self, now: float) -> float:
        """Stop what must be stopped now (lock held); the seconds until something may have to be."""
        wait = 0.25
        long = self._long()
        for worker in sorted(self._busy, key=lambda w: w.started):
            if worker.stopped is not None:
                continue
            if not worker.long:
                look = self.lane.look(worker.work, worker.client, now - worker.started, long, now)
                if look.stop is not None:
                    self._stop(worker, look.stop)
                    continue
                if look.long:
                    worker.long, long = True, long + 1
                wait = min(wait, look.again)
            at = worker.deadline.at
            if at is not None and now > at + 1:
                self._stop(worker, worker.deadline.timeout("the query"))
        return max(wait, 0.005)

    def _stop(self, worker: _Worker, reason: errors.GraphError) -> None:
        if worker.stopped is None:
            worker.stopped = reason
            if worker.process.poll() is None:
                worker.process.kill()

    def close(self) -> None:
        """Stop every worker and delete the snapshots; works still waiting are refused."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle.clear()
            self._lock.notify_all()
        self._wake_reaper.set()
        if self.warmer is not None:
            self.warmer.close()
        for worker in workers:
            worker.kill()
        self.forks.close()
        with self._forking:  # a worker's start under way may have found it gone and started another
            self.forks.close()
        self.snapshots.close()


class _Waiting:
    """A work waiting for a worker: its place in line, and the index it reads."""

    __slots__ = ("index",)

    def __init__(self, index: tuple[str, str] | None) -> None:
        self.index = index


class _Stream:
    """The chunks of a streamed body; the worker goes back to the pool at the end, or is killed on close."""

    def __init__(self, pool: WorkerPool, worker: _Worker, first: bytes) -> None:
        self.pool = pool
        self.worker: _Worker | None = worker
        self.pending: bytes | None = first

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self.pending is not None:
            first, self.pending = self.pending, None
            return first
        worker = self.worker
        if worker is None:
            raise StopIteration
        try:
            message = self.pool._receive(worker)
        except BaseException:
            self._done(healthy=False)
            raise
        tag = message[:1]
        if tag == DATA:
            return message[1:]
        self._done(healthy=tag in (END, ERROR))
        if tag == ERROR:
            raise _error(message[1:])
        raise StopIteration

    def _done(self, *, healthy: bool) -> None:
        if self.worker is not None:
            worker, self.worker = self.worker, None
            self.pool._checkin(worker, healthy=healthy)

    def close(self) -> None:
        """The client went away (or the server stopped reading) before the end: the worker is killed."""
        self._done(healthy=False)

    def __del__(self) -> None:
        self.close()


def _error(payload: bytes) -> Exception:
    report = json.loads(payload)
    kind = REPORTED.get(report["kind"])
    if kind is None:
        return RuntimeError(f"a query worker failed: {report['message']}")
    return kind(report["message"])
