"""A query worker process: runs works on a read-only store checkpoint, and sends what they give in frames.

Frames go over a pipe (``multiprocessing`` connections; one tag byte, then the payload):

    R                  ready (after start-up)
    W type \\n body     a whole streamed body (it fitted in one frame) and its media type
    S type \\n body     the first frame of a longer body; D frames follow, then E
    D body             more of the body
    E                  the body is complete
    V pickle           a work's value (works that return rather than stream)
    X json             an error: {"kind": a graph.errors class name or "Internal", "message": ...}
    B                  the work starts building a whole-graph index (``KnowledgeGraph.cached``)
    b                  it is done building it

An index is built once per generation, and its cost grows with the store, not with what the request asks
(like a dump's): the pool does not count the time between ``B`` and ``b`` against the request's budget, so
that a large store's index can be built at all. The memory budget still applies.

A job arrives as one pickled :class:`Job`. The pool's fork server (:mod:`.forks`) forks a worker and calls
:func:`start` with its pipes and the bytes of data the process may hold (0: no limit), set as its
``RLIMIT_DATA``: past it, an allocation fails and the kernel, not a poll, stops the work (pyoxigraph aborts
the process, and Python's ``MemoryError`` ends it with :data:`OUT_OF_MEMORY`); the pool tells its client why.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pickle
import resource
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .. import errors
from ..builds import Builds
from ..store import KnowledgeGraph
from .work import Work

log = logging.getLogger(__name__)

READY, WHOLE, START, DATA, END, VALUE, ERROR = b"R", b"W", b"S", b"D", b"E", b"V", b"X"
BUILDING, BUILT = b"B", b"b"
#: Bytes of the first frame: big enough that a point look-up is one frame, small enough that a long answer's
#: first byte comes early.
FRAME = 64 * 1024
#: Each further frame twice the one before, up to this: a long answer crosses the pipe and the server's
#: threads in few pieces (10,000 rows of JSON, 1.5 MB: 5 frames instead of 24, and 15% more such answers a
#: second on two cores).
MAX_FRAME = 1024 * 1024
#: How a worker ends when a work needed more than its memory: an allocation in pyoxigraph (Rust) aborts the
#: process; Python's ``MemoryError`` exits with the code of its own, since the heap may be left in any state.
OUT_OF_MEMORY = 3
OUT_OF_MEMORY_ENDS = (-signal.SIGABRT, OUT_OF_MEMORY)
#: The errors a worker reports by name; the pool raises the same class on the other side.
REPORTED: dict[str, type[errors.GraphError]] = {
    kind.__name__: kind
    for kind in (
        errors.BadQuery,
        errors.BadData,
        errors.BadRequest,
        errors.TooLarge,
        errors.NotAcceptable,
        errors.NotFound,
        errors.QueryTimeout,
        errors.ReadOnly,
        errors.Inconsistent,
    )
}


@dataclass(frozen=True)
class Job:
    """What the pool sends a worker: the snapshot to read and the work to run on it."""

    snapshot: str
    work: Work


class _Frames:
    """The :class:`~.work.Output` of a work in a worker: its body, sent as frames."""

    def __init__(self, answers: Connection) -> None:
        self.answers = answers
        self.media_type: str | None = None
        self.buffer = bytearray()
        self.started = False
        self.frame = FRAME

    def start(self, media_type: str) -> None:
        self.media_type = media_type

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= self.frame:
            head = DATA if self.started else START + self._type()
            self.answers.send_bytes(head + self.buffer)
            self.started = True
            self.buffer.clear()
            self.frame = min(2 * self.frame, MAX_FRAME)
        return len(data)

    def flush(self) -> None:
        """Frames go out when full and at the end; a serialiser's flush changes nothing."""

    def building(self, started: bool) -> None:
        """Tell the pool that the work starts or ends building an index (see the module's docstring)."""
        self.answers.send_bytes(BUILDING if started else BUILT)

    def _type(self) -> bytes:
        if self.media_type is None:
            raise RuntimeError("a work wrote a body without starting it")
        return self.media_type.encode() + b"\n"

    def finish(self, value: Any) -> None:
        if self.media_type is None:
            self.answers.send_bytes(VALUE + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        elif not self.started:
            self.answers.send_bytes(WHOLE + self._type() + self.buffer)
        else:
            if self.buffer:
                self.answers.send_bytes(DATA + self.buffer)
            self.answers.send_bytes(END)


def watch_parent(parent: int) -> None:
    """Exit when the server process is gone, even in the middle of a query (pyoxigraph releases the GIL)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def serve(requests: Connection, answers: Connection, builds: Path | None = None) -> None:
    """The worker's loop: one job at a time, on the snapshot it names, until the pipe closes (either pipe: a
    server shutting down closes them while a worker it has just started says it is ready). Whole-store builds
    are kept in the store's ``builds`` folder, not beside the snapshot."""
    opened: tuple[str, KnowledgeGraph] | None = None
    try:
        answers.send_bytes(READY)
    except BrokenPipeError:
        return
    while True:
        try:
            job: Job = pickle.loads(requests.recv_bytes())
        except EOFError:
            return
        try:
            if opened is None or opened[0] != job.snapshot:
                opened = None  # drop the old store before opening the new one
                opened = (job.snapshot, KnowledgeGraph.open(job.snapshot, read_only=True))
                opened[1].builds = None if builds is None else Builds(builds)
            frames = _Frames(answers)
            opened[1].on_build = frames.building
            frames.finish(job.work.run(opened[1], frames))
        except BrokenPipeError:  # the server is gone or shutting down: nobody to answer
            return
        except errors.GraphError as error:  # by its nearest reported class (BadParameter as BadRequest: a 400)
            reported = next((kind.__name__ for kind in type(error).__mro__ if kind.__name__ in REPORTED), "Internal")
            _report(answers, reported, str(error))
        except MemoryError:
            os._exit(OUT_OF_MEMORY)
        except Exception as error:  # a bug in a work: the server answers 500 and logs it; the worker goes on
            log.exception("a %s work failed", getattr(job.work, "kind", "?"))
            _report(answers, "Internal", f"{type(error).__name__}: {error}")


def _report(answers: Connection, kind: str, message: str) -> None:
    """Send an error frame; the server may be gone by then (its pipe broken): nobody to tell."""
    with contextlib.suppress(BrokenPipeError):
        answers.send_bytes(ERROR + json.dumps({"kind": kind, "message": message}).encode())


def start(requests: Connection, answers: Connection, memory: int, builds: Path | None) -> None:
    """A worker's life once forked (:mod:`.forks`): ``memory`` the bytes of data it may hold (0: no limit)."""
    if memory:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    watch_parent(os.getppid())
    serve(requests, answers, builds)
