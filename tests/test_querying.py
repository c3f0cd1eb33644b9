"""The query service and its worker pool, against a real on-disk store and real worker processes: answers,
errors, deadlines, the long lane, admission, snapshots."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

import psutil
import pytest
from pyoxigraph import Literal, QueryResultsFormat, RdfFormat

from graph import (
    BadQuery,
    KnowledgeGraph,
    QueryOutOfMemory,
    QueryTimeout,
    Unavailable,
    browse,
    charts,
    open_knowledge_graph,
    void,
)
from graph.builds import reads
from graph.deadline import Deadline
from graph.errors import NotAcceptable
from graph.inference import api as inference_api
from graph.querying import forks as forks_module
from graph.querying import lanes, worker
from graph.querying.forks import ForkServer
from graph.querying.pool import WorkerPool, _Worker
from graph.querying.service import CLIENT, InThreadRunner, QueryService
from graph.querying.work import Answer, Call, Formats, QueryRequest, Stream, Work

from .conftest import shipped_copy

JSON = Formats.of(QueryResultsFormat.JSON, RdfFormat.TURTLE)
RUNAWAY_COUNT = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RUNAWAY_ROWS = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Sorting a cross product of the shipped graph with itself: a billion rows held at once (10 GB in 30 s).
RUNAWAY_MEMORY = "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f"
#: The memory budget of the pools that test it.
BUDGET = 256 * 2**20


@pytest.fixture
def disk_kg(shipped_store: Path) -> Iterator[KnowledgeGraph]:
    kg = open_knowledge_graph(shipped_store)
    yield kg
    kg.close()


@pytest.fixture(scope="module")
def shared(
    shipped_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[KnowledgeGraph, WorkerPool]]:
    """One store and pool for the tests that only read (starting them costs most of a second)."""
    kg = open_knowledge_graph(shipped_copy(shipped_template, tmp_path_factory.mktemp("shared") / "store"))
    pool = WorkerPool(kg, size=2)
    yield kg, pool
    pool.close()
    kg.close()


@pytest.fixture
def pool(disk_kg: KnowledgeGraph) -> Iterator[WorkerPool]:
    pool = WorkerPool(disk_kg, size=2)
    yield pool
    pool.close()


def run(pool: WorkerPool, sparql: str, formats: Formats = JSON, timeout: float | None = 10, **more: object) -> Answer:
    return pool.run(QueryRequest(sparql, formats=formats, **more), Deadline.after(timeout))  # type: ignore[arg-type]


def body(pool: WorkerPool, sparql: str, formats: Formats = JSON, timeout: float | None = 10) -> bytes:
    return run(pool, sparql, formats, timeout).body()


def wait_for(condition: object, seconds: float = 10) -> None:
    """Wait until ``condition()`` holds (processes start and stop asynchronously)."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("sparql", "formats"),
    [
        ("SELECT ?s ?p ?o { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 50", JSON),
        ("SELECT ?s { ?s a gai:LargeLanguageModel } ORDER BY ?s", Formats.of(QueryResultsFormat.XML, None)),
        ("SELECT ?s { ?s a gai:ImageGenerator } ORDER BY ?s", Formats.of(QueryResultsFormat.CSV, None)),
        ("ASK { gaid:ChatGPT ?p ?o }", Formats.of(QueryResultsFormat.TSV, None)),
        ("CONSTRUCT { gaid:ChatGPT ?p ?o } WHERE { gaid:ChatGPT ?p ?o }", Formats.of(None, RdfFormat.N_TRIPLES)),
        ("SELECT * { ?s ?p ?o } ORDER BY ?s ?p ?o", JSON),  # several frames
    ],
)
def test_answers_are_those_of_in_process_evaluation(
    shared: tuple[KnowledgeGraph, WorkerPool], sparql: str, formats: Formats
) -> None:
    disk_kg, pool = shared
    expected = InThreadRunner(disk_kg).run(QueryRequest(sparql, formats=formats), Deadline()).body()
    answer = run(pool, sparql, formats)
    assert answer.media_type in {f.media_type for f in (formats.results, formats.graph) if f is not None}
    assert answer.body() == expected


