"""Per-connection request budgets shared by every user of a connection.

A budget is a token bucket (sustained ``rate`` per second with ``burst`` capacity) plus a concurrency
semaphore (``max_concurrency`` requests in flight), keyed by connection id. Callers queue rather than
fail: :meth:`RateLimiter.acquire` waits up to ``max_wait`` seconds, then raises :class:`RateLimited`
with a ``retry_after`` so the executor can park the node instead of holding a worker.

Two implementations share one polling loop: :class:`LocalRateLimiter` (one process; tests, dev) and
:class:`RedisRateLimiter` (all workers; one atomic Lua script per attempt, server time). A Redis
concurrency slot is a *lease* with a short TTL that the holding process renews while the request is in
flight: a worker killed with SIGKILL stops renewing, so its slots come back within ``lease_ttl`` seconds
instead of being held until some long timeout (a request that takes longer than the TTL keeps its slot,
because it is renewed).
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.errors import RateLimited

logger = logging.getLogger("connectors.http")

# How long to sleep between attempts when the limiter cannot say when a slot frees up (concurrency).
_POLL_S = 0.05


@dataclass(frozen=True)
class RateLimit:
    """``rate`` <= 0 disables the bucket; ``max_concurrency`` <= 0 disables the semaphore."""

    rate: float = 10.0
    burst: int = 10
    max_concurrency: int = 0
    # Seconds a concurrency slot outlives its holder's last renewal (renewed every third of it while in
    # flight): how long the slots of a killed worker stay taken.
    lease_ttl: float = 10.0


class RateLimiter(Protocol):
    def acquire(self, key: str, limit: RateLimit, *, max_wait: float) -> AbstractContextManager[None]:
        """Wait (at most ``max_wait`` s) for a token and a concurrency slot; release the slot on exit."""
        ...


class _PollingLimiter:
    """Shared wait loop. Subclasses implement one non-blocking attempt and a release."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sleep = sleep
        self._clock = clock

    def _try(self, key: str, limit: RateLimit, lease: str) -> float:
        """Return 0.0 when acquired, else seconds to wait before trying again."""
        raise NotImplementedError

    def _release(self, key: str, limit: RateLimit, lease: str) -> None:
        raise NotImplementedError

    def _hold(self, key: str, limit: RateLimit, lease: str) -> None:
        """The slot ``lease`` is in use until :meth:`_unhold` (Redis: keep renewing it)."""

    def _unhold(self, lease: str) -> None:
        return None

    @contextmanager
    def acquire(self, key: str, limit: RateLimit, *, max_wait: float) -> Iterator[None]:
        lease = uuid.uuid4().hex
        give_up = self._clock() + max(0.0, max_wait)
        while True:
            wait = self._try(key, limit, lease)
            if wait <= 0:
                break
            remaining = give_up - self._clock()
            if remaining <= 0:
                raise RateLimited(
                    f"Connection {key} is at its request budget.",
                    hint="Requests on this connection are throttled; the step will retry shortly.",
                    retry_after=max(wait, 1.0),
                )
            self._sleep(min(wait, remaining))
        if limit.max_concurrency > 0:
            self._hold(key, limit, lease)
        try:
            yield
        finally:
            if limit.max_concurrency > 0:
                self._unhold(lease)
                self._release(key, limit, lease)


class LocalRateLimiter(_PollingLimiter):
    """In-process budgets: fine for one worker process and for tests."""

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(sleep=sleep, clock=clock)
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated_at)
        self._in_flight: dict[str, int] = {}

    def _try(self, key: str, limit: RateLimit, lease: str) -> float:
        with self._lock:
            if limit.max_concurrency > 0 and self._in_flight.get(key, 0) >= limit.max_concurrency:
                return _POLL_S
            if limit.rate > 0:
                now = self._clock()
                tokens, ts = self._buckets.get(key, (float(limit.burst), now))
                tokens = min(float(limit.burst), tokens + (now - ts) * limit.rate)
                if tokens < 1.0:
                    self._buckets[key] = (tokens, now)
                    return (1.0 - tokens) / limit.rate
                self._buckets[key] = (tokens - 1.0, now)
            if limit.max_concurrency > 0:
                self._in_flight[key] = self._in_flight.get(key, 0) + 1
            return 0.0

    def _release(self, key: str, limit: RateLimit, lease: str) -> None:
        with self._lock:
            self._in_flight[key] = max(0, self._in_flight.get(key, 0) - 1)

    def in_flight(self, key: str) -> int:
        with self._lock:
            return self._in_flight.get(key, 0)


