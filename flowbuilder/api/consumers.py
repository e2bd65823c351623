"""Websocket consumer for one run: snapshot first, then every event after it, in seq order.

The consumer joins the run's group *before* reading the snapshot, so an event committed in between
arrives through the group; events at or below the snapshot's seq are dropped, and a gap (a lost message)
is filled from the database. A client that reconnects sends ``{"type": "resume", "after_seq": N}``.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from flowbuilder.execution.groups import run_group

from .snapshots import events_after, run_snapshot, visible_run

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class RunConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        except (KeyError, ValueError):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        # Another tenant's run and a missing run look the same: no existence oracle.
        if not await database_sync_to_async(visible_run)(user, self.run_id):
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = run_group(self.run_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        snapshot = await database_sync_to_async(run_snapshot)(self.run_id)
        self.last_seq = snapshot["seq"]
        await self.send_json(snapshot)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "resume":
            try:
                after = int(content.get("after_seq", 0))
            except (TypeError, ValueError):
                await self.send_json({"type": "error", "detail": "after_seq must be an integer"})
                return
            self.last_seq = min(after, self.last_seq) if after >= 0 else self.last_seq
            await self._catch_up()

    async def run_events(self, message: dict[str, Any]) -> None:
        events = message.get("events", [])
        if not events or message.get("run_id") != self.run_id:
            return
        if events[0]["seq"] > self.last_seq + 1:
            await self._catch_up()  # a batch went missing: read the gap from the database
        fresh = [e for e in events if e["seq"] > self.last_seq]
        if fresh:
            self.last_seq = fresh[-1]["seq"]
            await self.send_json({"type": "events", "events": fresh})

    async def _catch_up(self) -> None:
        events = await database_sync_to_async(events_after)(self.run_id, self.last_seq)
        if events:
            self.last_seq = events[-1]["seq"]
            await self.send_json({"type": "events", "events": events})
