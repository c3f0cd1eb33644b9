"""The HTTP front against real server processes and raw sockets: slow clients, big bodies, clients that go
away, crashed workers, the access log (``server/front.py``)."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import pytest
import requests

from server.front import Front, create_front

from .conftest import ROOT, TOKEN, ServerProcess, free_port
from .engines.oxigraph import start_oxigraph
from .test_timeouts import RUNAWAY_COUNT, RUNAWAY_ROWS, ask, wait_for, workers

WRITE = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/n-triples"}
#: An access-log line: time, client, method, target, status, bytes, milliseconds.
LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) ([A-Z]+) (\S+) (\d{3}) (\d+) (\d+\.\d)$")


@dataclass
class Cut:
    """How a slow client's connection ended: after ``seconds``, with what the server sent (b"": closed)."""

    seconds: float
    answer: bytes


def trickle(server: ServerProcess, head: bytes, drip: bytes, *, limit: float = 30) -> Cut:
    """Send ``head`` at once, then ``drip`` one byte a second, until the server answers or hangs up."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=limit) as sock:
        sock.sendall(head)
        started = time.monotonic()
        for byte in drip:
            if select.select([sock], [], [], 1.0)[0]:
                break
            try:
                sock.send(bytes([byte]))
            except OSError:  # reset: the server hung up
                return Cut(time.monotonic() - started, b"")
        else:
            raise AssertionError("the server took the whole slow request")
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        return Cut(time.monotonic() - started, answer)


def slow_body(server: ServerProcess) -> Cut:
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\n"
    return trickle(server, head, b"ASK {}" + b" " * 94)


def slow_headers(server: ServerProcess) -> Cut:
    return trickle(server, b"GET /health HTTP/1.1\r\n", b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")


def test_slow_clients_are_cut_off_while_health_and_queries_answer(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--request-timeout", "3")
    cuts: list[Cut] = []
    clients = [threading.Thread(target=lambda: cuts.append(slow_body(server))) for _ in range(16)]
    clients += [threading.Thread(target=lambda: cuts.append(slow_headers(server))) for _ in range(16)]
    for client in clients:
        client.start()
    time.sleep(0.5)  # every slow client is connected and dripping
    answered = 0
    while any(client.is_alive() for client in clients):
        started = time.monotonic()
        assert requests.get(server.url + "/health", timeout=1).status_code == 200
        assert ask(server).json()["boolean"] is True  # a thread is free: none waits for a body
        assert time.monotonic() - started < 1
        answered += 1
        time.sleep(0.1)
    assert answered >= 10
    assert len(cuts) == 32
    for cut in cuts:
        assert 2.5 < cut.seconds < 6, cut
        assert cut.answer == b"" or cut.answer.startswith(b"HTTP/1.1 408 "), cut
    timed_out = [cut for cut in cuts if cut.answer]
    assert len(timed_out) >= 16  # the slow bodies are told why, as problem+json
    problem = json.loads(timed_out[0].answer.split(b"\r\n\r\n", 1)[1])
    assert problem["status"] == 408 and problem["title"] == "Request Timeout"
    assert requests.get(server.url + "/health", timeout=1).status_code == 200


def test_health_answers_while_every_app_thread_is_busy(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--threads", "1", "--query-timeout", "4")
    runaway = threading.Thread(target=lambda: ask(server, RUNAWAY_COUNT))
    runaway.start()
    time.sleep(0.5)
    while runaway.is_alive():
        started = time.monotonic()
        assert requests.get(server.url + "/health", timeout=1).json()["status"] == "ok"
        assert time.monotonic() - started < 1
        time.sleep(0.2)


@pytest.mark.remote_only
def test_health_over_a_hung_engine_is_a_quick_503(
    backend: str, serve: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    engine = start_oxigraph(tmp_path)  # its own, to be frozen
    try:
        server = serve(
            "--sparql-endpoint", engine.endpoints.query, "--sparql-update-endpoint", str(engine.endpoints.update)
        )
        engine.process.send_signal(signal.SIGSTOP)  # it accepts connections and never answers
        answers: list[tuple[float, int]] = []

        def probe() -> None:
            started = time.monotonic()
            status = requests.get(server.url + "/health", timeout=10).status_code
            answers.append((time.monotonic() - started, status))

        probes = [threading.Thread(target=probe) for _ in range(10)]
        for thread in probes:
            thread.start()
        for thread in probes:
            thread.join()
        assert [status for _, status in answers] == [503] * 10
        assert all(seconds < 4 for seconds, _ in answers)  # HEALTH_TIMEOUT, not the 30 s query budget
        engine.process.send_signal(signal.SIGCONT)
        wait_for(lambda: requests.get(server.url + "/health", timeout=10).status_code == 200, seconds=40)
    finally:
        engine.process.send_signal(signal.SIGCONT)
        engine.stop()


def triples(count: int, graph: str = "urn:front") -> bytes:
    return b"".join(b"<urn:front:s%d> <urn:front:p> <%s> .\n" % (i, graph.encode()) for i in range(count))


def chunks(body: bytes, size: int = 16384) -> Iterator[bytes]:
    """``body`` in pieces: requests sends a generator chunked, without a Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def in_graph(server: ServerProcess) -> int:
    sparql = "SELECT (COUNT(*) AS ?n) { GRAPH <urn:front> { ?s ?p ?o } }"
    answer = requests.get(server.url + "/sparql", params={"query": sparql}, headers={"Accept": "text/csv"}, timeout=30)
    return int(answer.text.splitlines()[1])


