"""Concurrency slots are leases renewed while in flight: a holder killed with SIGKILL gives its slots back
within seconds, and a living holder keeps its slot however long its request takes. Real Redis (the
test's REDIS_URL), real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from django.conf import settings

from connectors.errors import RateLimited
from connectors.http.ratelimit import RateLimit, RedisRateLimiter

TTL = 1.0
LIMIT = RateLimit(rate=0, max_concurrency=2, lease_ttl=TTL)

HOLDER = textwrap.dedent(
    """
    import sys, time
    from connectors.http.ratelimit import RateLimit, RedisRateLimiter
    url, prefix = sys.argv[1], sys.argv[2]
    limiter = RedisRateLimiter.from_url(url, prefix=prefix)
    limit = RateLimit(rate=0, max_concurrency=2, lease_ttl=float(sys.argv[3]))
    with limiter.acquire("connection:7", limit, max_wait=5):
        with limiter.acquire("connection:7", limit, max_wait=5):
            print("held", flush=True)
            time.sleep(600)  # a request that never ends: only SIGKILL stops it
    """
)


@pytest.fixture
def redis_url():
    import redis

    url = settings.REDIS_URL
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {url}")
    return url


@pytest.fixture
def holder(redis_url):
    prefix = f"test-leases-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, redis_url, prefix, str(TTL)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc, prefix
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)


def test_a_killed_holder_gives_its_slots_back_within_seconds(redis_url, holder):
    proc, prefix = holder
    limiter = RedisRateLimiter.from_url(redis_url, prefix=prefix)
    # Alive for several TTLs: its renewals keep both slots taken.
    deadline = time.monotonic() + 3 * TTL
    while time.monotonic() < deadline:
        with pytest.raises(RateLimited, match="at its request budget"):
            with limiter.acquire("connection:7", LIMIT, max_wait=0):
                pass
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(5)
    killed = time.monotonic()
    with limiter.acquire("connection:7", LIMIT, max_wait=10):
        with limiter.acquire("connection:7", LIMIT, max_wait=10):
            both_back = time.monotonic() - killed
    assert both_back < TTL + 1.0, f"slots came back after {both_back:.1f}s"


def test_a_long_request_keeps_its_slot_and_releases_it_at_once(redis_url):
    prefix = f"test-leases-{uuid.uuid4().hex[:8]}"
    limiter = RedisRateLimiter.from_url(redis_url, prefix=prefix)
    other = RedisRateLimiter.from_url(redis_url, prefix=prefix)  # another worker
    one = RateLimit(rate=0, max_concurrency=1, lease_ttl=0.5)
    with limiter.acquire("connection:8", one, max_wait=0):
        time.sleep(2.0)  # four TTLs
        with pytest.raises(RateLimited):
            with other.acquire("connection:8", one, max_wait=0):
                pass
        assert limiter.renewals >= 3
    with other.acquire("connection:8", one, max_wait=0):  # released on exit, no waiting for a TTL
        pass
