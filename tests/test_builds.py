"""Whole-store builds kept on disk (graph/builds.py): read by the other processes on the same store, by a
replaced worker and after a restart, made again after a write, and never read unless this user signed them."""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from graph import KnowledgeGraph, void
from graph import builds as kept
from graph.errors import QueryTimeout
from graph.querying.pool import WorkerPool
from graph.querying.remote import RemoteRunner
from graph.querying.service import QueryService
from graph.querying.work import Call
from server import Config, create_app

from .test_querying import wait_for

KEY = "test build"


def _built(kg: KnowledgeGraph) -> tuple[int, str]:
    """A build that says which process made it, and at which generation."""
    return os.getpid(), kg.generation


def process_build(kg: KnowledgeGraph) -> tuple[int, str]:
    return kg.cached(KEY, _built)


@pytest.fixture
def store(shipped_store: Path) -> Path:
    return shipped_store


def _files(store: Path) -> list[Path]:
    return sorted(kept.beside(store).rglob("*.pickle"))


def test_a_restarted_process_reads_the_build_instead_of_making_it(store: Path) -> None:
    kg = KnowledgeGraph.open(store)
    told: list[bool] = []
    kg.on_build = told.append
    first = kg.cached(KEY, _built)
    assert told == [True, False] and len(_files(store)) == 1
    kg.close()
    del kg
    again = KnowledgeGraph.open(store)
    made: list[int] = []
    again.on_build = told.append
    assert again.cached(KEY, lambda kg: made.append(1) or _built(kg)) == first and not made
    assert told == [True, False, True, False]  # reading a large build is announced like making it
    again.close()


def test_workers_share_builds_and_a_write_makes_them_again(store: Path) -> None:
    """A server's workers, a replacement worker and the next server read what one worker built."""
    kg = KnowledgeGraph.open(store)
    pool = WorkerPool(kg, size=2)
    service = QueryService(kg, pool, max_queries=4, timeout=30)
    try:
        maker, generation = service.value(Call(process_build, ()))
        assert maker in pool.pids() and generation == kg.generation
        os.kill(maker, 9)  # a worker killed (by the kernel's OOM killer, say) loses what it held in memory
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(maker).wait(10)  # ended and reaped by the fork server
        assert all(service.value(Call(process_build, ())) == (maker, generation) for _ in range(4))
        assert maker not in pool.pids()  # its replacement read the build
    finally:
        service.close()
    pool = WorkerPool(kg, size=2)
    service = QueryService(kg, pool, max_queries=4, timeout=30)
    try:
        for _ in range(4):  # every worker of the next server reads it, none makes it
            assert service.value(Call(process_build, ())) == (maker, generation)
        kg.update("INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }")
        remade, after = service.value(Call(process_build, ()))
        assert after == kg.generation != generation and remade in pool.pids()
    finally:
        service.close()
        kg.close()


def test_a_build_not_signed_with_this_users_key_is_never_unpickled(store: Path, tmp_path: Path) -> None:
    kg = KnowledgeGraph.open(store)
    kg.cached(KEY, _built)
    [file] = _files(store)
    opened = tmp_path / "the pickle ran"
    hostile = pickle.dumps(_Opens(str(opened)))
    file.write_bytes(b"\0" * 32 + hostile)  # laid out as a build, signed with no key
    kg.extensions.clear()  # as a new process would find it
    assert kg.cached(KEY, _built) == (os.getpid(), kg.generation)
    assert not opened.exists()  # built again, the file never read as a pickle
    kg.close()


