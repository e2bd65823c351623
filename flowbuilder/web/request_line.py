"""Django's HTTP requests take turns in a web process: one runs at a time, the others wait in line.

Why: Django's requests run in threads (flowbuilder.asgi). Python runs one thread at a time, so requests
that run together do not finish sooner; they take turns on the interpreter lock, and each wait on
PostgreSQL ends in another wait for the lock (a convoy). With 50 users browsing, answers that take 15 ms
alone took 150-500 ms at the 95th percentile; taken one at a time in arrival order, about 60 ms
(docs/scaling.md, W4).

A request that has run longer than ``slow_after`` seconds (it waits for an external system, or streams
an export) stops holding the line: the next one starts beside it, so a slow ERP never stalls a whole
process. ``max_running`` bounds the requests in flight (each holds a database connection from the pool).
Webhooks and websockets do not pass through here (flowbuilder.asgi).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import Any

ASGIApp = Any


class RequestLine:
    """ASGI middleware: requests start one at a time in arrival order; a slow one steps aside."""

    def __init__(self, app: ASGIApp, *, slow_after: float, max_running: int) -> None:
        self.app = app
        self.slow_after = slow_after
        self.max_running = max(1, max_running)
        self.started: dict[int, float] = {}  # request key -> loop time it started
        self.waiting: deque[asyncio.Future[int]] = deque()
        self._keys = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        key = await self._enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self._leave(key)

    def state(self) -> dict[str, int]:
        """Requests running and waiting now (for tests and diagnostics)."""
        return {"running": len(self.started), "waiting": len(self.waiting)}

    async def _enter(self) -> int:
        loop = asyncio.get_running_loop()
        if not self.waiting and self._may_start(loop.time()):
            return self._start(loop.time())
        turn: asyncio.Future[int] = loop.create_future()
        self.waiting.append(turn)
        self._arm_timer(loop)
        try:
            return await turn
        except asyncio.CancelledError:
            # The client went away while waiting, or just as its turn came: give the turn on.
            if turn.done() and not turn.cancelled():
                self._leave(turn.result())
            elif turn in self.waiting:  # the line may already have dropped the cancelled turn
                self.waiting.remove(turn)
            raise

    def _leave(self, key: int) -> None:
        self.started.pop(key, None)
        self._admit(asyncio.get_running_loop())

    def _start(self, now: float) -> int:
        key = next(self._keys)
        self.started[key] = now
        return key

    def _fresh(self, now: float) -> list[float]:
        return [t for t in self.started.values() if now - t < self.slow_after]

    def _may_start(self, now: float) -> bool:
        return len(self.started) < self.max_running and not self._fresh(now)

    def _admit(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the next waiting request while the line allows it (a turn is taken on its behalf)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self.waiting and self._may_start(loop.time()):
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(self._start(loop.time()))
        self._arm_timer(loop)

    def _arm_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wake the line when the youngest running request turns slow."""
        if self._timer is not None or not self.waiting:
            return
        fresh = self._fresh(loop.time())
        if fresh:
            self._timer = loop.call_at(max(fresh) + self.slow_after, self._admit, loop)