def test_a_large_answer_is_streamed_in_frames(shared: tuple[KnowledgeGraph, WorkerPool]) -> None:
    pool = shared[1]
    chunks = list(run(pool, "SELECT * { ?s ?p ?o }").chunks)
    assert len(chunks) > 1
    assert b"".join(chunks).endswith(b"]}}")


def test_bound_values_reach_the_worker(shared: tuple[KnowledgeGraph, WorkerPool]) -> None:
    pool = shared[1]
    answer = run(pool, "SELECT ?x { }", substitutions=(("x", Literal("bound", language="en")),))
    assert b'"xml:lang":"en"' in answer.body()


def test_errors_are_raised_before_the_first_byte_and_keep_the_worker(
    shared: tuple[KnowledgeGraph, WorkerPool],
) -> None:
    pool = shared[1]
    before = set(pool.pids())
    with pytest.raises(BadQuery):
        run(pool, "SELECT nonsense")
    with pytest.raises(BadQuery, match="SERVICE call failed"):  # raised while serialising, in the worker
        run(pool, "SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
    with pytest.raises(NotAcceptable, match="RDF graph"):
        run(pool, "CONSTRUCT WHERE { ?s ?p ?o }", Formats.of(QueryResultsFormat.JSON, None))
    assert set(pool.pids()) == before


def test_a_runaway_query_is_stopped_and_its_worker_replaced(pool: WorkerPool) -> None:
    before = set(pool.pids())
    with pytest.raises(QueryTimeout, match=r"ran past the 0\.5 s budget"):
        run(pool, RUNAWAY_COUNT, timeout=0.5)
    killed = before - set(pool.pids())
    assert len(killed) == 1
    assert not any(psutil.pid_exists(pid) for pid in killed)
    wait_for(lambda: len(pool.pids()) == 2)
    assert b"true" in body(pool, "ASK { ?s ?p ?o }")


def hoard(kg: KnowledgeGraph, size: int) -> int:
    """A work that holds ``size`` bytes in Python objects (the worker imports it from this module)."""
    return len(bytearray(size))


@pytest.mark.parametrize(
    "work",
    [
        QueryRequest(RUNAWAY_MEMORY, formats=JSON),  # pyoxigraph's allocation fails: the worker aborts
        Call(hoard, (2 * BUDGET,)),  # Python's fails: MemoryError
    ],
    ids=["pyoxigraph", "python"],
)
def test_a_work_past_its_memory_is_stopped_and_its_worker_replaced(disk_kg: KnowledgeGraph, work: Work) -> None:
    pool = WorkerPool(disk_kg, size=2, memory=BUDGET)
    try:
        before = set(pool.pids())
        with pytest.raises(QueryOutOfMemory, match="more than the 256 MiB of memory a query may use"):
            pool.run(work, Deadline.after(60))  # (a QueryTimeout at 60 s without the budget)
        assert pool.stats()["out_of_memory"] == 1
        killed = before - set(pool.pids())
        assert len(killed) == 1 and not any(psutil.pid_exists(pid) for pid in killed)
        wait_for(lambda: len(pool.pids()) == 2)
        assert b"true" in body(pool, "ASK { ?s ?p ?o }")  # the others go on
        assert pool.run(Call(hoard, (BUDGET // 4,)), Deadline.after(10)).value == BUDGET // 4  # less fits
        workers = set(pool.pids())
        with pytest.raises(QueryOutOfMemory):  # the same work on the same data: refused without a worker
            pool.run(work, Deadline.after(60))
        assert set(pool.pids()) == workers and pool.stats()["out_of_memory"] == 2
        disk_kg.update("INSERT DATA { gaid:X a gai:Thing }")  # new data: it is tried again
        with pytest.raises(QueryOutOfMemory):
            pool.run(work, Deadline.after(60))
        assert set(pool.pids()) != workers
    finally:
        pool.close()


def test_the_budget_is_each_workers_kernel_limit_and_none_means_none(
    disk_kg: KnowledgeGraph, shared: tuple[KnowledgeGraph, WorkerPool]
) -> None:
    _, unlimited = shared
    for pid in unlimited.pids():
        assert psutil.Process(pid).rlimit(psutil.RLIMIT_DATA) == (psutil.RLIM_INFINITY, psutil.RLIM_INFINITY)
    assert unlimited.run(Call(hoard, (2 * BUDGET,)), Deadline.after(10)).value == 2 * BUDGET
    pool = WorkerPool(disk_kg, size=2, memory=BUDGET)
    try:
        for pid in pool.pids():  # the kernel enforces it: nothing in the pool polls
            assert psutil.Process(pid).rlimit(psutil.RLIMIT_DATA) == (BUDGET, BUDGET)
    finally:
        pool.close()


def test_a_stream_past_its_deadline_fails_midway(pool: WorkerPool) -> None:
    answer = run(pool, RUNAWAY_ROWS, timeout=0.5)
    received = 0
    with pytest.raises(QueryTimeout):
        for chunk in answer.chunks:
            received += len(chunk)
    assert received > 0
    wait_for(lambda: len(pool.pids()) == 2)


def test_a_stream_nobody_reads_is_stopped_after_its_deadline(pool: WorkerPool) -> None:
    answer = run(pool, RUNAWAY_ROWS, timeout=1.0)  # long enough for the first chunk on a loaded machine
    next(iter(answer.chunks))
    (busy,) = set(pool.pids()) - {w.pid for w in pool._idle}
    process = psutil.Process(busy)
    process.wait(10)  # killed by the pool's reaper, though nothing pulls the stream
    with pytest.raises(QueryTimeout):
        list(answer.chunks)


def test_other_queries_are_answered_while_one_runs_away(disk_kg: KnowledgeGraph) -> None:
    pool = WorkerPool(disk_kg, size=2)
    try:
        runaway = run(pool, RUNAWAY_ROWS, timeout=30)
        next(iter(runaway.chunks))  # one worker is busy now
        for _ in range(5):
            assert b"true" in body(pool, "ASK { gaid:ChatGPT ?p ?o }")
        runaway.chunks.close()  # type: ignore[attr-defined]
    finally:
        pool.close()


def test_reads_see_acknowledged_writes(pool: WorkerPool, disk_kg: KnowledgeGraph) -> None:
    for n in range(5):
        disk_kg.update(f"INSERT DATA {{ <urn:test:{n}> <urn:test:p> {n} }}")
        assert body(pool, f"ASK {{ <urn:test:{n}> <urn:test:p> {n} }}").count(b"true") == 1
    # generations nobody reads are deleted: at most one per worker, plus the newest
    assert len(pool.snapshots.generations()) <= pool.size + 1


def test_a_snapshot_that_cannot_be_written_is_retried(pool: WorkerPool, disk_kg: KnowledgeGraph) -> None:
    root = pool.snapshots.root
    assert root is not None
    disk_kg.update("INSERT DATA { <urn:test:late> <urn:test:p> 1 }")
    shutil.rmtree(root)
    root.write_bytes(b"")  # no folder to checkpoint into, as on a full disk
    with pytest.raises(Unavailable, match="cannot be published"):
        run(pool, "ASK { <urn:test:late> ?p ?o }")
    root.unlink()
    root.mkdir()
    assert b"true" in body(pool, "ASK { <urn:test:late> ?p ?o }")


def test_too_many_queries_are_refused_at_once(disk_kg: KnowledgeGraph) -> None:
    service = QueryService(disk_kg, WorkerPool(disk_kg, size=1), max_queries=1, timeout=30)
    try:
        held = service.run(QueryRequest(RUNAWAY_ROWS))
        with pytest.raises(Unavailable, match="retry"):
            service.run(QueryRequest("ASK {}"))
        assert service.stats()["refused"] == 1 and service.stats()["admitted"] == 1
        held.chunks.close()  # type: ignore[attr-defined]
        assert service.stats()["admitted"] == 0
        wait_for(lambda: service.stats()["workers"] == 1)
        assert b"true" in service.run(QueryRequest("ASK {}")).body()
    finally:
        service.close()


def test_one_client_cannot_take_every_place(disk_kg: KnowledgeGraph) -> None:
    """Two streams held by one client take its share; another client is still admitted, and the share is
    given back when a stream ends."""
    service = QueryService(disk_kg, WorkerPool(disk_kg, size=3), max_queries=4, timeout=30)
    assert service.max_per_client == 2
    greedy = CLIENT.set("192.0.2.1")
    try:
        held = [service.run(QueryRequest(RUNAWAY_ROWS)) for _ in range(2)]
        with pytest.raises(Unavailable, match=r"2 requests from 192\.0\.2\.1 are being answered already"):
            service.run(QueryRequest("ASK {}"))
        assert service.stats()["refused_client"] == 1 and service.stats()["admitted"] == 2
        other = CLIENT.set("192.0.2.2")
        assert service.value(Call(len)) > 0  # another client gets in (a value: given back at once)
        CLIENT.reset(other)
        held[0].chunks.close()  # type: ignore[attr-defined]
        assert b"true" in service.run(QueryRequest("ASK {}")).body()  # the greedy client's share is back
        held[1].chunks.close()  # type: ignore[attr-defined]
        assert service.stats()["admitted"] == 0 and service.stats()["refused"] == 0
    finally:
        CLIENT.reset(greedy)
        service.close()


def test_waiting_for_a_worker_counts_against_the_budget(disk_kg: KnowledgeGraph) -> None:
    pool = WorkerPool(disk_kg, size=1)
    try:
        held = run(pool, RUNAWAY_ROWS, timeout=30)
        with pytest.raises(QueryTimeout, match="waiting for a free query worker"):
            run(pool, "ASK {}", timeout=0.3)
        held.chunks.close()  # type: ignore[attr-defined]
    finally:
        pool.close()


def test_the_service_counts_timeouts_and_kinds(disk_kg: KnowledgeGraph) -> None:
    service = QueryService(disk_kg, WorkerPool(disk_kg, size=2), max_queries=4, timeout=0.5)
    try:
        with pytest.raises(QueryTimeout):
            service.run(QueryRequest(RUNAWAY_COUNT))
        with pytest.raises(QueryTimeout):
            service.run(QueryRequest(RUNAWAY_ROWS)).body()  # stopped while streaming
        figures = service.stats()
        assert figures["timeouts"] == 2 and figures["admitted"] == 0 and service.kinds == {"query": 2}
    finally:
        service.close()


def slow_value(kg: KnowledgeGraph, seconds: float) -> int:
    """A value that takes ``seconds`` to compute (a page's scan of a large store), and the process that did."""
    time.sleep(seconds)
    return os.getpid()


@reads("a slow index")
def slow_index(kg: KnowledgeGraph, seconds: float) -> int:
    """A work that reads a whole-graph index taking ``seconds`` to build (search's names at 1.15M triples),
    and the process whose index it read."""

    def build(kg: KnowledgeGraph) -> int:
        time.sleep(seconds)
        return os.getpid()

    return kg.cached("a slow index", build)


def test_works_reading_an_index_wait_for_the_worker_that_builds_it(disk_kg: KnowledgeGraph) -> None:
    """Searches arriving together after a write: the first builds the index in one worker (and turns long);
    the others wait for that worker rather than build it again in the reserved one, where they would turn long
    too and be stopped at the long lane. Work without the index still has the other worker."""
    pool = WorkerPool(disk_kg, size=2, reserve=1, long_after=0.3)
    work = Call(slow_index, (1.5,))
    try:
        with ThreadPoolExecutor(3) as threads:
            searches = [threads.submit(pool.run, work, Deadline.after(30)) for _ in range(3)]
            time.sleep(0.6)  # the first has turned long
            assert b"true" in body(pool, "ASK { ?s ?p ?o }")  # the reserved worker answers meanwhile
            built = {search.result().value for search in searches}
        assert len(built) == 1 and pool.stats()["long_stopped"] == 0
        disk_kg.update("INSERT DATA { gaid:X a gai:Thing }")  # a new generation: built again, once
        with ThreadPoolExecutor(2) as threads:
            again = {v.value for v in threads.map(lambda _: pool.run(work, Deadline.after(30)), range(2))}
        assert len(again) == 1 and pool.stats()["long_stopped"] == 0
    finally:
        pool.close()


def test_building_an_index_does_not_count_against_the_budget(disk_kg: KnowledgeGraph) -> None:
    """An index grows with the store, not with the request: one that takes longer than the budget to build is
    built (else no request could ever use it), and the rest of a work keeps its budget."""
    pool = WorkerPool(disk_kg, size=2)
    try:
        pool.run(Call(slow_value, (0.0,)), Deadline.after(30))  # the worker imports this module: a second, cold
        work = Call(slow_index, (1.0,))
        assert pool.run(work, Deadline.after(0.5)).value in pool.pids()  # twice the budget to build
        assert pool.stats()["replaced"] == 0
        with pytest.raises(QueryTimeout, match=r"the 0\.5 s budget"):
            pool.run(Call(slow_value, (1.0,)), Deadline.after(0.5))
    finally:
        pool.close()


@pytest.mark.parametrize(
    "scan",
    [
        void.statistics,
        charts.models_per_year,
        charts.parameters_over_time,
        browse.matrix,
        lambda kg: inference_api.consistency(kg, False),
    ],
    ids=["statistics", "models per year", "parameters over time", "matrix", "consistency"],
)
def test_whole_store_scans_are_builds_kept_for_the_generation(
    disk_kg: KnowledgeGraph, scan: Callable[[KnowledgeGraph], object]
) -> None:
    """The pages' scans of the whole store are built like indexes: announced (a worker's pool does not time
    them, above), done once per generation, and done again after a write."""
    told: list[bool] = []
    disk_kg.on_build = told.append
    first = scan(disk_kg)
    assert told == [True, False] and scan(disk_kg) is first
    disk_kg.update("INSERT DATA { gaid:X a gai:Thing }")
    assert scan(disk_kg) is not first and told == [True, False, True, False]


def slow_refusal(kg: KnowledgeGraph, seconds: float) -> None:
    time.sleep(seconds)
    raise BadQuery("no such thing")


def test_the_same_cached_work_asked_for_at_once_runs_once(disk_kg: KnowledgeGraph) -> None:
    """Visitors arriving together wait for the one run (each would otherwise turn long, and all but one be
    stopped at the long lane), and a request refused at the door is refused alone."""
    pool = WorkerPool(disk_kg, size=2, reserve=1, long_after=0.3)
    service = QueryService(disk_kg, pool, max_queries=4, timeout=30, max_per_client=4)
    work = Call(slow_value, (1.5,))
    try:
        with ThreadPoolExecutor(3) as threads:
            values = list(threads.map(lambda _: service.value(work, cached=True), range(3)))
        assert len(set(values)) == 1 and values[0] in pool.pids()  # one worker computed it, for all three
        assert pool.stats()["long_stopped"] == 0 and service.stats()["admitted"] == 0
        assert service.stats()["total"] == 3 and service.kinds["page"] == 3  # each request counted
        assert service.value(work, cached=True) == values[0]  # then kept
        failing = Call(slow_refusal, (0.5,))
        with ThreadPoolExecutor(2) as threads:
            runs = [threads.submit(service.value, failing, cached=True) for _ in range(2)]
            for run_ in runs:  # the one run's error reaches both
                with pytest.raises(BadQuery, match="no such thing"):
                    run_.result()
    finally:
        service.close()


def slow_body(kg: KnowledgeGraph, output: object, pieces: int) -> None:
    """A body of ``pieces`` MiB written one a tenth of a second (a dump of a large store, slowed down)."""
    output.start("application/n-quads")  # type: ignore[attr-defined]
    for _ in range(pieces):
        time.sleep(0.1)
        output.write(b"#" * 2**20)  # type: ignore[attr-defined]


def test_a_work_that_reads_the_store_out_is_not_cut_at_the_budget(disk_kg: KnowledgeGraph) -> None:
    """Dumps and Graph Store reads grow with the store, not with the request: the time budget does not apply."""
    service = QueryService(disk_kg, WorkerPool(disk_kg, size=2), max_queries=4, timeout=0.3)
    try:
        with pytest.raises(QueryTimeout):
            service.run(Stream(slow_body, (10,))).body()
        assert len(service.run(Stream(slow_body, (10,), budgeted=False)).body()) == 10 * 2**20
    finally:
        service.close()


def test_long_work_never_takes_the_reserved_worker(disk_kg: KnowledgeGraph) -> None:
    """Two runaways on two workers: the second is stopped once it turns long, and small queries go on."""
    pool = WorkerPool(disk_kg, size=2, reserve=1, long_after=0.5)
    try:
        first = run(pool, RUNAWAY_ROWS, timeout=30)
        next(iter(first.chunks))
        second = run(pool, RUNAWAY_ROWS, timeout=30)
        next(iter(second.chunks))
        with pytest.raises(Unavailable, match="long-running"):
            second.body()
        assert pool.stats()["long"] == 1 and pool.stats()["long_stopped"] == 1
        started = time.monotonic()
        for _ in range(5):
            assert b"true" in body(pool, "ASK { gaid:ChatGPT ?p ?o }")
        assert time.monotonic() - started < 5
        first.chunks.close()  # type: ignore[attr-defined]
    finally:
        pool.close()


def test_close_stops_every_worker_and_deletes_the_snapshots(disk_kg: KnowledgeGraph) -> None:
    pool = WorkerPool(disk_kg, size=2)
    processes = [psutil.Process(pid) for pid in [*pool.pids(), pool.forks.process.pid]]
    assert pool.snapshots.root is not None and pool.snapshots.root.exists()
    pool.close()
    assert not any(p.is_running() for p in processes)
    assert not pool.snapshots.root.exists()
    with pytest.raises(Unavailable):
        run(pool, "ASK {}", timeout=1)


def test_a_read_only_store_is_read_in_place(tmp_path: Path) -> None:
    open_knowledge_graph(tmp_path / "store").close()
    kg = KnowledgeGraph.open(tmp_path / "store", read_only=True)
    pool = WorkerPool(kg, size=1)
    try:
        assert pool.snapshots.generations() == [0]
        assert b"true" in body(pool, "ASK { gaid:ChatGPT ?p ?o }")
        assert not (tmp_path / "store.snapshots").exists()
    finally:
        pool.close()


def test_a_runaway_sent_again_is_refused_while_the_long_lane_is_full(disk_kg: KnowledgeGraph) -> None:
    """The same runaway sent again after it was stopped at the full long lane is refused at once, without
    taking the reserved worker; once the lane has room, it is admitted again."""
    pool = WorkerPool(disk_kg, size=2, reserve=1, long_after=0.5)
    try:
        first = run(pool, RUNAWAY_ROWS, timeout=30)
        next(iter(first.chunks))
        with pytest.raises(Unavailable, match="long-running"):
            run(pool, RUNAWAY_COUNT, timeout=30)  # a count sends nothing before its end: stopped here
        replaced = pool.counts["replaced"]
        with pytest.raises(Unavailable, match="long-running"):
            run(pool, RUNAWAY_COUNT, timeout=30)
        assert pool.stats()["long_refused"] == 1 and pool.counts["replaced"] == replaced
        assert b"true" in body(pool, "ASK { gaid:ChatGPT ?p ?o }")  # small work still runs
        first.chunks.close()  # type: ignore[attr-defined]
        wait_for(lambda: pool.stats()["long"] == 0)
        again = run(pool, RUNAWAY_ROWS, timeout=30)  # the lane has room: admitted again
        next(iter(again.chunks))
        again.chunks.close()  # type: ignore[attr-defined]
        assert pool.stats()["long_refused"] == 1
    finally:
        pool.close()


def test_a_client_whose_runaway_was_stopped_gets_a_short_leash_while_the_long_lane_is_full(
    disk_kg: KnowledgeGraph,
) -> None:
    """A client that changes its runaway's text each time is not refused as the same work; but once one of its
    works was stopped at the full long lane, its next ones are stopped at the probation (a tenth of a second)
    instead of holding the reserved worker until the long lane's threshold, and after such a stop its works
    are refused at once for a cool-down. Other clients' are not, and once the lane has room the client is
    forgotten."""
    pool = WorkerPool(disk_kg, size=2, reserve=1, long_after=0.5)
    first = run(pool, RUNAWAY_ROWS, timeout=60)  # another client's, holding the long lane
    next(iter(first.chunks))
    attacker = CLIENT.set("192.0.2.66")
    try:
        with pytest.raises(Unavailable, match="long-running"):
            run(pool, RUNAWAY_COUNT, timeout=30)
        with pytest.raises(Unavailable, match=r"192\.0\.2\.66 may run 0\.1 s"):
            run(pool, RUNAWAY_COUNT + " # another text", timeout=30)
        assert pool.stats()["probation_stopped"] == 1 and pool.stats()["long_refused"] == 0
        replaced = pool.counts["replaced"]
        with pytest.raises(Unavailable, match=r"192\.0\.2\.66 are refused for 1 s"):  # without taking a worker
            body(pool, "ASK { gaid:ChatGPT ?p ?o }")
        assert pool.stats()["probation_refused"] == 1 and pool.counts["replaced"] == replaced
        time.sleep(lanes.COOL_DOWN)
        assert b"true" in body(pool, "ASK { gaid:ChatGPT ?p ?o }")  # then its small work runs
        CLIENT.reset(attacker)
        with pytest.raises(Unavailable, match="long-running"):  # another client's: the long lane's threshold
            run(pool, RUNAWAY_COUNT + " # a third text", timeout=30)
        assert pool.stats()["probation_stopped"] == 1
        first.chunks.close()  # type: ignore[attr-defined]
        wait_for(lambda: pool.stats()["long"] == 0)
        attacker = CLIENT.set("192.0.2.66")
        with pytest.raises(QueryTimeout):  # the lane has room: the client runs to its budget again
            run(pool, RUNAWAY_COUNT + " # a fourth text", timeout=0.4)
        assert pool.stats()["probation_stopped"] == 1
    finally:
        CLIENT.reset(attacker)
        pool.close()


def test_a_pool_that_does_not_wait_for_its_workers_answers_once_they_are_ready(disk_kg: KnowledgeGraph) -> None:
    """A server's pool starts its workers in the background (``wait=False``), so that the fork server's start
    overlaps the app's: a work sent at once waits for them, and a pool closed meanwhile leaves none behind."""
    pool = WorkerPool(disk_kg, size=2, wait=False)
    try:
        assert b"true" in body(pool, "ASK { gaid:ChatGPT ?p ?o }", timeout=30)
        wait_for(lambda: len(pool.pids()) == 2)
    finally:
        pool.close()
    before = set(psutil.Process().children(recursive=True))  # other tests' pools (this module shares one)
    closed_early = WorkerPool(disk_kg, size=2, wait=False)
    forks = closed_early.forks.process
    closed_early.close()
    assert forks.poll() is not None
    assert not [p.cmdline() for p in set(psutil.Process().children(recursive=True)) - before]


def test_works_take_workers_in_the_order_they_came(disk_kg: KnowledgeGraph) -> None:
    """A client that asks again the moment its answer arrives does not take the worker another work has been
    waiting for: works are served in the order they came (a client sending runaways, each stopped at once,
    kept look-ups waiting for several of them)."""
    pool = WorkerPool(disk_kg, size=1)
    finished: list[str] = []

    def greedy() -> None:
        for _ in range(5):
            pool.run(Call(slow_value, (0.2,)), Deadline.after(30))
            finished.append("greedy")

    def patient() -> None:
        pool.run(Call(slow_value, (0.0,)), Deadline.after(30))
        finished.append("patient")

    try:
        pool.run(Call(slow_value, (0.0,)), Deadline.after(30))  # the worker has imported this module
        first = threading.Thread(target=greedy)
        first.start()
        wait_for(lambda: pool.stats()["busy"] == 1)
        second = threading.Thread(target=patient)
        second.start()
        first.join(30)
        second.join(30)
        assert finished.index("patient") == 1, finished
    finally:
        pool.close()


def test_workers_are_forked_by_the_fork_server(disk_kg: KnowledgeGraph) -> None:
    """Every worker, the first ones and a replacement, is a child of the pool's fork server."""
    pool = WorkerPool(disk_kg, size=2)
    try:
        forks = psutil.Process(pool.forks.process.pid)
        assert {child.pid for child in forks.children()} == set(pool.pids())
        with pytest.raises(QueryTimeout):
            run(pool, RUNAWAY_COUNT, timeout=0.5)
        wait_for(lambda: len(pool.pids()) == 2)
        assert pool.counts["replaced"] == 1
        assert {child.pid for child in forks.children() if child.status() != psutil.STATUS_ZOMBIE} == set(pool.pids())
    finally:
        pool.close()


def test_a_fork_server_that_was_killed_is_started_again(disk_kg: KnowledgeGraph) -> None:
    """Killing the fork server ends its workers; the pool replaces them from a new fork server, and answers."""
    pool = WorkerPool(disk_kg, size=2)
    try:
        first = pool.forks.process
        first.kill()
        first.wait(10)
        # as requests come: each finds the workers of the killed fork server ended, and replaces them
        wait_for(lambda: _answers(pool) and pool.forks.process is not first and len(pool.pids()) == 2)
        forks = psutil.Process(pool.forks.process.pid)
        assert {child.pid for child in forks.children()} == set(pool.pids())
    finally:
        pool.close()


def _answers(pool: WorkerPool) -> bool:
    try:
        return b"true" in body(pool, "ASK { gaid:ChatGPT ?p ?o }")
    except Unavailable:  # a worker of the killed fork server, ended: replaced
        return False


def test_the_fork_server_tells_how_a_worker_ended() -> None:
    """The exit status crosses from the fork server, which reaps the worker, to the pool, which tells a worker
    that ran out of memory by it (pyoxigraph aborts)."""
    forks = ForkServer()
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    try:
        forked = forks.fork(requests_read, answers_write, None, None, timeout=30)
        assert Connection(answers_read, writable=False).recv_bytes() == worker.READY
        assert forked.poll() is None
        os.kill(forked.pid, signal.SIGABRT)
        assert forked.wait(10) == -signal.SIGABRT
        forked.kill()  # ended: nothing to do, and no other process is hit
        assert forked.poll() == -signal.SIGABRT
    finally:
        for end in (requests_read, requests_write, answers_write):
            os.close(end)
        forks.close()
    assert forks.process.returncode is not None


def test_the_ends_nobody_asked_for_are_not_kept_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's end told after the pool stopped waiting for it is never asked for: the fork server's
    listener keeps only the newest ``ENDS_KEPT`` ends, so a long-lived pool does not grow with them."""
    monkeypatch.setattr(forks_module, "ENDS_KEPT", 2)
    forks = ForkServer()
    ends: list[int] = []
    try:
        for _ in range(4):
            requests_read, requests_write = os.pipe()
            answers_read, answers_write = os.pipe()
            forked = forks.fork(requests_read, answers_write, None, None, timeout=30)
            assert Connection(answers_read, writable=False).recv_bytes() == worker.READY
            os.kill(forked.pid, signal.SIGKILL)  # not through the handle, which would forget it
            assert forks.told(forked.pid, 10) == -signal.SIGKILL
            ends.append(forked.pid)
            for end in (requests_read, requests_write, answers_write):
                os.close(end)
        assert [forks.told(pid, 0) for pid in ends] == [None, None, -signal.SIGKILL, -signal.SIGKILL]
    finally:
        forks.close()


def test_a_worker_whose_server_closed_its_pipes_ends_quietly() -> None:
    """A server shutting down closes the pipes of a worker it has just started: the worker returns (no
    traceback on the server's standard error), before and after saying it is ready."""
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    os.close(answers_read)  # nobody will read the answers
    os.close(requests_write)
    worker.serve(Connection(requests_read, writable=False), Connection(answers_write, readable=False))


def test_a_worker_whose_server_is_gone_mid_answer_ends_quietly(tmp_path: Path) -> None:
    """The answers' pipe breaks while a query streams (a server killed at its shutdown timeout): the worker
    returns. Before, the broken pipe was taken for a failed SERVICE call, and reporting that raised again."""
    open_knowledge_graph(tmp_path / "store").close()
    requests_read, requests_write = os.pipe()
    answers_read, answers_write = os.pipe()
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            worker.serve(Connection(requests_read, writable=False), Connection(answers_write, readable=False))
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=serve)
    thread.start()
    answers = Connection(answers_read, writable=False)
    assert answers.recv_bytes() == worker.READY
    answers.close()  # the server is gone
    job = worker.Job(str(tmp_path / "store"), QueryRequest("SELECT * { ?s ?p ?o }", formats=JSON))
    requests = Connection(requests_write, readable=False)
    requests.send_bytes(pickle.dumps(job))
    thread.join(30)
    requests.close()
    assert not thread.is_alive() and not failures


def test_a_worker_killed_from_two_threads_at_once_is_killed_once() -> None:
    """A stream's close and the pool's shutdown may kill the same worker at the same moment."""
    forks = ForkServer()
    killed = _Worker(forks)
    threads = [threading.Thread(target=killed.kill) for _ in range(4)]
    errors: list[BaseException] = []
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        threading.excepthook = threading.__excepthook__
        forks.close()
    assert not errors and killed.requests.closed and killed.process.returncode is not None
