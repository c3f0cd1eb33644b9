"""The query service: every request's reading work is admitted, budgeted, run and counted here, once.

A request's work (:mod:`.work`) goes to one runner, chosen when the service is built:

- :class:`~.pool.WorkerPool` — worker processes over snapshots of an on-disk store, killed at the deadline;
- :class:`~.remote.RemoteRunner` — the remote SPARQL engine (a query's answer streams through; other work
  runs here, every request it makes to the engine bounded by the deadline);
- :class:`InThreadRunner` — the calling thread, for a store held only in memory (tests, ``--query-workers
  0``): nothing can stop a query there, which ``docs/timeouts.md`` says.

The service itself admits at most ``max_queries`` works at once (beyond that: 503 at once, never queued), and
at most ``max_per_client`` of them for one client (:data:`CLIENT`), so that one client sending many costly
requests cannot take every place from the others. It sets each work's deadline from its budget, releases
the admission when the answer has been sent (streamed bodies included) and counts what happened, for
``/metrics``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from typing import Any, Protocol

from ..deadline import Deadline
from ..errors import QueryTimeout, Unavailable
from ..store import KnowledgeGraph
from ..updates import PlanContext, Update, planned
from .work import Answer, Buffer, Call, Work

#: Works admitted at once per worker (running or waiting for one) when the configuration does not say.
PER_WORKER = 8
#: Works admitted at once on a remote engine or in the calling thread, when the configuration does not say.
DEFAULT_MAX = 64
#: Cached values kept at most (they are few kinds of page; the cache empties when full).
CACHE_SIZE = 256

#: No value cached (a cached value may be None).
_MISSING = object()

#: The client whose request the calling thread serves (its address): set by the server's front for every
#: request. The works of a request admitted while it is set count against that client's share; unset (""),
#: they count against none (the command line, tests calling the app directly).
CLIENT: ContextVar[str] = ContextVar("genai_kg_client", default="")


class Runner(Protocol):
    """Where works run; raises :class:`QueryTimeout` when the deadline passes."""

    def run(self, work: Work, deadline: Deadline) -> Answer: ...

    def stats(self) -> dict[str, int]: ...

    def close(self) -> None: ...


class InThreadRunner:
    """Runs a work in the calling thread; it cannot stop one, so it is used only where nothing else can run."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg

    def run(self, work: Work, deadline: Deadline) -> Answer:
        output = Buffer()
        value = work.run(self.kg, output)
        return Answer(output.media_type, iter(output.chunks), value)

    def stats(self) -> dict[str, int]:
        return {}

    def close(self) -> None:
        pass


