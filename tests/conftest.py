"""Shared fixtures: a fresh knowledge graph and app per test, a CLI runner, real server processes.

A module marked ``pytestmark = pytest.mark.both_backends`` runs each of its tests twice: on the embedded
store, and on a remote Oxigraph server (``oxigraph serve``, started once per session on 127.0.0.1 and
emptied before each test). With ``GENAI_KG_TEST_VIRTUOSO=1`` they run a third time, on Debian's Virtuoso
(``docs/virtuoso.md`` says which differences of Virtuoso's make some of them fail).
"""

from __future__ import annotations

import csv
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import Quad

from graph import KnowledgeGraph, open_knowledge_graph
from graph.engine_client import Endpoints
from graph.sources.epoch import CSV, EPOCH_DIR
from server import Config, create_app

from .engines import free_port
from .engines.oxigraph import OxigraphEngine, start_oxigraph
from .engines.virtuoso import VirtuosoEngine, start_virtuoso, virtuoso_binary

TOKEN = "test-token"
ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("embedded", "remote") + (("virtuoso",) if os.environ.get("GENAI_KG_TEST_VIRTUOSO") == "1" else ())


def pytest_configure(config: pytest.Config) -> None:
    # the key that signs whole-store builds (graph/builds.py) is made in this run's own folder, not the user's
    for name, prefix in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache")):  # cache: remote builds
        folder = tempfile.mkdtemp(prefix=f"genai-kg-test-{prefix}-")
        os.environ[name] = folder
        config.add_cleanup(functools.partial(shutil.rmtree, folder, ignore_errors=True))
    config.addinivalue_line("markers", "both_backends: run on the embedded store and on a remote Oxigraph server")
    config.addinivalue_line("markers", "remote_only: run on a remote Oxigraph server only")
    config.addinivalue_line("markers", "virtuoso_only: run on Debian's Virtuoso only (skipped where it is missing)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker
        chosen = BACKENDS if marked("both_backends") else BACKENDS[1:2] if marked("remote_only") else BACKENDS[:1]
        if marked("virtuoso_only"):
            chosen = ("virtuoso",)
        metafunc.parametrize("backend", chosen, indirect=True)


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphEngine]:
    """One Oxigraph server for the session, the remote engine of the ``remote`` backend."""
    started = start_oxigraph(tmp_path_factory.mktemp("oxigraph"))
    yield started
    started.stop()


@pytest.fixture(scope="session")
def virtuoso_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoEngine]:
    """Debian's Virtuoso for the session (``GENAI_KG_TEST_VIRTUOSO=1``), the engine of the ``virtuoso`` backend."""
    if virtuoso_binary() is None:
        pytest.skip("virtuoso-t is not installed (tests/engines/install-virtuoso.sh)")
    started = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield started
    started.stop()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``embedded``, ``remote`` (Oxigraph's server) or ``virtuoso``: where the test's knowledge graph lives."""
    return str(request.param)


#: The Oxigraph engine's content once genai-kg has loaded the shipped graph and its inferences into it.
_SHIPPED: list[bytes] = []


def remote_endpoints(backend: str, request: pytest.FixtureRequest) -> Endpoints | None:
    """The endpoints of a remote backend's engine, holding just the shipped graph (and, on Oxigraph, its
    inferences, restored from the first load of the session); None for the embedded store."""
    if backend == "remote":
        oxigraph: OxigraphEngine = request.getfixturevalue("engine")
        if not _SHIPPED:
            oxigraph.clear()
            open_knowledge_graph(endpoints=oxigraph.endpoints).close()
            _SHIPPED.append(oxigraph.dump())
        oxigraph.restore(_SHIPPED[0])
        return oxigraph.endpoints
    if backend == "virtuoso":
        virtuoso: VirtuosoEngine = request.getfixturevalue("virtuoso_engine")
        virtuoso.clear()
        return virtuoso.endpoints
    return None


#: The quads of an in-memory store once the shipped graph and its closure are in it (the first open of the session).
_SHIPPED_QUADS: list[Quad] = []


def shipped_in_memory() -> KnowledgeGraph:
    """A fresh in-memory store as ``open_knowledge_graph(None)`` returns it: a copy of the session's first one
    (the closure and its state triples included), in a fiftieth of the time."""
    if not _SHIPPED_QUADS:
        _SHIPPED_QUADS.extend(open_knowledge_graph(None).store)
    kg = KnowledgeGraph.open(None)
    kg.store.bulk_extend(_SHIPPED_QUADS)
    return kg


@pytest.fixture(scope="session")
def shipped_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store as ``open_knowledge_graph(folder)`` makes one (the shipped graph and its closure), made
    once a session: about 3 s to make, 0.05 s to copy, and a copy opens at once (its closure is current)."""
    template = tmp_path_factory.mktemp("shipped") / "store"
    open_knowledge_graph(template).close()
    return template


def shipped_copy(template: Path, folder: Path) -> Path:
    """A new store at ``folder``, a copy of ``template`` (the store is closed: its files are all it is)."""
    return Path(shutil.copytree(template, folder))