def test_a_body_over_the_cap_is_refused_whole_chunked_or_not(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--max-body-bytes", "500000")
    body = triples(32768)
    assert len(body) > 2 * 500000
    before = server.quads()
    url = server.url + "/store?graph=urn:front"
    chunked = requests.post(url, data=chunks(body), headers=WRITE, timeout=30)
    assert chunked.status_code == 413
    assert chunked.headers["Content-Type"] == "application/problem+json"
    assert chunked.json()["status"] == 413 and "500000" in chunked.json()["detail"]
    assert server.quads() == before  # nothing of it was written
    whole = requests.post(url, data=body, headers=WRITE, timeout=30)
    assert whole.status_code == 413
    assert server.quads() == before
    # a browser's form post is told the same on a page (no script; the site's stylesheet)
    page = requests.post(url, data=body, headers={**WRITE, "Accept": "text/html"}, timeout=30)
    assert page.status_code == 413 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "500000" in page.text and '<a href="/search">' in page.text and "<script" not in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    small = requests.post(url, data=chunks(triples(1000), 1000), headers=WRITE, timeout=30)
    assert small.status_code in (201, 204)
    assert in_graph(server) == 1000


def test_bodies_held_at_once_are_bounded(serve: Callable[..., ServerProcess]) -> None:
    """With one thread and a 1,000-byte cap, 1,000 bytes of bodies may wait in memory at once."""
    server = serve("--memory", "--threads", "1", "--max-body-bytes", "1000", "--request-timeout", "3")
    head = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 900\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as first:
        first.sendall(head + b"#" * 600)  # and stalls
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", server.port)) as second:
            second.sendall(head + b"#" * 600)
            answer = second.recv(65536)
        assert answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in answer.lower()
        assert first.recv(65536).startswith(b"HTTP/1.1 408 ")  # at its deadline; its bytes are released
    assert ask(server).json()["boolean"] is True
    assert requests.post(server.url + "/sparql", data={"query": "ASK {}"}, timeout=10).status_code == 200


def test_a_client_that_leaves_a_streamed_answer_has_its_worker_killed(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--query-timeout", "30", "--query-workers", "2")
    wait_for(lambda: len(workers(server)) == 2)
    before = workers(server)
    target = "/sparql?query=" + quote(RUNAWAY_ROWS)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n".encode())
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")  # streaming has begun
    left = time.monotonic()
    wait_for(lambda: len(before - workers(server)) == 1, seconds=5)  # long before the 30 s budget
    assert time.monotonic() - left < 5
    wait_for(lambda: len(workers(server)) == 2)
    metrics = requests.get(server.url + "/metrics", timeout=10).text
    assert "genai_kg_query_workers_replaced_total 1.0" in metrics
    assert "genai_kg_query_timeouts_total 0.0" in metrics
    assert ask(server).json()["boolean"] is True


def test_a_client_that_stops_reading_is_given_up_on(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--query-timeout", "30", "--query-workers", "2", "--send-timeout", "1")
    wait_for(lambda: len(workers(server)) == 2)
    before = workers(server)
    target = "/sparql?query=" + quote(RUNAWAY_ROWS)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n".encode())
        # the client reads nothing: once the buffers are full, the front waits a second, then hangs up
        wait_for(lambda: len(before - workers(server)) == 1, seconds=15)
    assert "left its answer unread" in server.log()


def granian_worker(server: ServerProcess) -> psutil.Process:
    """The granian worker process that runs the app (the parent of the pool's fork server, whose children are
    the query workers)."""
    wait_for(lambda: len(workers(server)) > 0, seconds=30)
    forks = psutil.Process(next(iter(workers(server)))).parent()
    assert forks is not None
    parent = forks.parent()
    assert parent is not None and parent.pid != server.process.pid
    return parent


@pytest.mark.parametrize(
    ("sig", "store"), [(signal.SIGSEGV, "memory"), (signal.SIGKILL, "disk")], ids=["SIGSEGV", "SIGKILL"]
)
def test_a_crashed_worker_is_started_again(
    serve: Callable[..., ServerProcess], sig: signal.Signals, store: str, tmp_path: Path
) -> None:
    server = serve("--memory") if store == "memory" else serve("--store", str(tmp_path / "store"))
    crashed = granian_worker(server)
    os.kill(crashed.pid, sig)
    crashed.wait(10)

    wait_for(lambda: _answers(server.url + "/health"), seconds=60)
    assert granian_worker(server).pid != crashed.pid
    assert ask(server).json()["boolean"] is True
    assert server.process.poll() is None


def access_lines(server: ServerProcess) -> list[re.Match[str]]:
    return [m for line in server.log().splitlines() if (m := LINE.match(line))]


def test_the_access_log_has_one_line_per_request(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--max-body-bytes", "1000")
    long_query = "SELECT * { ?s ?p ?o } #" + "x" * 3000
    requests.get(server.url + "/health?probe=ours", timeout=10)
    answer = requests.get(
        server.url + "/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/csv"}, timeout=10
    )
    requests.post(server.url + "/sparql", data=b"x" * 2000, headers={"Content-Type": "text/plain"}, timeout=10)
    requests.get(server.url + "/id/NoSuchThing", timeout=10)
    requests.get(server.url + "/sparql", params={"query": long_query}, headers={"Accept": "text/csv"}, timeout=10)

    def ours() -> list[re.Match[str]]:  # the fixture's own /health probes may be logged late, among ours
        return [m for m in access_lines(server) if m.group(4) != "/health"]

    wait_for(lambda: len(ours()) >= 5)
    lines = [m.groups()[1:] for m in ours()]
    health, asked, refused, missing, long_one = lines
    assert health[:4] == ("127.0.0.1", "GET", "/health?probe=ours", "200") and int(health[4]) > 0
    assert asked[:4] == ("127.0.0.1", "GET", "/sparql?query=ASK+%7B%7D", "200")
    assert int(asked[4]) == len(answer.content) > 0
    assert refused[1:4] == ("POST", "/sparql", "413")
    assert missing[1:4] == ("GET", "/id/NoSuchThing", "404")
    assert len(long_one[2]) == 1003 and long_one[2].endswith("...")
    assert all(float(line[5]) >= 0 for line in lines)


def test_the_access_log_can_be_switched_off(serve: Callable[..., ServerProcess]) -> None:
    server = serve("--memory", "--no-access-log")
    requests.get(server.url + "/health", timeout=10)
    assert ask(server).status_code == 200
    time.sleep(0.5)  # a line would be written just after its answer
    assert "genai-kg serving" in server.log() and not access_lines(server)


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A mounted ASGI app: says where it was mounted and how much body it received."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    said = json.dumps({"root_path": scope["root_path"], "path": scope["path"], "body": len(body)}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": said})


async def broken(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A mounted ASGI app that fails before it answers (as ``/mcp`` would if its SDK could not be imported)."""
    raise ImportError("No module named 'missing'")


def mounted_front() -> Front:
    """The front with :func:`echo` mounted at ``/echo`` and :func:`broken` at ``/broken`` (granian's factory
    in the test below)."""
    front = create_front()
    front.mount("/echo", echo)
    front.mount("/broken", broken)
    return front


def test_an_asgi_app_mounted_at_a_prefix_gets_the_same_limits(tmp_path: Path) -> None:
    """Its body is read under the same cap, its requests are logged, and one that fails before it answers is a
    500 problem whose cause goes to the log."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_KG_")}
    env.update(GENAI_KG_STORE="memory", GENAI_KG_QUERY_WORKERS="0", GENAI_KG_MAX_BODY_BYTES="1000")
    command = [sys.executable, "-c", SERVE_MOUNTED, str(port)]
    with (tmp_path / "stderr").open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url + "/health"), seconds=60)
        said = requests.post(url + "/echo/tools", data=chunks(b"x" * 600, 100), timeout=10).json()
        assert said == {"root_path": "/echo", "path": "/echo/tools", "body": 600}
        assert requests.post(url + "/echo", data=chunks(b"x" * 2000, 100), timeout=10).status_code == 413
        assert requests.get(url + "/echoes", timeout=10).status_code == 404  # a prefix is a whole segment
        failed = requests.get(url + "/broken", timeout=10)
        assert failed.status_code == 500 and failed.headers["content-type"] == "application/problem+json"
        assert "/broken failed (ImportError)" in failed.json()["detail"]
        assert requests.post(url + "/echo", data=b"x", timeout=10).json()["body"] == 1  # and it goes on
        wait_for(lambda: " POST /echo 413 " in (tmp_path / "stderr").read_text())
        log_text = (tmp_path / "stderr").read_text()
        assert " POST /echo/tools 200 " in log_text and " GET /broken 500 " in log_text
        assert "No module named 'missing'" in log_text  # the error, for the operator
    finally:
        process.terminate()
        process.wait(30)


SERVE_MOUNTED = """
import sys
from granian import Granian
from granian.constants import Interfaces
Granian("tests.test_front:mounted_front", factory=True, address="127.0.0.1", port=int(sys.argv[1]),
        interface=Interfaces.ASGI).serve()
"""


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False
