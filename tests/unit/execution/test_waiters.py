"""The webhook waiter hub on real Redis: one subscription per process, results reach only their caller,
a lost subscription comes back, and no Redis means "poll", not an error."""

from __future__ import annotations

import asyncio

import redis
from django.conf import settings
from django.test import override_settings

from flowbuilder.execution import waiters


def _kill_hub_connections(hub: waiters.WaiterHub) -> int:
    client = redis.Redis.from_url(settings.REDIS_URL)
    killed = 0
    for info in client.client_list():
        if info.get("name") == f"fb-waiters-{hub.id[:12]}":
            killed += client.client_kill_filter(_id=info["id"])
    return killed


def test_each_result_reaches_only_its_own_caller():
    async def scenario():
        hub = waiters.hub()
        assert await hub.ready()
        first, second = hub.register(), hub.register()
        assert waiters.waiter_channel(first) == waiters.waiter_channel(second) == hub.channel
        await asyncio.to_thread(waiters.notify, second, {"run_id": 2, "status": "succeeded"})
        got_second = await hub.wait(second, timeout=5)
        got_first = await hub.wait(first, timeout=0.2)
        await asyncio.to_thread(waiters.notify, "someone-else.x", {"run_id": 3})  # other hubs: ignored
        return got_first, got_second

    got_first, got_second = asyncio.run(scenario())
    assert got_first is None
    assert got_second["run_id"] == 2 and got_second["status"] == "succeeded"


def test_one_hub_per_event_loop():
    async def ids():
        return waiters.hub().id, waiters.hub().id

    a1, a2 = asyncio.run(ids())
    b1, _ = asyncio.run(ids())
    assert a1 == a2 and a1 != b1


def test_a_lost_subscription_is_renewed_by_the_next_caller():
    async def scenario():
        hub = waiters.hub()
        assert await hub.ready()
        assert await asyncio.to_thread(_kill_hub_connections, hub) == 1
        for _ in range(50):  # the listener notices the closed connection
            if hub._task.done():
                break
            await asyncio.sleep(0.05)
        assert await hub.ready()
        waiter = hub.register()
        await asyncio.to_thread(waiters.notify, waiter, {"run_id": 9, "status": "succeeded"})
        return await hub.wait(waiter, timeout=5)

    assert asyncio.run(scenario())["run_id"] == 9


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_without_redis_the_hub_says_so_instead_of_failing():
    async def scenario():
        hub = waiters.hub()
        ready = await hub.ready()
        waiter = hub.register()
        return ready, await hub.wait(waiter, timeout=0.1)

    assert asyncio.run(scenario()) == (False, None)