class QueryService:
    """Admission, deadlines and statistics for every work, in front of one runner."""

    def __init__(
        self,
        kg: KnowledgeGraph,
        runner: Runner,
        *,
        max_queries: int,
        timeout: float | None,
        max_per_client: int | None = None,
    ) -> None:
        """``max_per_client`` defaults to half of ``max_queries`` (at least one)."""
        if max_queries < 1 or (max_per_client is not None and max_per_client < 1):  # (settings refuse those)
            raise ValueError("the service must admit at least one query at once, and one per client")
        self.kg = kg
        self.runner = runner
        self.max_queries = max_queries
        self.max_per_client = max_per_client or max(1, max_queries // 2)
        self.timeout = timeout
        self._lock = threading.Lock()
        self._admitted = 0
        #: Works admitted now, by client (only clients with some).
        self._by_client: dict[str, int] = {}
        #: Events since start: works admitted in all, refused at the door (the service full, or the client's
        #: share taken), stopped at their budget; by kind.
        self.counts = {"total": 0, "refused": 0, "refused_client": 0, "timeouts": 0}
        self.kinds: dict[str, int] = {}
        self._cache: dict[tuple[Work, str], Any] = {}
        #: Cached works running now, by (work, generation): what other requests for them wait for.
        self._running: dict[tuple[Work, str], Future[Any]] = {}
        self._writing = threading.Lock()

    def run(self, work: Work) -> Answer:
        """Run ``work`` within the service's budget (``timeout`` seconds; None: no limit).

        Errors known before the first chunk are raised here; past it, iterating the chunks raises, and the
        server must abort the response rather than end it.
        """
        return self._execute(work, self._admit(work))

    def _execute(self, work: Work, client: str) -> Answer:
        """Run an admitted ``work`` (see :meth:`run`)."""
        try:
            answer = self.runner.run(work, Deadline.after(self.timeout if work.budgeted else None))
        except BaseException as error:
            self._release(client, error)
            raise
        if answer.media_type is None:  # a value: the work is done
            self._release(client)
        else:  # a body: the work is done when its last chunk is sent
            answer.chunks = _Released(self, client, answer.chunks)
        return answer

    def update(self, update: Update, context: PlanContext) -> None:
        """Plan ``update`` as budgeted work (in a worker over the newest snapshot, or against the engine), then
        write the planned delta. Writes take turns: no other write lands between a plan and its write, so the
        delta is exact for the store it is written to; a plan stopped at its budget leaves nothing behind."""
        with self._writing:
            delta = self.value(Call(planned, (update, context), kind="update"))
            self.kg.write(delta)

    def value(self, work: Work, *, cached: bool = False) -> Any:
        """The value a work returns; with ``cached``, kept until the store's generation changes (for costly
        pages whose answer only writes change: statistics, the home page, the ontology's documentation).

        A cached work asked for while the same work on the same generation is running is not run again: the
        request waits for that one's value (or error), admitted and counted as if it ran it. Otherwise visitors
        arriving together after a write would each take a worker for the same seconds-long scan, and those
        beyond the long lane would be stopped (three first views of the home page at 1.15M triples: two 503s).
        """
        if not cached:
            return self.run(work).value
        key = (work, self.kg.generation)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        client = self._admit(work)  # a request refused at the door is refused alone
        with self._lock:
            found = self._cache.get(key, _MISSING)
            running = self._running.get(key)
            leader = found is _MISSING and running is None
            if leader:
                running = self._running[key] = Future()
        if found is not _MISSING:
            self._release(client)
            return found
        assert running is not None
        if not leader:
            return self._wait_for(work, client, running)
        try:
            value = self._execute(work, client).value
        except BaseException as error:
            with self._lock:
                del self._running[key]
            running.set_exception(error)
            raise
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = value
            del self._running[key]
        running.set_result(value)
        return value

    def _wait_for(self, work: Work, client: str, running: Future[Any]) -> Any:
        """The value of the same work another request is running, within this admitted request's budget."""
        deadline = Deadline.after(self.timeout if work.budgeted else None)
        error: BaseException | None = None
        try:
            return running.result(deadline.remaining())
        except FutureTimeout:
            error = deadline.timeout("the same work, run for another request,")
            raise error from None
        except BaseException as failed:
            error = failed
            raise
        finally:
            self._release(client, error)

    def _admit(self, work: Work) -> str:
        """Admit ``work`` or refuse it (:class:`Unavailable`); returns the client it counts against."""
        client = CLIENT.get()
        with self._lock:
            if self._admitted >= self.max_queries:
                self.counts["refused"] += 1
                raise Unavailable(f"the server is answering {self.max_queries} requests already; retry shortly")
            held = self._by_client.get(client, 0) if client else 0
            if held >= self.max_per_client:
                self.counts["refused_client"] += 1
                raise Unavailable(
                    f"{held} requests from {client} are being answered already, the most one client may have at "
                    "once; retry when one has ended"
                )
            self._admitted += 1
            if client:
                self._by_client[client] = held + 1
            self.counts["total"] += 1
            self.kinds[work.kind] = self.kinds.get(work.kind, 0) + 1
        return client

    def _release(self, client: str, error: BaseException | None = None) -> None:
        with self._lock:
            self._admitted -= 1
            if client:
                held = self._by_client.pop(client) - 1
                if held:
                    self._by_client[client] = held
            if isinstance(error, QueryTimeout):
                self.counts["timeouts"] += 1

    def stats(self) -> dict[str, int]:
        """Figures for metrics: admitted now, the event counts, and the runner's own figures."""
        with self._lock:
            figures = {"admitted": self._admitted, **self.counts}
        return {**figures, **self.runner.stats()}

    def close(self) -> None:
        self.runner.close()


class _Released:
    """A body's chunks that give the work's admission back once: at the end, on a failure, or on ``close()``
    (a client gone, a response never sent) — even before the first chunk, which a generator could not do."""

    def __init__(self, service: QueryService, client: str, chunks: Iterator[bytes]) -> None:
        self.service = service
        self.client = client
        self.chunks: Iterator[bytes] | None = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self.chunks is None:
            raise StopIteration
        try:
            return next(self.chunks)
        except StopIteration:
            self._end(None)
            raise
        except BaseException as error:
            self._end(error)
            raise

    def close(self) -> None:
        self._end(None)

    def _end(self, error: BaseException | None) -> None:
        chunks, self.chunks = self.chunks, None
        if chunks is None:
            return
        close = getattr(chunks, "close", None)
        if close is not None:
            close()  # a worker stream not read to its end is killed
        self.service._release(self.client, error)


def service_for(
    kg: KnowledgeGraph,
    *,
    workers: int,
    max_queries: int | None,
    timeout: float | None,
    max_per_client: int | None = None,
    long_after: float = 2.0,
    memory: int | None = None,
) -> QueryService:
    """The service for ``kg``: the remote engine's runner, a worker pool for an on-disk store (``workers`` > 0;
    ``memory`` the bytes of data each may hold, by default :func:`~.pool.default_memory`), else the calling
    thread."""
    from ..remote import RemoteBackend
    from .pool import WorkerPool, default_memory
    from .remote import RemoteRunner

    runner: Runner
    if isinstance(kg.backend, RemoteBackend):
        runner, default = RemoteRunner(kg), DEFAULT_MAX
    elif workers > 0 and kg.path is not None:
        pool = WorkerPool(kg, size=workers, long_after=long_after, memory=memory or default_memory(workers), wait=False)
        runner, default = pool, PER_WORKER * workers
    else:
        runner, default = InThreadRunner(kg), DEFAULT_MAX
    return QueryService(kg, runner, max_queries=max_queries or default, timeout=timeout, max_per_client=max_per_client)