@pytest.fixture
def shipped_store(shipped_template: Path, tmp_path: Path) -> Path:
    """A new on-disk store holding the shipped graph and its closure, for this test alone."""
    return shipped_copy(shipped_template, tmp_path / "store")


@pytest.fixture
def kg(backend: str, request: pytest.FixtureRequest) -> KnowledgeGraph:
    """A fresh store holding the shipped knowledge graph: in memory, or an emptied remote engine."""
    endpoints = remote_endpoints(backend, request)
    return shipped_in_memory() if endpoints is None else open_knowledge_graph(endpoints=endpoints)


@pytest.fixture
def config() -> Config:
    return Config(store=None, token=TOKEN, query_timeout=10.0)


@pytest.fixture
def app(kg: KnowledgeGraph, config: Config) -> Flask:
    app = create_app(config, kg=kg)
    app.testing = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def epoch_rows() -> list[dict[str, str]]:
    """Epoch AI's CSV as shipped, row by row under its header and untrimmed: what the import is checked against
    (read here once, not by the import's own reader). Tests only read it."""
    with (EPOCH_DIR / CSV).open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


class LocalEndpoint:
    """A local HTTP server standing in for another site (a SPARQL endpoint, a page of another origin): it
    records the path of every GET and POST and answers each the same way, after ``delay`` seconds."""

    def __init__(self, status: int = 200, body: bytes = b"", content_type: str | None = None) -> None:
        self.calls: list[str] = []
        self.delay = 0.0
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.calls.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(endpoint.delay)
                try:
                    self.send_response(status)
                    if content_type is not None:
                        self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the caller gave up
                    pass

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def local_endpoint(status: int = 200, body: bytes = b"", content_type: str | None = None) -> Iterator[LocalEndpoint]:
    """A :class:`LocalEndpoint` for the length of a ``with`` block (or of a fixture that yields it)."""
    endpoint = LocalEndpoint(status, body, content_type)
    try:
        yield endpoint
    finally:
        endpoint.close()


class ServerProcess:
    """A real ``genai-kg serve`` process on 127.0.0.1, stopped when the test ends."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(self.port), *args]
        #: Its standard error (a file, not a pipe: nobody reads a pipe while it runs, and the access log fills one).
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.stderr, start_new_session=True
        )
        self._wait_ready()

    def log(self) -> str:
        """What the server has written to standard error so far."""
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log()
                self.stop()
                raise RuntimeError(f"server exited: {log}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become ready")

    def quads(self) -> int:
        """A count that changes with every change of the server's data: quads in named graphs plus triples of
        the union default graph (asked over SPARQL: ``/metrics`` counts a remote engine only once a minute)."""
        sparql = "SELECT (COUNT(*) AS ?n) WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"
        response = requests.get(
            self.url + "/sparql", params={"query": sparql}, headers={"Accept": "text/csv"}, timeout=30
        )
        response.raise_for_status()
        return int(response.text.splitlines()[1])

    def kill(self) -> None:
        """Stop the process the hard way (SIGKILL), as a crash would."""
        os.killpg(self.process.pid, 9)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.stderr.close()


def _on_engine(args: tuple[str, ...], urls: Endpoints) -> list[str]:
    """The arguments with the store options (``--memory``, ``--store DIR``) replaced by the engine's endpoints."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--store":
            skip = True
        elif arg != "--memory":
            kept.append(arg)
    return [*kept, *endpoint_args(urls)]


def endpoint_args(urls: Endpoints) -> list[str]:
    """The command-line options that point genai-kg at an engine's endpoints."""
    args = ["--sparql-endpoint", urls.query, "--sparql-update-endpoint", str(urls.update)]
    return args + (["--store-endpoint", urls.store] if urls.store else [])


@pytest.fixture
def serve(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., ServerProcess]]:
    """Start real server processes: ``serve("--memory")``; each is stopped at the end of the test.

    ``--memory`` asks for a server of its own holding the shipped graph: it serves a new copy of the session's
    store (:func:`shipped_template`), which spares each server loading and reasoning over the shipped graph
    (about 2.5 s: 3.7 s to start instead of 6 s, measured); a test of ``--memory`` itself says
    ``in_memory=True``. On the remote backend the store options give way to the
    session's Oxigraph server, emptied first.
    """
    started: list[ServerProcess] = []
    remote = remote_endpoints(backend, request)

    def start(*args: str, token: str | None = TOKEN, in_memory: bool = False, **env: str) -> ServerProcess:
        if remote is not None and "--sparql-endpoint" not in args:
            args = tuple(_on_engine(args, remote))
        elif "--memory" in args and not in_memory:
            template: Path = request.getfixturevalue("shipped_template")
            copy = shipped_copy(template, tmp_path_factory.mktemp("served") / "store")
            args = (*(a for a in args if a != "--memory"), "--store", str(copy))
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_KG_")}
        if token:
            environment["GENAI_KG_TOKEN"] = token
        environment.update(env)
        server = ServerProcess(list(args), environment)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
