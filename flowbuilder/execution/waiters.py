"""Tell a webhook caller waiting for its run's result that the run ended: plain Redis pub/sub.

The Channels layer serves watchers (groups, fan-out, catch-up by seq); a waiter is one request waiting for
one message. Each web process (each event loop) keeps ONE subscription open on its own channel and hands
arriving results to the waiting requests, so a call costs no subscribe/unsubscribe round trips. The hub
is subscribed before a run is started, so its message cannot be missed; if it is lost anyway (Redis
restarted), the caller checks the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import uuid
from typing import Any

import redis
from django.conf import settings

log = logging.getLogger(__name__)

_local = threading.local()
_SEPARATOR = "."
SUBSCRIBE_TIMEOUT_S = 2.0


def waiter_channel(waiter: str) -> str:
    """A waiter id is ``<hub>.<request>``: the engine publishes to the hub's channel."""
    return f"fb:wait:{waiter.split(_SEPARATOR, 1)[0]}"


def _client() -> redis.Redis:
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "pid", None) != os.getpid():
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        _local.client, _local.pid = client, os.getpid()
    return client


def notify(waiter: str, message: dict[str, Any]) -> None:
    """Called by the engine after the commit that ends a run."""
    try:
        _client().publish(waiter_channel(waiter), json.dumps({**message, "waiter": waiter}, default=str))
    except redis.RedisError:
        pass  # the caller falls back to reading the run from the database


class WaiterHub:
    """One subscription per event loop; each waiting request owns a future keyed by its waiter id."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        import redis.asyncio as aioredis

        self.loop = loop
        self.id = uuid.uuid4().hex
        self.channel = f"fb:wait:{self.id}"
        # Named, so an operator can tell these connections apart in CLIENT LIST.
        self._redis = aioredis.Redis.from_url(settings.REDIS_URL, client_name=f"fb-waiters-{self.id[:12]}")
        self._futures: dict[str, asyncio.Future] = {}
        self._subscribed: asyncio.Future = loop.create_future()
        self._task: asyncio.Task | None = None

    async def ready(self) -> bool:
        """True once the hub's channel is subscribed (at once after the first call).

        False when Redis cannot be reached: callers then poll the database instead of failing.
        """
        if self._task is None or self._task.done():
            if self._subscribed.done():
                self._subscribed = self.loop.create_future()
            self._task = self.loop.create_task(self._listen())
        try:
            await asyncio.wait_for(asyncio.shield(self._subscribed), SUBSCRIBE_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - any failure to subscribe means "poll instead"
            return False
        return True

    def register(self) -> str:
        waiter = f"{self.id}{_SEPARATOR}{uuid.uuid4().hex}"
        self._futures[waiter] = self.loop.create_future()
        return waiter

    def discard(self, waiter: str) -> None:
        self._futures.pop(waiter, None)

    async def wait(self, waiter: str, timeout: float) -> dict[str, Any] | None:
        """The run's result message, or None when none came within ``timeout``."""
        future = self._futures.get(waiter)
        if future is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None

    async def _listen(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            if not self._subscribed.done():
                self._subscribed.set_result(None)
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is not None:
                    self._deliver(message["data"])
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
                await self._redis.aclose()  # the loop is shutting down
            raise
        except Exception as exc:  # Redis went away: the next request starts a new listener
            log.warning("webhook waiter subscription lost: %s", exc)
            if not self._subscribed.done():
                self._subscribed.set_exception(exc)
                self._subscribed.exception()  # retrieved: no "never retrieved" noise
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _deliver(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        future = self._futures.get(message.get("waiter", ""))
        if future is not None and not future.done():
            future.set_result(message)


_hubs: dict[int, WaiterHub] = {}


def hub() -> WaiterHub:
    """The hub of the running event loop (uvicorn has one; tests may run several)."""
    loop = asyncio.get_running_loop()
    current = _hubs.get(id(loop))
    if current is None or current.loop is not loop:
        for key, other in list(_hubs.items()):
            if other.loop.is_closed():
                del _hubs[key]
        current = _hubs[id(loop)] = WaiterHub(loop)
    return current