# One round trip decides both budgets atomically; TIME keeps every worker on the server's clock.
_ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxc = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
if maxc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= maxc then
    return -1
  end
end
if rate > 0 then
  local tokens = burst
  local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  if b[1] then
    tokens = math.min(burst, tonumber(b[1]) + (now - tonumber(b[2])) * rate / 1000)
  end
  if tokens < 1 then
    redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
    return math.ceil((1 - tokens) * 1000 / rate)
  end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
end
if maxc > 0 then
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ttl + 1000)
end
return 0
"""

# Extend a lease that still exists (a lease already taken back is not resurrected).
_RENEW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ttl + 1000)
  return 1
end
return 0
"""


class RedisRateLimiter(_PollingLimiter):
    """Budgets shared by every worker through Redis (the same Redis as the Celery broker is fine)."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "fb:ratelimit",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(sleep=sleep, clock=clock)
        self._redis = client
        self._prefix = prefix
        self._script = client.register_script(_ACQUIRE_LUA)
        self._renew_script = client.register_script(_RENEW_LUA)
        # Leases this process holds: lease -> (leases key, ttl in ms). One daemon thread renews them all.
        self._held: dict[str, tuple[str, int]] = {}
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self.renewals = 0  # observable in tests

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisRateLimiter:
        import redis  # imported here so plugins using only the local limiter need no redis package

        return cls(redis.Redis.from_url(url), **kwargs)

    def _keys(self, key: str) -> list[str]:
        # The hash tag keeps both keys in one Redis Cluster slot, which a multi-key script needs.
        return [f"{self._prefix}:{{{key}}}:bucket", f"{self._prefix}:{{{key}}}:leases"]

    def _try(self, key: str, limit: RateLimit, lease: str) -> float:
        result = int(
            self._script(
                keys=self._keys(key),
                args=[
                    repr(float(limit.rate)),
                    int(limit.burst),
                    int(limit.max_concurrency),
                    math.ceil(limit.lease_ttl * 1000),
                    lease,
                ],
            )
        )
        if result == 0:
            return 0.0
        return _POLL_S if result < 0 else result / 1000.0

    def _release(self, key: str, limit: RateLimit, lease: str) -> None:
        self._redis.zrem(self._keys(key)[1], lease)

    def _hold(self, key: str, limit: RateLimit, lease: str) -> None:
        with self._held_lock:
            self._held[lease] = (self._keys(key)[1], math.ceil(limit.lease_ttl * 1000))
            if self._renewer is None:
                self._renewer = threading.Thread(
                    target=self._renew_loop, name="ratelimit-leases", daemon=True
                )
                self._renewer.start()

    def _unhold(self, lease: str) -> None:
        with self._held_lock:
            self._held.pop(lease, None)

    def _renew_loop(self) -> None:
        """Renew every held lease each third of the shortest TTL; stop when none is held."""
        while True:
            with self._held_lock:
                if not self._held:
                    self._renewer = None
                    return
                held = list(self._held.items())
            interval = min(ttl for _, (_, ttl) in held) / 3000.0
            time.sleep(max(0.05, interval))
            for lease, (leases_key, ttl) in held:
                with self._held_lock:
                    if lease not in self._held:
                        continue  # released meanwhile
                try:
                    self._renew_script(keys=[leases_key], args=[lease, ttl])
                    self.renewals += 1
                except Exception:  # noqa: BLE001 - Redis away: the lease may lapse; the request goes on
                    logger.warning("could not renew rate limit lease on %s", leases_key, exc_info=True)
