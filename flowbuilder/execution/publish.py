"""Send run events to Channels groups after the transaction that stored them commits.

Workers publish many small batches; ``async_to_sync(group_send)`` would open a new Redis connection per
call, so a process keeps one event loop in a daemon thread and feeds it through a queue, which also keeps
batches in order. The events are already in the database: a lost message only delays a watcher, which
catches up by ``seq``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from .groups import run_group

log = logging.getLogger(__name__)

# The Channels message type of a batch of run events; consumers handle it in ``run_events``.
RUN_EVENTS_MESSAGE = "run.events"


class _BackgroundPublisher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None

    def _start(self) -> None:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._queue = asyncio.Queue()
            ready.set()
            loop.run_until_complete(self._drain())

        thread = threading.Thread(target=run, name="fb-event-publisher", daemon=True)
        thread.start()
        ready.wait(5)
        self._pid = os.getpid()

    async def _drain(self) -> None:
        layer = get_channel_layer()
        assert self._queue is not None
        while True:
            groups, message = await self._queue.get()
            for group in groups:
                try:
                    await layer.group_send(group, message)
                except Exception:  # a publish failure must never fail a run
                    log.warning("could not publish to %s", group, exc_info=True)

    def submit(self, groups: list[str], message: dict[str, Any]) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use, or after a fork (Celery prefork)
                self._start()
        assert self._loop is not None and self._queue is not None
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (groups, message))


_publisher = _BackgroundPublisher()


def send_now(groups: Iterable[str], message: dict[str, Any]) -> None:
    groups = list(groups)
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):  # single-process tests: deliver synchronously
        for group in groups:
            async_to_sync(layer.group_send)(group, message)
        return
    _publisher.submit(groups, message)


def send_on_commit(groups: Iterable[str], message: dict[str, Any]) -> None:
    groups = list(groups)
    transaction.on_commit(lambda: send_now(groups, message))


def publish_run_events(run: Any, events: list[dict[str, Any]]) -> None:
    """After commit, send a run's new events to everyone watching the run.

    Only the run's group: no consumer listens to flow or organisation groups, and each group costs
    Redis round trips on every event.
    """
    if events:
        send_on_commit(
            [run_group(run.pk)],
            {"type": RUN_EVENTS_MESSAGE, "run_id": run.pk, "flow_id": run.flow_id, "events": events},
        )
