"""The worker process of :mod:`.workers`: evaluates queries on a read-only store checkpoint, in frames.

Frames go over a pipe (``multiprocessing`` connections; one tag byte, then the payload):

    R             ready (after start-up)
    W kind data   the whole answer (it fitted in one frame); kind is ``r`` (results) or ``g`` (graph)
    S kind data   the first frame of a longer answer; D frames follow, then E
    D data        more of the answer
    E             the answer is complete
    X json        an error: {"kind": a graph.errors class name, "message": ...}

Run as ``python -m graph.worker_process REQUESTS_FD ANSWERS_FD``; the pool starts it.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from pyoxigraph import QueryResultsFormat, RdfFormat

from . import errors, results
from .evaluation import Formats, pick_format
from .outbound import remote_failure
from .store import KnowledgeGraph

log = logging.getLogger(__name__)

READY, WHOLE, START, DATA, END, ERROR = b"R", b"W", b"S", b"D", b"E", b"X"
#: Bytes per frame: big enough that a point look-up is one frame, small enough to stream.
FRAME = 64 * 1024
#: Errors a worker reports by name; anything else is a bug and answers 500.
REPORTED: dict[str, type[errors.GraphError]] = {
    kind.__name__: kind
    for kind in (errors.BadQuery, errors.BadRequest, errors.NotAcceptable, errors.NotFound, errors.QueryTimeout)
}


class _FrameWriter:
    """A write-only file for pyoxigraph's serialisers that sends what they write as frames."""

    def __init__(self, answers: Connection, kind: bytes) -> None:
        self.answers = answers
        self.kind = kind
        self.buffer = bytearray()
        self.started = False

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= FRAME:
            self.answers.send_bytes((DATA if self.started else START + self.kind) + self.buffer)
            self.started = True
            self.buffer.clear()
        return len(data)

    def flush(self) -> None:
        """Frames go out when full and at the end; a serialiser's flush changes nothing."""

    def finish(self) -> None:
        if not self.started:
            self.answers.send_bytes(WHOLE + self.kind + self.buffer)
            return
        if self.buffer:
            self.answers.send_bytes(DATA + self.buffer)
        self.answers.send_bytes(END)


def _answer(kg: KnowledgeGraph, request: tuple[Any, ...], formats: Formats, answers: Connection) -> None:
    sparql, infer, default_graph_uris, named_graph_uris, base_iri, substitutions = request
    result = kg.query(
        sparql,
        infer=infer,
        default_graph_uris=default_graph_uris,
        named_graph_uris=named_graph_uris,
        substitutions=dict(substitutions) or None,
        base_iri=base_iri,
    )
    chosen = pick_format(result, formats)
    writer = _FrameWriter(answers, b"g" if isinstance(chosen, RdfFormat) else b"r")
    results.write(result, chosen, writer)  # type: ignore[arg-type]
    writer.finish()


def _watch_parent(parent: int) -> None:
    """Exit when the server process is gone, even in the middle of a query (pyoxigraph releases the GIL)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def serve(requests: Connection, answers: Connection) -> None:
    """The worker's loop: one query at a time, on the snapshot the server names, until the pipe closes."""
    opened: tuple[str, KnowledgeGraph] | None = None
    answers.send_bytes(READY)
    while True:
        try:
            path, results_type, graph_type, *request = pickle.loads(requests.recv_bytes())
        except EOFError:
            return
        try:
            if opened is None or opened[0] != path:
                opened = None  # drop the old store before opening the new one
                opened = (path, KnowledgeGraph.open(path, read_only=True))
            formats = Formats(
                results=QueryResultsFormat.from_media_type(results_type) if results_type else None,
                graph=RdfFormat.from_media_type(graph_type) if graph_type else None,
            )
            _answer(opened[1], tuple(request), formats, answers)
        except errors.GraphError as error:
            _report(answers, type(error).__name__, str(error))
        except OSError as error:  # a SERVICE call that failed: its remote answer is never shown
            _report(answers, "BadQuery", remote_failure(error))
        except (ValueError, RuntimeError) as error:  # pyoxigraph's lazy evaluation errors
            _report(answers, "BadQuery", f"the query cannot be evaluated: {error}")


def _report(answers: Connection, kind: str, message: str) -> None:
    answers.send_bytes(ERROR + json.dumps({"kind": kind, "message": message}).encode())


def main(argv: list[str]) -> None:
    requests_fd, answers_fd = int(argv[0]), int(argv[1])
    _watch_parent(os.getppid())
    serve(Connection(requests_fd, writable=False), Connection(answers_fd, readable=False))


if __name__ == "__main__":
    main(sys.argv[1:])
