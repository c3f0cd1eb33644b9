"""The worker pool against a real on-disk store and real worker processes: answers, errors, deadlines, snapshots."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from pyoxigraph import Literal, QueryResultsFormat, RdfFormat

from graph import BadQuery, KnowledgeGraph, QueryTimeout, Unavailable, open_knowledge_graph
from graph.errors import NotAcceptable
from graph.evaluation import Formats, InProcessEvaluator, QueryRequest
from graph.workers import WorkerPool

JSON = Formats(results=QueryResultsFormat.JSON, graph=RdfFormat.TURTLE)
RUNAWAY_COUNT = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RUNAWAY_ROWS = "SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture
def disk_kg(tmp_path: Path) -> Iterator[KnowledgeGraph]:
    kg = open_knowledge_graph(tmp_path / "store")
    yield kg
    kg.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KnowledgeGraph, WorkerPool]]:
    """One store and pool for the tests that only read (starting them costs most of a second)."""
    kg = open_knowledge_graph(tmp_path_factory.mktemp("shared") / "store")
    pool = WorkerPool(kg, size=2)
    yield kg, pool
    pool.close()
    kg.close()


@pytest.fixture
def pool(disk_kg: KnowledgeGraph) -> Iterator[WorkerPool]:
    pool = WorkerPool(disk_kg, size=2)
    yield pool
    pool.close()


def body(pool: WorkerPool, sparql: str, formats: Formats = JSON, timeout: float | None = 10) -> bytes:
    return b"".join(pool.evaluate(QueryRequest(sparql), formats, timeout=timeout).chunks)


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
        ("SELECT ?s { ?s a gai:LargeLanguageModel } ORDER BY ?s", Formats(QueryResultsFormat.XML, None)),
        ("SELECT ?s { ?s a gai:ImageGenerator } ORDER BY ?s", Formats(QueryResultsFormat.CSV, None)),
        ("ASK { gaid:ChatGPT ?p ?o }", Formats(QueryResultsFormat.TSV, None)),
        ("CONSTRUCT { gaid:ChatGPT ?p ?o } WHERE { gaid:ChatGPT ?p ?o }", Formats(None, RdfFormat.N_TRIPLES)),
        ("SELECT * { ?s ?p ?o } ORDER BY ?s ?p ?o", JSON),  # several frames
    ],
)
def test_answers_are_those_of_in_process_evaluation(
    shared: tuple[KnowledgeGraph, WorkerPool], sparql: str, formats: Formats
) -> None:
    disk_kg, pool = shared
    expected = b"".join(InProcessEvaluator(disk_kg).evaluate(QueryRequest(sparql), formats).chunks)
    answer = pool.evaluate(QueryRequest(sparql), formats, timeout=10)
    assert answer.format in (formats.results, formats.graph)
    assert b"".join(answer.chunks) == expected


def test_a_large_answer_is_streamed_in_frames(shared: tuple[KnowledgeGraph, WorkerPool]) -> None:
    pool = shared[1]
    chunks = list(pool.evaluate(QueryRequest("SELECT * { ?s ?p ?o }"), JSON, timeout=10).chunks)
    assert len(chunks) > 1
    assert b"".join(chunks).endswith(b"]}}")


def test_bound_values_reach_the_worker(shared: tuple[KnowledgeGraph, WorkerPool]) -> None:
    pool = shared[1]
    request = QueryRequest("SELECT ?x { }", substitutions=(("x", Literal("bound", language="en")),))
    answer = pool.evaluate(request, JSON, timeout=10)
    assert b'"xml:lang":"en"' in b"".join(answer.chunks)


def test_errors_are_raised_before_the_first_byte_and_keep_the_worker(
    shared: tuple[KnowledgeGraph, WorkerPool],
) -> None:
    pool = shared[1]
    before = set(pool.pids())
    with pytest.raises(BadQuery):
        pool.evaluate(QueryRequest("SELECT nonsense"), JSON, timeout=10)
    with pytest.raises(BadQuery, match="SERVICE call failed"):  # raised while serialising, in the worker
        pool.evaluate(QueryRequest("SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"), JSON, timeout=10)
    with pytest.raises(NotAcceptable, match="RDF graph"):
        pool.evaluate(QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }"), Formats(QueryResultsFormat.JSON, None))
    assert set(pool.pids()) == before


def test_a_runaway_query_is_stopped_and_its_worker_replaced(pool: WorkerPool) -> None:
    before = set(pool.pids())
    with pytest.raises(QueryTimeout, match="timed out"):
        pool.evaluate(QueryRequest(RUNAWAY_COUNT), JSON, timeout=0.5)
    killed = before - set(pool.pids())
    assert len(killed) == 1
    assert not any(psutil.pid_exists(pid) for pid in killed)
    wait_for(lambda: len(pool.pids()) == 2)
    assert b"true" in body(pool, "ASK { ?s ?p ?o }")


def test_a_stream_past_its_deadline_fails_midway(pool: WorkerPool) -> None:
    answer = pool.evaluate(QueryRequest(RUNAWAY_ROWS), JSON, timeout=0.5)
    received = 0
    with pytest.raises(QueryTimeout):
        for chunk in answer.chunks:
            received += len(chunk)
    assert received > 0
    wait_for(lambda: len(pool.pids()) == 2)


def test_a_stream_nobody_reads_is_stopped_after_its_deadline(pool: WorkerPool) -> None:
    answer = pool.evaluate(QueryRequest(RUNAWAY_ROWS), JSON, timeout=0.3)
    next(iter(answer.chunks))
    (busy,) = set(pool.pids()) - {w.pid for w in pool._idle}
    process = psutil.Process(busy)
    process.wait(10)  # killed by the pool's reaper, though nothing pulls the stream
    with pytest.raises(QueryTimeout):
        list(answer.chunks)


def test_other_queries_are_answered_while_one_runs_away(disk_kg: KnowledgeGraph) -> None:
    pool = WorkerPool(disk_kg, size=2)
    try:
        runaway = pool.evaluate(QueryRequest(RUNAWAY_ROWS), JSON, timeout=30)
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
        pool.evaluate(QueryRequest("ASK { <urn:test:late> ?p ?o }"), JSON, timeout=10)
    root.unlink()
    root.mkdir()
    assert b"true" in body(pool, "ASK { <urn:test:late> ?p ?o }")


def test_too_many_queries_are_refused_at_once(disk_kg: KnowledgeGraph) -> None:
    pool = WorkerPool(disk_kg, size=1, max_queries=1)
    try:
        held = pool.evaluate(QueryRequest(RUNAWAY_ROWS), JSON, timeout=30)
        with pytest.raises(Unavailable, match="retry"):
            pool.evaluate(QueryRequest("ASK {}"), JSON, timeout=30)
        held.chunks.close()  # type: ignore[attr-defined]
        wait_for(lambda: len(pool.pids()) == 1)
        assert b"true" in body(pool, "ASK {}")
    finally:
        pool.close()


def test_waiting_for_a_worker_counts_against_the_budget(disk_kg: KnowledgeGraph) -> None:
    pool = WorkerPool(disk_kg, size=1, max_queries=2)
    try:
        held = pool.evaluate(QueryRequest(RUNAWAY_ROWS), JSON, timeout=30)
        with pytest.raises(QueryTimeout, match="no query worker became free"):
            pool.evaluate(QueryRequest("ASK {}"), JSON, timeout=0.3)
        held.chunks.close()  # type: ignore[attr-defined]
    finally:
        pool.close()


def test_close_stops_every_worker_and_deletes_the_snapshots(disk_kg: KnowledgeGraph) -> None:
    pool = WorkerPool(disk_kg, size=2)
    processes = [psutil.Process(pid) for pid in pool.pids()]
    assert pool.snapshots.root is not None and pool.snapshots.root.exists()
    pool.close()
    assert not any(p.is_running() for p in processes)
    assert not pool.snapshots.root.exists()
    with pytest.raises(Unavailable):
        pool.evaluate(QueryRequest("ASK {}"), JSON, timeout=1)


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
