"""Reading the audit trail: rows as plain dicts, and CSV / JSON exports streamed row by row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from .models import AuditEvent

COLUMNS = [
    "id",
    "at",
    "actor",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "hash",
]


def as_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor_label,
        "organisation": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "hash": event.hash,
    }


def stream_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    """CSV with a header; before/after as JSON text. One chunk per row: memory stays flat."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(COLUMNS)
    yield flush()
    for event in events:
        row = as_row(event)
        row["before"] = json.dumps(row["before"], sort_keys=True, default=str)
        row["after"] = json.dumps(row["after"], sort_keys=True, default=str)
        # A cell starting with = + - @ is a formula in spreadsheets: keep it text.
        writer.writerow([_cell(row[c]) for c in COLUMNS])
        yield flush()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def stream_json(events: Iterable[AuditEvent]) -> Iterator[str]:
    """A JSON array written one row at a time."""
    yield "["
    first = True
    for event in events:
        yield ("" if first else ",") + "\n" + json.dumps(as_row(event), default=str)
        first = False
    yield "\n]\n"
