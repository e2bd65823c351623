"""Run events buffered by the engine and written with the step that caused them.

Each event gets the next ``seq`` of its run while the run row is locked, so a watcher that saw seq N
and asks for "after N" misses nothing and sees nothing twice.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .bulk import insert_events
from .models import Run, event_message


class EventBuffer:
    def __init__(self) -> None:
        self._pending: list[tuple[str, str, dict[str, Any], Any]] = []

    def add(self, type_: str, node_id: str = "", payload: dict[str, Any] | None = None) -> None:
        self._pending.append((type_, node_id, payload or {}, timezone.now()))

    def __bool__(self) -> bool:
        return bool(self._pending)

    def flush(self, run: Run) -> list[dict[str, Any]]:
        """Write pending events with consecutive seqs (caller holds the run lock); return messages."""
        rows = self.take(run)
        insert_events(rows)
        return messages(rows)

    def take(self, run: Run) -> list[tuple]:
        """Number pending events with the run's next seqs (caller holds the run lock and writes the rows)."""
        rows = []
        for type_, node_id, payload, at in self._pending:
            run.last_seq += 1
            rows.append((run.pk, run.last_seq, type_, node_id, payload, at))
        self._pending = []
        return rows


def messages(rows: list[tuple]) -> list[dict[str, Any]]:
    """What watchers receive for event rows of (run_id, seq, type, node_id, payload, at)."""
    return [event_message(seq, type_, node_id, payload, at) for _, seq, type_, node_id, payload, at in rows]


def append_event(
    run: Run, type_: str, payload: dict[str, Any] | None = None, node_id: str = ""
) -> dict[str, Any]:
    """Append one event to a locked run (actions outside the engine: queued, cancelled, retried)."""
    buffer = EventBuffer()
    buffer.add(type_, node_id, payload)
    return buffer.flush(run)[0]
