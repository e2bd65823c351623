"""What a person does in Kantata from the sandbox pages: approve a time entry. Approval is a person's
decision in Kantata's UI, not an API write, so it changes the record directly (stamped and announced the
way the API's writes are)."""

from __future__ import annotations

from typing import Any

from ..platform.actions import PageAction
from ..platform.system import System
from ..platform.timeutil import iso_offset, utcnow


def approve_time_entry(system: System, record: dict[str, Any], values: dict[str, str]) -> str:
    record["approved"] = True
    record["updated_at"] = iso_offset(utcnow())
    system.store.put(system.name, "time_entries", record["id"], record)
    system.emit("time_entries", "updated", record)
    return f"Time entry {record['id']} approved"


ACTIONS = (
    PageAction(
        key="approve_time_entry",
        object="time_entries",
        label="Approve time entry",
        run=approve_time_entry,
        applies=lambda r: not r.get("approved"),
        description="Approved billable time is what the project-to-billing flow invoices.",
    ),
)
