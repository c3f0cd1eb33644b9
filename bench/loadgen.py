"""Load generators: ``wrk`` with a Lua script that fills each query's slot at random, or a Python fallback.

Both send URL-encoded GET requests with ``Accept: application/sparql-results+json`` over keep-alive
connections for a fixed time and count the answers; a non-2xx answer counts as an error, never as work done.
"""

from __future__ import annotations

import http.client
import json
import random
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .queries import Query
from .servers import Server

ACCEPT = "application/sparql-results+json"

LUA = """
local template = "%(template)s"
local values = %(values)d
math.randomseed(%(seed)d)
request = function()
  local path = template
  if values > 0 then
    path = string.gsub(template, "__N__", tostring(math.random(0, values - 1)))
  end
  return wrk.format("GET", path, {["Accept"] = "%(accept)s"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Throughput:
    """Answers per second over a run, with the errors seen and the median and 99th-percentile latency."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    tool: str

    @property
    def rps(self) -> float:
        good = self.requests - self.errors
        return good / self.seconds if self.seconds else 0.0


def path_template(server: Server, query: Query) -> str:
    """The request path for ``query`` on ``server``, with the ``__N__`` slot left in place."""
    url = server.url(query.sparql)
    return url[url.index("/", len("http://")) :]


def run_wrk(
    wrk: Path, server: Server, query: Query, models: int, *, seconds: float, connections: int = 8, seed: int = 7
) -> Throughput:
    """Drive ``server`` with ``wrk`` (one thread, ``connections`` keep-alive connections) for ``seconds``."""
    template = path_template(server, query).replace("\\", "\\\\").replace('"', '\\"')
    script = LUA % {"template": template, "values": query.values(models), "seed": seed, "accept": ACCEPT}
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        command = [str(wrk), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "120s"]
        command += ["-s", file.name, f"http://127.0.0.1:{server.port}"]
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 300)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    requests, micros, status_errors, socket_errors, p50, p99 = (int(x) for x in line.split()[1:])
    return Throughput(requests, micros / 1e6, status_errors + socket_errors, p50 / 1e3, p99 / 1e3, "wrk")


def run_python(
    server: Server, query: Query, models: int, *, seconds: float, connections: int = 8, seed: int = 7
) -> Throughput:
    """The same load from Python threads (used where ``wrk`` cannot be had; it saturates sooner)."""
    template = path_template(server, query)
    values = query.values(models)
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(index: int) -> None:
        rng = random.Random(seed + index)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            path = template.replace("__N__", str(rng.randrange(values))) if values else template
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"Accept": ACCEPT})
                response = connection.getresponse()
                response.read()
                failed += response.status >= 300
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1e3 if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1e3 if latencies else 0.0
    return Throughput(len(latencies), elapsed, errors[0], p50, p99, "python")


def _get(
    server: Server, query: Query, n: int, patience: float
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse, float]:
    """Send ``query`` (slot filled with ``n``); a 503 is retried for ``patience`` seconds, for a server still
    busy with the requests of the run before. Returns the open connection, the response and when it was sent."""
    url = urllib.parse.urlsplit(server.url(query.text(n)))
    deadline = time.monotonic() + patience
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        started = time.perf_counter()
        connection.request("GET", f"{url.path}?{url.query}", headers={"Accept": ACCEPT})
        response = connection.getresponse()
        if response.status != 503 or time.monotonic() > deadline:
            return connection, response, started
        response.read()
        connection.close()
        time.sleep(0.2)


def rows(server: Server, query: Query, n: int = 0, *, patience: float = 60.0) -> int:
    """Ask ``query`` once (slot filled with ``n``) and count the rows of the answer; raises on an error status."""
    connection, response, _ = _get(server, query, n, patience)
    try:
        body = response.read()
    except http.client.IncompleteRead as error:  # a server that stops a work mid-answer cuts the stream
        raise RuntimeError(f"{server.name}: {query.name} was cut after {len(error.partial)} bytes") from error
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"{server.name}: {query.name} answered {response.status}: {body[:300]!r}")
    return len(json.loads(body)["results"]["bindings"])


@dataclass(frozen=True)
class Stream:
    """A large answer read as it arrives: time to first body byte, total time, size and rows."""

    first_byte_ms: float
    seconds: float
    bytes: int
    rows: int
    status: int
    #: The start of the body when the status is not 200.
    error: str = ""


def stream(server: Server, query: Query, *, row_marker: bytes = b'{"s":', patience: float = 60.0) -> Stream:
    """Read ``query``'s answer in 64 KiB chunks, timing the first byte; rows are counted by ``row_marker``."""
    connection, response, started = _get(server, query, 0, patience)
    try:
        first = response.read1(65536) if response.status == 200 else response.read()
        first_byte = time.perf_counter() - started
        total, count, tail = len(first), first.count(row_marker), first[-8:]
        while chunk := response.read1(65536):
            total += len(chunk)
            count += (tail + chunk).count(row_marker) - tail.count(row_marker)
            tail = chunk[-8:]
        seconds = time.perf_counter() - started
    finally:
        connection.close()
    error = "" if response.status == 200 else first[:300].decode(errors="replace")
    return Stream(first_byte * 1e3, seconds, total, count, response.status, error)
