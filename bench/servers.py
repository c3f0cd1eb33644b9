"""SPARQL servers under test as real processes on 127.0.0.1: started, made ready, measured, stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from graph.namespaces import GRAPH_CLOSURE

from .peers import ROOT

#: The naive Flask + pyoxigraph app's label in the results.
NAIVE = "naive Flask + pyoxigraph (2 workers)"
#: The query parameters that read genai-kg's store as genai-kg does: its closure graph as the default graph.
CLOSURE_DATASET = "&" + urllib.parse.urlencode({"default-graph-uri": GRAPH_CLOSURE.value})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One server process (and its children): ``endpoint`` is its SPARQL query URL."""

    name: str
    command: list[str]
    path: str
    port: int = field(default_factory=free_port)
    extra: str = ""
    process: subprocess.Popen[bytes] | None = None
    startup_seconds: float = 0.0
    #: Variables added to the process's environment.
    env: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self, log: Path, *, timeout: float = 1800.0) -> Server:
        """Start the process and wait until it answers ``ASK {}``; ``startup_seconds`` is how long that took."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_KG_")} | self.env
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        started = time.monotonic()
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            while time.monotonic() - started < timeout:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {log}")
                if self._answers():
                    self.startup_seconds = time.monotonic() - started
                    return self
                time.sleep(0.1)
            raise RuntimeError(f"{self.name} was not ready within {timeout:.0f} s")
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url("ASK {}"), timeout=5) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{self.name} answers ASK {{}} at {self.endpoint} with {error.code}") from error
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def url(self, query: str) -> str:
        """The GET URL that asks ``query`` (with this server's extra parameters, e.g. ``infer=false``)."""
        return f"{self.endpoint}?{urllib.parse.urlencode({'query': query})}{self.extra}"

    def pids(self) -> list[int]:
        """The server process and all its descendants (granian runs the app in a child process)."""
        if self.process is None:
            return []
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                with contextlib.suppress(OSError):
                    queue += [int(c) for c in (task / "children").read_text().split()]
        return found

    def cpu_seconds(self) -> float:
        """CPU time (user and system) the whole process tree has used so far: per answer, what a request costs
        across the server's processes, whatever the machine's other load does to the rate."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                total += int(fields[11]) + int(fields[12])  # utime and stime, in clock ticks
        return total / ticks

    def rss_bytes(self) -> int:
        """Resident memory of the whole process tree now."""
        return sum(_status(pid, "VmRSS") for pid in self.pids())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _status(pid: int, key: str) -> int:
    """A memory figure from ``/proc/PID/status`` in bytes (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples a server's tree RSS every few milliseconds in a thread; ``peak`` is the highest seen.

    Each process's kernel high-water mark (VmHWM) is reset at the start, where the kernel allows it, and
    read at the end, so a spike shorter than the sampling interval is still caught.
    """

    def __init__(self, server: Server, interval: float = 0.005) -> None:
        self.server = server
        self.interval = interval
        self.peak = 0
        self.baseline = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        for pid in self.server.pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")
        self.baseline = self.server.rss_bytes()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_bytes())
            self._stop.wait(self.interval)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        high_water = sum(_status(pid, "VmHWM") for pid in self.server.pids())
        self.peak = max(self.peak, high_water)


def genai_kg(genai_kg_bin: Path, store: Path, *, infer: bool = True) -> Server:
    """genai-kg as users start it: ``genai-kg serve --store DIR`` (inference on unless the request says no)."""
    command = [str(genai_kg_bin), "serve", "--store", str(store), "--host", "127.0.0.1", "--port", "{port}"]
    name = "genai-kg" if infer else "genai-kg (infer=false)"
    return Server(name, command, "/sparql", extra="" if infer else "&infer=false")


def oxigraph(oxigraph_bin: Path, store: Path, *, closure: bool = False, name: str = "oxigraph") -> Server:
    """Oxigraph's own Rust server on the same kind of store, read-only (with ``closure``, a copy of genai-kg's
    store, asked for its closure graph as genai-kg reads it)."""
    command = [str(oxigraph_bin), "serve-read-only", "--location", str(store), "--bind", "127.0.0.1:{port}"]
    return Server(name, command, "/query", extra=CLOSURE_DATASET if closure else "")


def rdflib_endpoint(rdflib_endpoint_bin: Path, data: Path) -> Server:
    """rdflib-endpoint serving the N-Triples file from rdflib's in-memory graph."""
    command = [str(rdflib_endpoint_bin), "serve", str(data), "--host", "127.0.0.1", "--port", "{port}"]
    return Server("rdflib-endpoint", command, "/")


def naive(granian_bin: Path, store: Path, *, workers: int = 2) -> Server:
    """The 20-line Flask + pyoxigraph app (``bench/naive.py``) on granian with ``workers`` processes, reading
    ``store`` (Oxigraph's, read-only) as Oxigraph's server does."""
    command = [str(granian_bin), "--interface", "wsgi", "--factory", "--workers", str(workers)]
    command += ["--host", "127.0.0.1", "--port", "{port}", "bench.naive:create_app"]
    return Server(NAIVE, command, "/sparql", env={"BENCH_NAIVE_STORE": str(store)})


def oxigraph_engine(oxigraph_bin: Path, store: Path, *, name: str) -> Server:
    """``oxigraph serve`` (read-write) as the remote engine; asked directly for the closure graph, as genai-kg
    asks it, so both read the same dataset."""
    command = [str(oxigraph_bin), "serve", "--location", str(store), "--bind", "127.0.0.1:{port}"]
    return Server(name, command, "/query", extra=CLOSURE_DATASET)


def genai_kg_remote(genai_kg_bin: Path, engine: Server, *, name: str) -> Server:
    """``genai-kg serve`` in front of a running engine (query, update and Graph Store endpoints)."""
    base = f"http://127.0.0.1:{engine.port}"
    command = [str(genai_kg_bin), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    command += ["--sparql-endpoint", f"{base}/query", "--sparql-update-endpoint", f"{base}/update"]
    return Server(name, [*command, "--store-endpoint", f"{base}/store"], "/sparql")
