"""The long lane: how many works may run long, and what becomes of the others.

**Short work is never starved by long work.** A work that has run for ``long_after`` seconds is *long*; at
most ``places`` long works run at once (the pool's workers less its reserve), and one that would exceed that
is stopped there (503), so the reserved workers are always back within ``long_after`` seconds for everything
else.

A work stopped there is remembered: sent again while the long lane is still full, it is refused at once
(503) instead of taking a reserved worker for another ``long_after`` seconds, so a client that repeats
runaway queries cannot keep small ones waiting (``bench/contention.py`` measured look-ups waiting 5 to 11 s
before). Its client is remembered too (the request's address, :data:`~.service.CLIENT`): while the lane is
still full, that client's works may run only :data:`PROBATION` seconds, so that changing the query's text
each time costs the reserved worker a tenth of a second, not ``long_after`` seconds. A work stopped at the
probation cools its client down: for :data:`COOL_DOWN` seconds its works are refused at once (503, the same
second ``Retry-After`` says), so that a client sending runaways back to back costs the reserved worker one
tenth of a second each second, not all of it (a look-up waited behind each of them: 0.17 s, measured). Once
the lane has room, works and clients are forgotten: every work gets its chance again.

The pool (:mod:`.pool`) asks the lane, under its own lock, whether a work it is about to run is refused, and
what to do with each work running (:meth:`LongLane.look`); it does the stopping.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import errors
from .remembered import Remembered
from .work import Work

#: Seconds a work may run while the long lane is full, when its client's work was stopped there (at most
#: ``long_after``): a look-up takes milliseconds, and a runaway costs the reserved worker no more than this.
PROBATION = 0.1
#: Seconds a client's works are refused at once after one of them was stopped at the probation.
COOL_DOWN = 1.0


class LongLane:
    """The long lane of a pool with ``places`` workers for long work."""

    def __init__(self, places: int, long_after: float) -> None:
        self.places = places
        self.long_after = long_after
        self.probation = min(PROBATION, long_after)
        #: Events since start, for metrics: long works stopped for the reserve, works refused at once because
        #: the same work was stopped there while the lane is still full, works stopped at the probation, and
        #: works of a client cooling down refused at once.
        self.counts = {"long_stopped": 0, "long_refused": 0, "probation_stopped": 0, "probation_refused": 0}
        #: Works and clients stopped here, and until when (monotonic clock) each cooling client is refused.
        self._works = Remembered()
        self._clients = Remembered()
        self._cooling = Remembered()

    def full(self, long: int) -> bool:
        """Whether ``long`` works running long fill the lane. When it has room, the works and clients stopped
        here are forgotten."""
        if long < self.places:
            self._works.clear()
            self._clients.clear()
            self._cooling.clear()
            return False
        return True

    def refuses(self, work: Work, client: str, long: int, now: float) -> errors.Unavailable | None:
        """The error refusing ``work`` of ``client`` at once, or None: the same work was stopped here, or the
        client is cooling down, and the lane is still full."""
        if not (self._works or self._cooling) or not self.full(long):
            return None
        if work in self._works:
            self.counts["long_refused"] += 1
            return errors.Unavailable(self._message())
        until = self._cooling.get(client)
        if until is not None and now < until:
            self.counts["probation_refused"] += 1
            return errors.Unavailable(self._cooling_message(client))
        return None

    def on_probation(self, client: str) -> bool:
        return client in self._clients

    def look(self, work: Work | None, client: str, ran: float, long: int, now: float) -> Look:
        """What becomes of a work that is not long yet and has run ``ran`` seconds, while ``long`` works are
        (``now``: the monotonic clock)."""
        if ran > self.long_after:
            if not self.full(long):
                return Look(long=True)
            self.counts["long_stopped"] += 1
            if work is not None:
                self._works.add(work)
            if client:
                self._clients.add(client)
            return Look(stop=errors.Unavailable(self._message()))
        if client in self._clients and self.full(long):
            if ran > self.probation:
                self.counts["probation_stopped"] += 1
                self._cooling.add(client, now + COOL_DOWN)
                return Look(stop=errors.Unavailable(self._probation_message(client)))
            return Look(again=self.probation - ran)
        return Look(again=self.long_after - ran)

    def _message(self) -> str:
        use = "query already uses" if self.places == 1 else "queries already use"
        return (
            f"{self.places} long-running {use} the workers this service keeps for long work; this one ran past "
            f"{self.long_after:g} s and was stopped — retry later"
        )

    def _cooling_message(self, client: str) -> str:
        return (
            f"a query from {client} ran past the {self.probation:g} s its client may use while the workers this "
            f"service keeps for long work are busy; queries from {client} are refused for {COOL_DOWN:g} s after "
            "that — retry later"
        )

    def _probation_message(self, client: str) -> str:
        return (
            f"a long-running query from {client} was stopped while the workers this service keeps for long work "
            f"are busy; until they are free, queries from {client} may run {self.probation:g} s, and this one ran "
            "longer — retry later"
        )


class Look(NamedTuple):
    """What :meth:`LongLane.look` says of a work: the error that stops it now, or whether it is long now; and
    the seconds until it must be looked at again."""

    stop: errors.Unavailable | None = None
    long: bool = False
    again: float = 0.25
