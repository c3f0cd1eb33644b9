"""What the ASGI side of the server shares: the protocol's types, and a mounted app's lifespan.

The front (``server/front.py``) runs the lifespans of the apps mounted on it beside its own; an app built on
its first request (``server/mcp.py``) starts its own lifespan then, and the front's shutdown stops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Seconds a mounted app's lifespan task gets to end once it said it has stopped.
SHUTDOWN_WAIT = 2.0

log = logging.getLogger(__name__)


class LifespanFailed(Exception):
    """A mounted app's lifespan failed to start or to stop."""


class Lifespan:
    """A mounted app's ASGI lifespan, run as a task of its own and driven by the front's: its startup is
    awaited before the front says it has started, its shutdown before the front says it has stopped.

    An app that does not speak the lifespan protocol (it returns, or raises, at once) has nothing to run.
    """

    def __init__(self, prefix: str, app: ASGIApp) -> None:
        self.prefix = prefix
        self.app = app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        self._task = asyncio.create_task(self._run(scope))
        await self._inbox.put({"type": "lifespan.startup"})
        reply = await self._reply()
        if reply is None:  # no lifespan to run
            self._task = None
        elif reply["type"] != "lifespan.startup.complete":
            raise LifespanFailed(f"the app at {self.prefix} failed to start: {reply.get('message', '')}")

    async def _run(self, scope: Scope) -> None:
        await self.app(scope, self._inbox.get, self._outbox.put)

    async def shutdown(self) -> None:
        if self._task is None:
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        reply = await self._reply()
        task, self._task = self._task, None
        if not task.done():
            try:
                await asyncio.wait_for(task, SHUTDOWN_WAIT)
            except TimeoutError:
                log.warning("the app at %s did not end its lifespan within %g s", self.prefix, SHUTDOWN_WAIT)
        if reply is not None and reply["type"] != "lifespan.shutdown.complete":
            raise LifespanFailed(f"the app at {self.prefix} failed to stop: {reply.get('message', '')}")

    async def _reply(self) -> Message | None:
        """The app's next lifespan message; None when its lifespan task ended without one."""
        assert self._task is not None
        reply = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait({reply, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if reply.done():
            return reply.result()
        reply.cancel()
        if not self._task.cancelled() and self._task.exception() is not None:
            log.info("the app at %s has no lifespan: %r", self.prefix, self._task.exception())
        return None
