"""Tell a webhook caller waiting for its run's result that the run ended: plain Redis pub/sub.

The Channels layer serves watchers (groups, fan-out, catch-up by seq); a waiter is one process waiting for
one message, for which Redis pub/sub answers in well under a millisecond. The web subscribes before the run
exists, so the message cannot be missed; if it is lost anyway, the caller checks the database.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import redis
from django.conf import settings

_local = threading.local()


def waiter_channel(waiter: str) -> str:
    return f"fb:wait:{waiter}"


def _client() -> redis.Redis:
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "pid", None) != os.getpid():
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
        _local.client, _local.pid = client, os.getpid()
    return client


def notify(waiter: str, message: dict[str, Any]) -> None:
    try:
        _client().publish(waiter_channel(waiter), json.dumps(message, default=str))
    except redis.RedisError:
        pass  # the caller falls back to reading the run from the database


def async_client() -> Any:
    """One asyncio Redis client per process (the web server has one event loop)."""
    import redis.asyncio as aioredis

    client = getattr(async_client, "_client", None)
    if client is None:
        client = aioredis.Redis.from_url(settings.REDIS_URL)
        async_client._client = client  # type: ignore[attr-defined]
    return client
