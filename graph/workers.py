"""Query evaluation in worker processes that can be killed: the only way to stop a runaway pyoxigraph query.

pyoxigraph cannot cancel a query (oxigraph issue #1926) and a thread cannot be stopped, so each query runs
in one of a pool of worker processes (:mod:`.worker_process`) that open a read-only checkpoint of the store
(:mod:`.snapshots`). The server process keeps the deadline: when it passes, the worker is killed (SIGKILL: it
only reads immutable files, so this is always safe) and a fresh one replaces it, while the other workers go on.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing import util
from multiprocessing.connection import Connection

from . import errors
from .evaluation import Answer, Evaluator, Formats, InProcessEvaluator, QueryRequest
from .snapshots import Snapshot, Snapshots
from .store import KnowledgeGraph
from .worker_process import DATA, ERROR, READY, REPORTED, START, WHOLE

log = logging.getLogger(__name__)


class _Worker:
    """One worker process and the two pipes that talk to it."""

    def __init__(self) -> None:
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        command = [sys.executable, "-m", "graph.worker_process", str(requests_read), str(answers_write)]
        self.process = subprocess.Popen(command, pass_fds=(requests_read, answers_write), stdin=subprocess.DEVNULL)
        os.close(requests_read)
        os.close(answers_write)
        self.requests = Connection(requests_write, readable=False)
        self.answers = Connection(answers_read, writable=False)
        self._poller = select.poll()  # cheaper than Connection.poll, which builds a selector each call
        self._poller.register(answers_read, select.POLLIN)
        self.snapshot: Snapshot | None = None
        #: When the query it runs must be answered by (monotonic clock), None when idle or unbounded.
        self.deadline: float | None = None
        self.timed_out = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def readable(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds (None: forever) for a frame, or for the end of the pipe."""
        return bool(self._poller.poll(None if timeout is None else max(0, round(timeout * 1000))))

    def wait_ready(self, timeout: float) -> None:
        if not self.readable(timeout) or self.answers.recv_bytes() != READY:
            raise RuntimeError("a query worker did not start")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.requests.close()
        self.answers.close()


