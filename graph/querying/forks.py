"""The fork server: query workers forked from a process that has imported their code once.

A worker started as a new interpreter took 0.4 s before it could answer, most of it importing ``graph``;
forked from a process that has imported it, about 10 ms. The pool replaces a worker each time it kills one
(at a deadline, at the long lane, at the memory budget), and while it does, one worker fewer answers: so
that time is what every client waits for while somebody sends runaway queries.

The fork server is one small process per pool (``python -m graph.querying.forks``). It imports
:mod:`.worker`, then forks a worker each time the pool asks, handing it the two pipes the pool passed over a
Unix socket, and answers with its process id. It reaps its workers and tells the pool how each ended (the
pool tells a worker that ran out of memory by its exit status). It opens no store and starts no thread, so
forking it is safe. It ends when the pool closes (which kills it: it holds nothing to save), when the pool
closes its socket, or when the server process is gone, and its workers end with it (they watch their parent,
:func:`.worker.watch_parent`).

The pool holds each worker's pidfd: it tests and kills exactly that process, even once the fork server has
reaped it and the kernel has given its number to another.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path

from .remembered import Remembered

#: Seconds to wait for the fork server's word on a worker that has ended (it reaps it at once).
TOLD_WITHIN = 1.0
#: Ends kept for the pool to read; one told after the pool stopped waiting for it is dropped past this many.
ENDS_KEPT = 256


class ForkServer:
    """The pool's side: asks for workers, and learns how they ended."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        command = [sys.executable, "-m", "graph.querying.forks", str(theirs.fileno())]
        self.process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        theirs.close()
        self._socket = ours
        self._asking = threading.Lock()  # one fork at a time: each answer is the pid of the last asked
        self._news = threading.Condition()
        self._started: deque[int] = deque()
        self._ended = Remembered(ENDS_KEPT)
        self._gone = False
        threading.Thread(target=self._listen, name="fork-server", daemon=True).start()

    @property
    def alive(self) -> bool:
        """Whether it still forks: running, and its socket open."""
        return not self._gone and self.process.poll() is None

    def fork(self, requests: int, answers: int, memory: int | None, builds: Path | None, timeout: float) -> Forked:
        """A worker serving the pipes ``requests`` and ``answers`` (file descriptors, still the caller's to
        close), holding at most ``memory`` bytes of data."""
        message = json.dumps({"memory": memory or 0, "builds": str(builds or "")}).encode() + b"\n"
        with self._asking:
            try:
                socket.send_fds(self._socket, [message], [requests, answers])
            except OSError as error:
                self._gone = True
                raise RuntimeError(f"the fork server is gone: {error}") from None
            with self._news:
                self._news.wait_for(lambda: self._started or self._gone, timeout)
                if not self._started:  # a pid that comes later would be taken for the next worker's: no more
                    self._gone = True
                    raise RuntimeError("the fork server did not fork a query worker")
                pid = self._started.popleft()
        return Forked(self, pid)

    def told(self, pid: int, timeout: float) -> int | None:
        """How worker ``pid`` ended (its exit code, or minus the signal that ended it), once the fork server
        has said so, waiting up to ``timeout`` seconds; None if it has not."""
        with self._news:
            self._news.wait_for(lambda: pid in self._ended or self._gone, timeout)
            return self._ended.get(pid)

    def forget(self, pid: int) -> None:
        with self._news:
            self._ended.pop(pid)

    def _listen(self) -> None:
        pending = b""
        while True:
            try:
                data = self._socket.recv(4096)
            except OSError:
                data = b""
            with self._news:
                if not data:
                    self._gone = True
                    self._news.notify_all()
                    return
                *lines, pending = (pending + data).split(b"\n")
                for line in lines:
                    kind, pid, *code = line.split()
                    if kind == b"S":
                        self._started.append(int(pid))
                    else:
                        self._ended.add(int(pid), int(code[0]))
                self._news.notify_all()

    def close(self) -> None:
        """End the fork server (its workers end with it). It holds nothing to save, so it is killed: ending
        on its own, it took 65 ms to shut its interpreter down, and every pool's close waited for that."""
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self.process.kill()
        self.process.wait()


class Forked:
    """A worker forked by the fork server, seen as :class:`subprocess.Popen` sees a child."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None
        self._ending = threading.Lock()
        self._ended_poller = select.poll()  # the pool asks at every checkout: made once
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
            self._ended_poller.register(self._pidfd, select.POLLIN)  # readable once the process has ended
        except ProcessLookupError:  # ended and reaped already
            self._pidfd = None

    def poll(self) -> int | None:
        """How it ended, or None while it runs."""
        if self.returncode is None and not self._running(0):
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if self._running(timeout):
                raise subprocess.TimeoutExpired("query worker", timeout or 0)
            self._ended()
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self._pidfd is not None and self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def _running(self, timeout: float | None) -> bool:
        if self._pidfd is None:
            return False
        return not self._ended_poller.poll(None if timeout is None else max(0, round(timeout * 1000)))

    def _ended(self) -> None:
        """Take the exit status from the fork server (SIGKILL's if it cannot tell: it is gone), once. The pidfd
        stays open until this object goes: another thread may be polling it or signalling through it."""
        with self._ending:
            if self.returncode is None:
                told = self.server.told(self.pid, TOLD_WITHIN)
                self.returncode = -signal.SIGKILL if told is None else told
                self.server.forget(self.pid)

    def __del__(self) -> None:
        if getattr(self, "_pidfd", None) is not None:
            with contextlib.suppress(OSError):
                os.close(self._pidfd)  # type: ignore[arg-type]


def serve(channel: socket.socket) -> None:
    """The fork server's loop: a worker for each request, a word for each worker that ends, until the pool
    closes its socket or the server process is gone."""
    from . import worker  # noqa: F401 - the code every worker runs, imported once here

    parent = os.getppid()
    wake_read, wake_write = os.pipe()
    for end in (wake_read, wake_write):
        os.set_blocking(end, False)
    signal.set_wakeup_fd(wake_write)  # SIGCHLD wakes the loop below
    signal.signal(signal.SIGCHLD, lambda *_: None)
    waiting = select.poll()
    waiting.register(channel, select.POLLIN)
    waiting.register(wake_read, select.POLLIN)
    while os.getppid() == parent:
        ready = {fd for fd, _ in waiting.poll(500)}
        if wake_read in ready:
            with contextlib.suppress(BlockingIOError):
                while os.read(wake_read, 512):
                    pass
        _reap(channel)
        if channel.fileno() not in ready:
            continue
        message, fds, _, _ = socket.recv_fds(channel, 4096, 2)
        if not message:
            return
        asked = json.loads(message)
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for end in (wake_read, wake_write):
                os.close(end)
            channel.close()
            _work(fds, asked["memory"], Path(asked["builds"]) if asked["builds"] else None)
        for fd in fds:
            os.close(fd)
        channel.sendall(f"S {pid}\n".encode())


def _reap(channel: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        channel.sendall(f"E {pid} {os.waitstatus_to_exitcode(status)}\n".encode())


def _work(fds: list[int], memory: int, builds: Path | None) -> None:
    """A forked worker's life: serve, then end without returning into the fork server's loop."""
    from .worker import start

    code = 0
    try:
        start(Connection(fds[0], writable=False), Connection(fds[1], readable=False), memory, builds)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the pool is gone: nobody to tell
        serve(socket.socket(fileno=int(sys.argv[1])))
