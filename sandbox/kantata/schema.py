"""Kantata OX collections: their writable attributes, types, required fields and defaults, and id ranges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ID_START = {
    "users": 1000001,
    "workspaces": 5000001,
    "stories": 7000001,
    "time_entries": 9000001,
    "expenses": 8000001,
}


@dataclass
class Collection:
    singular: str
    fields: dict[str, str]  # writable attribute -> type (string int bool date datetime ref:<coll> object)
    required: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    writable: bool = True


COLLECTIONS: dict[str, Collection] = {
    "users": Collection(
        "user",
        {"full_name": "string", "email_address": "string", "headline": "string", "photo_path": "string"},
        ("full_name",),
        writable=False,  # Kantata provisions users through the UI/SCIM, not this API
    ),
    "workspaces": Collection(
        "workspace",
        {
            "title": "string",
            "description": "string",
            "budgeted": "bool",
            "price_in_cents": "int",
            "currency": "string",
            "start_date": "date",
            "due_date": "date",
            "archived": "bool",
            "creator_id": "ref:users",
            "client_role_name": "string",
            "consultant_role_name": "string",
            "status": "object",
        },
        ("title",),
        {
            "budgeted": True,
            "currency": "USD",
            "archived": False,
            "client_role_name": "Client",
            "consultant_role_name": "Consultant",
            "status": {"color": "grey", "key": 100, "message": "Not Started"},
        },
    ),
    "stories": Collection(
        "story",
        {
            "title": "string",
            "description": "string",
            "story_type": "string",
            "state": "string",
            "workspace_id": "ref:workspaces",
            "parent_id": "ref:stories",
            "start_date": "date",
            "due_date": "date",
            "budget_estimate_in_cents": "int",
            "time_estimate_in_minutes": "int",
            "percentage_complete": "int",
            "billable": "bool",
        },
        ("title", "workspace_id"),
        {"story_type": "task", "state": "not started", "percentage_complete": 0, "billable": True},
    ),
    "time_entries": Collection(
        "time_entry",
        {
            "workspace_id": "ref:workspaces",
            "story_id": "ref:stories",
            "user_id": "ref:users",
            "date_performed": "date",
            "time_in_minutes": "int",
            "billable": "bool",
            "notes": "string",
            "rate_in_cents": "int",
            "cost_rate_in_cents": "int",
            "currency": "string",
            "approved": "bool",
            "is_invoiced": "bool",
        },
        ("workspace_id", "date_performed", "time_in_minutes"),
        {"billable": True, "currency": "USD", "approved": False, "is_invoiced": False, "notes": ""},
    ),
    "expenses": Collection(
        "expense",
        {
            "workspace_id": "ref:workspaces",
            "user_id": "ref:users",
            "date": "date",
            "notes": "string",
            "category": "string",
            "amount_in_cents": "int",
            "currency": "string",
            "billable": "bool",
            "reimbursable": "bool",
            "approved": "bool",
            "is_invoiced": "bool",
        },
        ("workspace_id", "date", "category", "amount_in_cents"),
        {"billable": True, "reimbursable": True, "currency": "USD", "approved": False, "is_invoiced": False},
    ),
}