class WorkerPool:
    """An :class:`Evaluator` that runs each query in a worker process and kills it when the budget runs out.

    At most ``max_queries`` queries are admitted at once (more are refused with :class:`errors.Unavailable`);
    admitted queries wait, within their budget, for one of the ``size`` workers.
    """

    def __init__(self, kg: KnowledgeGraph, *, size: int = 2, max_queries: int | None = None) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.max_queries = max_queries or 8 * size
        self.snapshots = Snapshots(kg)
        self._admitted = 0
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._closed = False
        self._starting = 0
        #: Events since start, for metrics: queries stopped at their budget, refused, workers replaced.
        self.counts = {"timeouts": 0, "refused": 0, "replaced": 0}
        workers = [_Worker() for _ in range(size)]
        for worker in workers:
            worker.wait_ready(30)
        self._idle.extend(workers)
        self._reaper = threading.Thread(target=self._reap, name="query-reaper", daemon=True)
        self._reaper.start()
        # Run at exit in a plain process (atexit) and in granian's forked worker (which skips atexit).
        util.Finalize(None, self.close, exitpriority=20)

    def stats(self) -> dict[str, int]:
        """Figures for metrics: workers running and busy, queries admitted, and the event counts."""
        with self._lock:
            running = {"workers": len(self._idle) + len(self._busy), "busy": len(self._busy)}
            return {**running, "admitted": self._admitted, **self.counts}

    def pids(self) -> list[int]:
        """The worker processes' ids (for tests and operators)."""
        with self._lock:
            return [w.pid for w in (*self._idle, *self._busy)]

    # -- evaluation ----------------------------------------------------------------------------------

    def evaluate(self, request: QueryRequest, formats: Formats, *, timeout: float | None = None) -> Answer:
        deadline = None if timeout is None else time.monotonic() + timeout
        worker = self._checkout(deadline, timeout)
        try:
            message = self._ask(worker, request, formats, timeout)
        except BaseException:  # timed out, lost, or interrupted: what the worker will send next is unknown
            self._checkin(worker, healthy=False)
            raise
        tag, kind, data = message[:1], message[1:2], message[2:]
        chosen = formats.graph if kind == b"g" else formats.results
        if tag == START and chosen is not None:
            return Answer(chosen, _Stream(self, worker, timeout, data))
        self._checkin(worker, healthy=tag in (WHOLE, ERROR))
        if tag == WHOLE and chosen is not None:
            return Answer(chosen, iter([data]))
        if tag == ERROR:
            raise _error(message[1:])
        raise RuntimeError(f"a query worker answered an unexpected frame {tag!r}")

    def _ask(self, worker: _Worker, request: QueryRequest, formats: Formats, timeout: float | None) -> bytes:
        """Send the query to ``worker`` with the newest snapshot; its first frame."""
        try:
            worker.snapshot = self.snapshots.renew(worker.snapshot)
        except OSError as error:  # the checkpoint could not be written (a full disk, say)
            raise errors.Unavailable(f"the store's latest writes cannot be published to readers: {error}") from error
        message = (
            str(worker.snapshot.path),
            formats.results.media_type if formats.results else None,
            formats.graph.media_type if formats.graph else None,
            request.sparql,
            request.infer,
            request.default_graph_uris,
            request.named_graph_uris,
            request.base_iri,
            request.substitutions,
        )
        try:
            worker.requests.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            raise errors.Unavailable("the query worker stopped unexpectedly; retry shortly") from None
        return self._receive(worker, timeout)

    def _checkout(self, deadline: float | None, timeout: float | None) -> _Worker:
        """Admit the query and wait, within its budget, for an idle worker."""
        with self._lock:
            if self._admitted >= self.max_queries:
                self.counts["refused"] += 1
                raise errors.Unavailable(f"the server is answering {self.max_queries} queries already; retry shortly")
            self._admitted += 1
            try:
                while not self._idle:
                    if self._closed:
                        raise errors.Unavailable("the server is shutting down")
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        self.counts["timeouts"] += 1
                        raise errors.QueryTimeout(f"no query worker became free within the {timeout:g} s budget")
                    self._lock.wait(remaining)
            except BaseException:
                self._admitted -= 1
                raise
            worker = self._idle.pop()
            worker.deadline, worker.timed_out = deadline, False
            self._busy.add(worker)
            return worker

    def _receive(self, worker: _Worker, timeout: float | None) -> bytes:
        """The worker's next frame; past the deadline the worker is killed and :class:`QueryTimeout` raised."""
        remaining = None if worker.deadline is None else worker.deadline - time.monotonic()
        if remaining is None or remaining > 0:  # checked first: a fast stream must not outrun the deadline
            try:
                if worker.readable(remaining):
                    return worker.answers.recv_bytes()
            except (EOFError, OSError):
                if not worker.timed_out:
                    raise errors.Unavailable("the query worker stopped unexpectedly; retry shortly") from None
        worker.timed_out = True
        worker.kill()
        with self._lock:
            self.counts["timeouts"] += 1
        raise errors.QueryTimeout(f"query timed out: it ran past the {timeout:g} s budget and was stopped")

    def _checkin(self, worker: _Worker, *, healthy: bool) -> None:
        """Return a worker whose answer is complete; any other is killed and replaced."""
        with self._lock:
            self._admitted -= 1
            self._busy.discard(worker)
            worker.deadline = None
            if healthy and not self._closed:
                self._idle.append(worker)
                self._lock.notify()
        if not healthy:
            worker.kill()
            self.snapshots.release(worker.snapshot)
            worker.snapshot = None
            self._replace()

    def _replace(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._starting += 1
            self.counts["replaced"] += 1
        threading.Thread(target=self._start_one, name="query-worker-start", daemon=True).start()

    def _start_one(self) -> None:
        worker: _Worker | None = None
        try:
            worker = _Worker()
            worker.wait_ready(30)
        except (OSError, RuntimeError):
            log.exception("could not start a query worker")
            if worker is not None:
                worker.kill()
            worker = None
        with self._lock:
            self._starting -= 1
            if worker is not None and not self._closed:
                self._idle.append(worker)
                self._lock.notify()
                return
        if worker is not None:
            worker.kill()

    def _reap(self) -> None:
        """Kill workers whose deadline passed a second ago while nobody read their answer (a stalled client)."""
        while True:
            time.sleep(0.25)
            with self._lock:  # held while killing, so that the worker cannot move on to another query
                if self._closed:
                    return
                for worker in self._busy:
                    if worker.deadline is not None and time.monotonic() > worker.deadline + 1:
                        worker.timed_out = True
                        if worker.process.poll() is None:
                            worker.process.kill()

    def close(self) -> None:
        """Stop every worker and delete the snapshots; queries still waiting are refused."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = [*self._idle, *self._busy]
            self._idle.clear()
            self._lock.notify_all()
        for worker in workers:
            worker.kill()
        self.snapshots.close()


class _Stream:
    """The chunks of a streamed answer; the worker goes back to the pool at the end, or is killed on close."""

    def __init__(self, pool: WorkerPool, worker: _Worker, timeout: float | None, first: bytes) -> None:
        self.pool = pool
        self.worker: _Worker | None = worker
        self.timeout = timeout
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
            message = self.pool._receive(worker, self.timeout)
        except BaseException:
            self._done(healthy=False)
            raise
        tag = message[:1]
        if tag == DATA:
            return message[1:]
        self._done(healthy=True)
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
        return RuntimeError(f"query worker error {report['kind']}: {report['message']}")
    return kind(report["message"])


def evaluator_for(kg: KnowledgeGraph, *, workers: int, max_queries: int | None = None) -> Evaluator:
    """The remote engine itself for a remote store; a worker pool for an on-disk store when ``workers`` > 0;
    otherwise evaluation in the calling thread."""
    from .remote import RemoteBackend
    from .remote_evaluation import RemoteEvaluator

    if isinstance(kg.backend, RemoteBackend):
        return RemoteEvaluator(kg, max_queries=max_queries)
    if workers > 0 and kg.path is not None:
        return WorkerPool(kg, size=workers, max_queries=max_queries)
    return InProcessEvaluator(kg)
