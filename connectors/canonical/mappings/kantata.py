"""Kantata OX records <-> canonical project (workspace), task (story), time entry, expense, resource (user).
Kantata keeps money in cents and time in minutes; the canonical model uses amounts and hours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._util import cents, compact, num, text, to_cents

SYSTEM = "kantata"


def _base(r: Mapping[str, Any]) -> dict[str, Any]:
    return {"source_system": SYSTEM, "source_id": text(r.get("id")), "updated_at": r.get("updated_at")}


def workspace_to(r: Mapping[str, Any]) -> dict[str, Any]:
    status = r.get("status")
    return compact(
        {
            **_base(r),
            "name": r.get("title"),
            "start_date": r.get("start_date"),
            "end_date": r.get("due_date"),
            "status": status.get("message") if isinstance(status, Mapping) else text(status),
            "budget_amount": cents(r.get("price_in_cents")),
            "currency": r.get("currency"),
            "description": r.get("description"),
            "active": None if r.get("archived") is None else not r.get("archived"),
        }
    )


def workspace_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "title": c.get("name"),
            "start_date": c.get("start_date"),
            "due_date": c.get("end_date"),
            "price_in_cents": to_cents(c.get("budget_amount")),
            "currency": c.get("currency"),
            "description": c.get("description"),
            "archived": None if c.get("active") is None else not c.get("active"),
        }
    )


def story_to(r: Mapping[str, Any]) -> dict[str, Any]:
    minutes = num(r.get("time_estimate_in_minutes"))
    return compact(
        {
            **_base(r),
            "name": r.get("title"),
            "project_id": text(r.get("workspace_id")),
            "parent_id": text(r.get("parent_id")),
            "status": r.get("state"),
            "start_date": r.get("start_date"),
            "due_date": r.get("due_date"),
            "estimate_hours": None if minutes is None else round(minutes / 60, 2),
            "percent_complete": num(r.get("percentage_complete")),
            "billable": r.get("billable"),
            "description": r.get("description"),
        }
    )


def story_from(c: Mapping[str, Any]) -> dict[str, Any]:
    hours = num(c.get("estimate_hours"))
    return compact(
        {
            "title": c.get("name"),
            "workspace_id": c.get("project_id"),
            "parent_id": c.get("parent_id"),
            "state": c.get("status"),
            "start_date": c.get("start_date"),
            "due_date": c.get("due_date"),
            "time_estimate_in_minutes": None if hours is None else int(round(hours * 60)),
            "percentage_complete": None if c.get("percent_complete") is None else int(c["percent_complete"]),
            "billable": c.get("billable"),
            "description": c.get("description"),
        }
    )


def time_entry_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            **_base(r),
            "project_id": text(r.get("workspace_id")),
            "task_id": text(r.get("story_id")),
            "resource_id": text(r.get("user_id")),
            "date": r.get("date_performed"),
            "hours": round(float(r.get("time_in_minutes") or 0) / 60, 2),
            "billable": r.get("billable"),
            "approved": r.get("approved"),
            "notes": r.get("notes") or None,
            "bill_rate": cents(r.get("rate_in_cents")),
            "cost_rate": cents(r.get("cost_rate_in_cents")),
            "currency": r.get("currency"),
        }
    )


def time_entry_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "workspace_id": c.get("project_id"),
            "story_id": c.get("task_id"),
            "user_id": c.get("resource_id"),
            "date_performed": c.get("date"),
            "time_in_minutes": int(round(float(c.get("hours") or 0) * 60)),
            "billable": c.get("billable"),
            "notes": c.get("notes"),
            "rate_in_cents": to_cents(c.get("bill_rate")),
            "cost_rate_in_cents": to_cents(c.get("cost_rate")),
        }
    )


def expense_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            **_base(r),
            "project_id": text(r.get("workspace_id")),
            "resource_id": text(r.get("user_id")),
            "date": r.get("date"),
            "category": r.get("category"),
            "amount": cents(r.get("amount_in_cents")) or 0.0,
            "currency": r.get("currency"),
            "billable": r.get("billable"),
            "reimbursable": r.get("reimbursable"),
            "approved": r.get("approved"),
            "notes": r.get("notes") or None,
        }
    )


def expense_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "workspace_id": c.get("project_id"),
            "user_id": c.get("resource_id"),
            "date": c.get("date"),
            "category": c.get("category"),
            "amount_in_cents": to_cents(c.get("amount")),
            "currency": c.get("currency"),
            "billable": c.get("billable"),
            "reimbursable": c.get("reimbursable"),
            "notes": c.get("notes"),
        }
    )


def user_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            **_base(r),
            "name": r.get("full_name"),
            "email": r.get("email_address"),
            "title": r.get("headline"),
        }
    )


def user_from(c: Mapping[str, Any]) -> dict[str, Any]:
    """Users are read-only over the API; this is for matching (e.g. by email), not for writes."""
    return compact({"full_name": c.get("name"), "email_address": c.get("email"), "headline": c.get("title")})


MAPPINGS = {
    "project": ("workspaces", workspace_to, workspace_from),
    "task": ("stories", story_to, story_from),
    "time_entry": ("time_entries", time_entry_to, time_entry_from),
    "expense": ("expenses", expense_to, expense_from),
    "resource": ("users", user_to, user_from),
}