class _Opens:
    """A pickle that creates a file when it is read."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (self.path, "w")


def test_builds_of_other_code_are_not_read(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kg = KnowledgeGraph.open(store)
    kg.cached(KEY, lambda kg: "old code's")
    kg.extensions.clear()
    monkeypatch.setattr(kept, "code_fingerprint", lambda: "new code")
    assert kg.cached(KEY, lambda kg: "new code's") == "new code's"
    kg.close()


def test_a_store_whose_builds_cannot_be_written_serves_as_before(store: Path, tmp_path: Path) -> None:
    kg = KnowledgeGraph.open(store)
    blocked = tmp_path / "a file"
    blocked.write_text("")
    kg.builds = kept.Builds(blocked / "builds")  # its parent is a file: no folder can be made there
    assert kg.cached(KEY, _built) == (os.getpid(), kg.generation)
    assert kg.cached("a value no pickle holds", lambda kg: lambda: 1)() == 1
    kg.close()


def test_only_the_two_newest_generations_are_kept(store: Path) -> None:
    kg = KnowledgeGraph.open(store)
    seen = []
    for n in range(4):
        kg.cached(KEY, _built)
        seen.append(kg.generation)
        kg.update(f"INSERT DATA {{ <https://example.org/a> <https://example.org/b> {n} }}")
    kept_folders = sorted(f.name.split("-")[0] for f in kept.beside(store).iterdir())
    assert kept_folders == sorted(seen[-2:])
    kg.close()


@pytest.fixture(autouse=True)
def _no_leftover_key_files() -> Iterator[None]:
    yield
    folder = kept.key_file().parent
    left = [p.name for p in folder.iterdir()] if folder.exists() else []
    assert left in ([], ["builds.key"])  # no half-made key left behind


def test_the_builds_a_generation_had_are_made_again_once_writes_pause(store: Path) -> None:
    """After a write the next visitor found every build stale; the warmer makes again, in a process of its own,
    the builds the last generation had (this package's: a test's build is kept, not made again)."""
    kg = KnowledgeGraph.open(store)
    pool = WorkerPool(kg, size=2)
    service = QueryService(kg, pool, max_queries=4, timeout=30)
    assert kg.builds is not None and pool.warmer is not None
    pool.warmer.quiet = 1.0
    try:
        first = service.value(Call(void.statistics, ()))
        service.value(Call(process_build, ()))
        for n in range(3):  # a burst of writes: one warm-up, once they pause
            kg.update(f"INSERT DATA {{ <https://example.org/a> <https://example.org/b> {n} }}")
        wait_for(lambda: pool.stats()["warm_ups"] == 1, 30)  # one warm-up, before any request
        assert kg.builds.has(kg.generation, "statistics") and not kg.builds.has(kg.generation, KEY)
        assert service.value(Call(void.statistics, ())).triples == first.triples + 3
    finally:
        service.close()
        kg.close()


def test_the_functions_that_read_a_build_say_so() -> None:
    """A call of one of them names its build, so that the pool gives it to the worker that has it."""
    from graph import browse, describe, search
    from graph.reconciliation import extension, index, manifest, preview, scoring, suggest

    readers = {
        search.NAMES_KEY: [search.search, search.suggestions],
        describe.LABELS_KEY: [browse.cell, browse.listing],
        index.KEY: [
            scoring.reconcile,
            extension.extend,
            extension.propose_properties,
            suggest.suggest_entities,
            suggest.suggest_types,
            suggest.suggest_properties,
            preview.preview_of,
            manifest.default_types,
        ],
    }
    for key, functions in readers.items():
        assert all(Call(function).index == key for function in functions)
    assert Call(void.statistics).index is None


def _slow_build(kg: KnowledgeGraph) -> int:
    """A build that asks the engine, pauses, and asks again: longer than the budget below."""
    for _ in range(3):
        kg.query("ASK { ?s ?p ?o }")
        time.sleep(0.3)
    return 3


def slow_remote_build(kg: KnowledgeGraph) -> int:
    return kg.cached("slow remote build", _slow_build)


def slow_remote_work(kg: KnowledgeGraph) -> bool:
    time.sleep(0.6)
    return bool(kg.query("ASK { ?s ?p ?o }"))


@pytest.mark.remote_only
def test_over_a_remote_engine_a_build_is_made_once_and_not_timed(kg: KnowledgeGraph) -> None:
    """Request threads run works over a remote engine: a build longer than the budget is made (else none could
    ever be), once for the threads that ask together; the rest of a work keeps its budget."""
    service = QueryService(kg, RemoteRunner(kg), max_queries=4, timeout=0.5)
    made: list[int] = []
    kg.on_build = lambda started: made.append(1) if started else None
    try:
        with ThreadPoolExecutor(3) as threads:
            assert list(threads.map(lambda _: service.value(Call(slow_remote_build)), range(3))) == [3, 3, 3]
        assert made == [1]
        with pytest.raises(QueryTimeout):
            service.value(Call(slow_remote_work))
    finally:
        service.close()


@pytest.mark.remote_only
def test_servers_in_front_of_one_engine_share_a_builds_folder(kg: KnowledgeGraph, tmp_path: Path) -> None:
    """``--builds-folder``: another service process in front of the same engine (or this one restarted) reads
    what one built, keyed by the engine's generation."""
    app = create_app(Config(store=None, sparql_endpoint="http://127.0.0.1:1/query", builds_folder=tmp_path), kg=kg)
    assert kg.builds is not None and kg.builds.folder == tmp_path and app.extensions["genai_kg"] is kg
    first = kg.cached(KEY, _built)
    other = KnowledgeGraph(kg.backend)  # another process's knowledge graph on the same engine
    other.builds = kept.Builds(tmp_path)
    assert other.cached(KEY, lambda kg: (0, "")) == first
    kg.update("INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }")
    assert other.cached(KEY, lambda kg: (0, kg.generation)) == (0, kg.generation)  # a new generation: made again


