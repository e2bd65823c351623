"""Kantata OX records <-> canonical project (workspace), task (story), time entry, expense, invoice,
resource (user), as field tables. Kantata keeps money in cents and time in minutes; the canonical model
uses amounts and hours. Fields Kantata only reads back (a time entry's ``approved``, ``is_invoiced``, an
expense's ``is_billable`` read / ``billable`` write, a workspace's ``price_in_cents`` read / ``price``
write) are mapped in the direction Kantata allows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical.convert import always, negate, num, or_none, text
from connectors.canonical.fields import Composed, Computed, Field, FieldTable, Mapper

SYSTEM = "kantata"


def cents(value: Any) -> float | None:
    amount = num(value)
    return None if amount is None else round(amount / 100.0, 2)


def to_cents(value: Any) -> int | None:
    amount = num(value)
    return None if amount is None else int(round(amount * 100))


def _status(value: Any) -> str | None:
    """A status object's ``message``, or the status as text."""
    return value.get("message") if isinstance(value, Mapping) else text(value)


def _estimate_hours(minutes: Any) -> float | None:
    amount = num(minutes)
    return None if amount is None else round(amount / 60, 2)


def _estimate_minutes(hours: Any) -> int | None:
    amount = num(hours)
    return None if amount is None else int(round(amount * 60))


def _hours(minutes: Any) -> float:
    """Time entries always have a duration: missing counts as zero."""
    return round(float(minutes or 0) / 60, 2)


def _minutes(hours: Any) -> int:
    return int(round(float(hours or 0) * 60))


def _whole(amount: Any) -> int | None:
    """``price`` is written in the currency's main unit, as an integer."""
    value = num(amount)
    return None if value is None else int(round(value))


def _percent(value: Any) -> int | None:
    return None if value is None else int(value)


BASE = (
    Computed("source_system", always(SYSTEM)),
    Field("source_id", "id", read=text, write=None),
    Field("updated_at", "updated_at", write=None),
)

WORKSPACE = FieldTable(
    *BASE,
    Field("name", "title"),
    Field("start_date", "start_date"),
    Field("end_date", "due_date"),
    Field("status", "status", read=_status, write=None),
    Field("budget_amount", "price_in_cents", read=cents, write=None),
    Composed("price", lambda e: _whole(e.get("budget_amount"))),
    Field("currency", "currency"),
    Field("description", "description"),
    Field("active", "archived", read=negate, write=negate),
)

STORY = FieldTable(
    *BASE,
    Field("name", "title"),
    Field("project_id", "workspace_id", read=text),
    Field("parent_id", "parent_id", read=text),
    Field("status", "state"),
    Field("start_date", "start_date"),
    Field("due_date", "due_date"),
    Field("estimate_hours", "time_estimate_in_minutes", read=_estimate_hours, write=_estimate_minutes),
    Field("percent_complete", "percentage_complete", read=num, write=_percent),
    Field("billable", "billable"),
    Field("description", "description"),
)

TIME_ENTRY = FieldTable(
    *BASE,
    Field("project_id", "workspace_id", read=text),
    Field("task_id", "story_id", read=text),
    Field("resource_id", "user_id", read=text),
    Field("date", "date_performed"),
    Field("hours", "time_in_minutes", read=_hours, write=_minutes),
    Field("billable", "billable"),
    Field("approved", "approved", write=None),
    Field("notes", "notes", read=or_none),
    Field("bill_rate", "rate_in_cents", read=cents, write=to_cents),
    Field("cost_rate", "cost_rate_in_cents", read=cents, write=None),
    Field("currency", "currency", write=None),
)

EXPENSE = FieldTable(
    *BASE,
    Field("project_id", "workspace_id", read=text),
    Field("resource_id", "user_id", read=text),
    Field("date", "date"),
    Field("category", "category"),
    Field("amount", "amount_in_cents", read=lambda v: cents(v) or 0.0, write=to_cents),
    Field("currency", "currency", write=None),
    Field("billable", "is_billable", write=None),
    Composed("billable", lambda e: e.get("billable")),
    Field("reimbursable", "reimbursable"),
    Field("notes", "notes", read=or_none),
)

INVOICE = FieldTable(
    *BASE,
    Field("number", "user_invoice_number", read=text, write=None),
    Computed("project_id", lambda r: text((r.get("workspace_ids") or [None])[0])),
    Field("invoice_date", "invoice_date", write=None),
    Field("due_date", "due_date", write=None),
    Field("currency", "currency", write=None),
    Field("status", "status", write=None),
    Field("total", "balance_in_cents", read=cents, write=None),
    Field("memo", "message", read=or_none),
)

# Users are read-only over the API; the written fields serve matching (e.g. by email), not writes.
USER = FieldTable(
    *BASE,
    Field("name", "full_name"),
    Field("email", "email_address"),
    Field("title", "headline"),
)

MAPPINGS = (
    Mapper(SYSTEM, "project", "workspaces", WORKSPACE),
    Mapper(SYSTEM, "task", "stories", STORY),
    Mapper(SYSTEM, "time_entry", "time_entries", TIME_ENTRY),
    Mapper(SYSTEM, "expense", "expenses", EXPENSE),
    Mapper(SYSTEM, "invoice", "invoices", INVOICE),
    Mapper(SYSTEM, "resource", "users", USER),
)
