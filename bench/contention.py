"""Small queries while runaway queries run: the look-up's latency with N never-ending queries in flight.

Each of N client threads sends :data:`~bench.queries.RUNAWAY` and, whatever the answer (genai-kg stops one
at its budget, or at the long lane with a 503), sends it again at once, so N runaway queries are always
asking. Each time its text differs (a comment with a counter), as an attacker's would: a server that
recognises the same query sent again cannot refuse it for that. They come from :data:`ATTACKER`, another
address than the look-ups': genai-kg puts a client whose runaway it stopped on probation, and an attack's
victims are other clients. Meanwhile one connection sends point look-ups, and their median
and 99th-percentile latency, throughput and errors (a refused look-up is an error) are kept per N. N = 0 is the baseline; the
runaway clients of one N go on into the next, so that none is orphaned. Run it last on a server: a runaway
the client gave up on may go on inside the server (Oxigraph's server has no query timeout; genai-kg's worker
runs to its budget).
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import socket
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict
from typing import Any

from . import loadgen, queries
from .servers import Server

#: Seconds the runaway queries run before the look-ups start (genai-kg's long lane acts after 2 s).
SETTLE = 2.5
#: The runaway clients' address (the whole of 127.0.0.0/8 is this machine's loopback).
ATTACKER = "127.0.0.2"


class Runaways:
    """``count`` threads that keep :data:`~bench.queries.RUNAWAY` in flight on ``server`` until closed;
    ``statuses`` counts the answers they got (``"gone"``: the connection failed)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.statuses: Counter[str] = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Runaways:
        return self

    def grow(self, count: int) -> None:
        """Keep ``count`` runaway queries asking (the ones asking already go on: none is left orphaned)."""
        while len(self._threads) < count:
            thread = threading.Thread(target=self._ask, daemon=True)
            self._threads.append(thread)
            thread.start()

    def answers(self) -> dict[str, int]:
        """How the runaway queries ended since the last call."""
        with self._lock:
            found, self.statuses = dict(self.statuses), Counter()
        return found

    def _ask(self) -> None:
        for attempt in itertools.count():
            if self._stop.is_set():
                return
            url = urllib.parse.urlsplit(self.server.url(f"{queries.RUNAWAY.sparql}\n# {attempt}"))
            connection = http.client.HTTPConnection(
                "127.0.0.1", self.server.port, timeout=600, source_address=(ATTACKER, 0)
            )
            with self._lock:
                self._connections.append(connection)
            try:
                connection.request("GET", f"{url.path}?{url.query}", headers={"Accept": loadgen.ACCEPT})
                response = connection.getresponse()
                response.read()
                outcome = str(response.status)
            except (OSError, http.client.HTTPException):
                outcome = "gone"
                self._stop.wait(0.1)
            finally:
                connection.close()
            if not self._stop.is_set():
                with self._lock:
                    self.statuses[outcome] += 1

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with self._lock:
            for connection in self._connections:
                if connection.sock is not None:
                    with contextlib.suppress(OSError):
                        connection.sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(10)


def measure(server: Server, counts: tuple[int, ...], *, models: int, seconds: float) -> dict[str, dict[str, Any]]:
    """The look-up's latency on ``server`` with each of ``counts`` (rising) runaway queries in flight, by count.

    The Python load generator times them: unlike ``wrk``, it waits for a look-up still in flight at the end of
    the run, so a look-up starved for longer than the run is counted with its real latency.
    """
    figures: dict[str, dict[str, Any]] = {}
    with Runaways(server) as runaways:
        for count in counts:
            runaways.grow(count)
            if count:
                time.sleep(SETTLE)
            runaways.answers()
            figure = loadgen.run_python(server, queries.LOOKUP, models, seconds=seconds, connections=1)
            figures[str(count)] = {**asdict(figure), "rps": figure.rps, "runaway_answers": runaways.answers()}
    return figures