def test_without_a_builds_folder_processes_in_front_of_one_engine_share_one_in_the_users_cache(
    kg: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over a remote engine, builds are kept on disk without ``--builds-folder`` too: in this user's cache, one
    folder per engine, so that a restarted process reads what the one before made."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    create_app(Config(store=None, sparql_endpoint="http://127.0.0.1:1/query"), kg=kg)
    assert kg.builds is not None and kg.builds.folder == kept.engine_folder("http://127.0.0.1:1/query")
    assert kg.builds.folder.parent == tmp_path / "genai-kg" / "builds"
    assert kept.engine_folder("http://127.0.0.1:2/query") != kg.builds.folder
    first = kg.cached(KEY, _built)
    restarted = KnowledgeGraph(kg.backend)
    create_app(Config(store=None, sparql_endpoint="http://127.0.0.1:1/query"), kg=restarted)
    assert restarted.cached(KEY, lambda kg: (0, "")) == first


def test_a_store_written_while_no_server_ran_gets_its_builds_at_start(store: Path) -> None:
    """``genai-kg load`` with the server stopped: the next server makes the builds at start, not the first
    visitor."""
    kg = KnowledgeGraph.open(store)
    pool = WorkerPool(kg, size=1)
    service = QueryService(kg, pool, max_queries=4, timeout=30)
    try:
        service.value(Call(void.statistics))
    finally:
        service.close()
    kg.update("INSERT DATA { <https://example.org/a> <https://example.org/b> 1 }")  # no server running
    pool = WorkerPool(kg, size=1)
    assert pool.warmer is not None and kg.builds is not None
    pool.warmer.quiet = 0.2
    try:
        wait_for(lambda: pool.stats()["warm_ups"] == 1, 30)
        assert kg.builds.has(kg.generation, "statistics")
    finally:
        pool.close()
    pool = WorkerPool(kg, size=1)  # a restart with every build made: no warm-up
    assert pool.warmer is not None
    pool.warmer.quiet = 0.2
    try:
        time.sleep(1.5)
        assert pool.stats()["warm_ups"] == 0
    finally:
        pool.close()
        kg.close()


def test_a_generation_that_is_no_folder_name_stays_inside_the_folder(tmp_path: Path) -> None:
    """A remote engine's generation triple is text anybody with access to the engine can write."""
    builds = kept.Builds(tmp_path / "builds")
    builds.write("../../escaped", KEY, 1)
    assert builds.read("../../escaped", KEY) == 1
    assert [p.parent.parent for p in (tmp_path / "builds").rglob("*.pickle")] == [tmp_path / "builds"]
    assert not (tmp_path / "escaped").exists() and len(list(tmp_path.iterdir())) == 1
