"""Per-connection budgets: token bucket, concurrency, queue-don't-fail; in process and on real Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time

import pytest

from connectors.errors import RateLimited
from connectors.http.ratelimit import LocalRateLimiter, RateLimit, RedisRateLimiter
from tests.support.fake_clock import FakeSleep


def test_token_bucket_waits_then_proceeds(fake_sleep: FakeSleep):
    limiter = LocalRateLimiter(sleep=fake_sleep, clock=fake_sleep.clock)
    limit = RateLimit(rate=2.0, burst=2)
    for _ in range(2):
        with limiter.acquire("c1", limit, max_wait=5):
            pass
    assert fake_sleep.calls == []
    with limiter.acquire("c1", limit, max_wait=5):  # third request queues for one token
        pass
    assert fake_sleep.calls == [pytest.approx(0.5)]


def test_budget_is_per_key(fake_sleep: FakeSleep):
    limiter = LocalRateLimiter(sleep=fake_sleep, clock=fake_sleep.clock)
    limit = RateLimit(rate=1.0, burst=1)
    with limiter.acquire("a", limit, max_wait=0):
        pass
    with limiter.acquire("b", limit, max_wait=0):
        pass
    with pytest.raises(RateLimited) as info:
        with limiter.acquire("a", limit, max_wait=0):
            pass
    assert info.value.retryable and info.value.retry_after >= 1.0


def test_concurrency_budget_queues_then_fails_after_bounded_wait():
    limiter = LocalRateLimiter()
    limit = RateLimit(rate=0, max_concurrency=2)
    release = threading.Event()
    entered = threading.Barrier(3)

    def hold():
        with limiter.acquire("c", limit, max_wait=1):
            entered.wait()
            release.wait(5)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    assert limiter.in_flight("c") == 2
    started = time.monotonic()
    with pytest.raises(RateLimited):
        with limiter.acquire("c", limit, max_wait=0.2):
            pass
    assert time.monotonic() - started >= 0.2
    # Queue, don't fail: a waiter gets the slot as soon as one frees up.
    threading.Timer(0.1, release.set).start()
    with limiter.acquire("c", limit, max_wait=2):
        assert limiter.in_flight("c") <= 2
    for t in threads:
        t.join()
    assert limiter.in_flight("c") == 0


def test_client_uses_connection_budget(server, client_factory):
    from tests.support.scripted_server import json_reply

    server.routes["/x"] = lambda seen: json_reply(200, b"{}")
    limiter = LocalRateLimiter()
    client = client_factory(
        base_url=server.url,
        rate_limiter=limiter,
        rate_limit_key="connection:7",
        rate_limit=RateLimit(rate=1.0, burst=1),
        rate_limit_wait=0,
    )
    client.get("/x")
    with pytest.raises(RateLimited):
        client.get("/x")
    assert len(server.seen) == 1


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(5)


def test_redis_token_bucket_shared_between_limiters(redis_url):
    # Two limiter objects stand in for two workers: the budget is shared through Redis.
    a = RedisRateLimiter.from_url(redis_url, prefix="t1")
    b = RedisRateLimiter.from_url(redis_url, prefix="t1")
    limit = RateLimit(rate=1.0, burst=2)
    with a.acquire("conn:1", limit, max_wait=0):
        pass
    with b.acquire("conn:1", limit, max_wait=0):
        pass
    with pytest.raises(RateLimited) as info:
        with a.acquire("conn:1", limit, max_wait=0):
            pass
    assert 0 < info.value.retry_after <= 2
    started = time.monotonic()
    with b.acquire("conn:1", limit, max_wait=3):  # queues for the next token (~1 s)
        pass
    assert 0.3 < time.monotonic() - started < 2.5


def test_redis_concurrency_semaphore_and_lease_expiry(redis_url):
    limiter = RedisRateLimiter.from_url(redis_url, prefix="t2")
    limit = RateLimit(rate=0, max_concurrency=1, lease_ttl=0.5)
    with limiter.acquire("conn:2", limit, max_wait=0):
        with pytest.raises(RateLimited):
            with limiter.acquire("conn:2", limit, max_wait=0.1):
                pass
    with limiter.acquire("conn:2", limit, max_wait=0):  # released on exit
        pass
    # A crashed holder (never released) frees its slot when the lease expires.
    limiter._try("conn:2", limit, "crashed-worker")
    with limiter.acquire("conn:2", limit, max_wait=2):
        pass
