"""Kantata OX (formerly Mavenlink) API v1: workspaces, stories (tasks), time entries, expenses and users.
Node ids: ``psa.kantata.<action>`` (e.g. ``psa.kantata.create_time_entry``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from connectors.base import (
    BEARER,
    OAUTH2_CLIENT_CREDENTIALS,
    OAUTH2_REFRESH_TOKEN,
    ActionContext,
    Connector,
    PollResult,
    Trigger,
)
from connectors.http.ratelimit import RateLimit
from connectors.object_actions import Verb, object_actions

from . import canonical, client

_S = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_DATE = {"type": "string", "format": "date"}
_REF = {"type": ["string", "integer"], "pattern": "^[0-9]+$"}


def _f(base: dict[str, Any], title: str, **extra: Any) -> dict[str, Any]:
    return {**base, "title": title, **extra}


# Writable attributes per collection, as documented for POST/PUT bodies.
WRITE_FIELDS: dict[str, dict[str, Any]] = {
    "workspaces": {
        "title": _f(_S, "Title"),
        "description": _f(_S, "Description"),
        "budgeted": _f(_BOOL, "Budgeted"),
        "price_in_cents": _f(_INT, "Price (cents)"),
        "currency": _f(_S, "Currency", pattern="^[A-Z]{3}$"),
        "start_date": _f(_DATE, "Start date"),
        "due_date": _f(_DATE, "Due date"),
        "archived": _f(_BOOL, "Archived"),
        "client_role_name": _f(_S, "Client role name"),
        "consultant_role_name": _f(_S, "Consultant role name"),
    },
    "stories": {
        "title": _f(_S, "Title"),
        "workspace_id": _f(_REF, "Workspace id"),
        "parent_id": _f(_REF, "Parent story id"),
        "story_type": _f(_S, "Type", enum=["task", "deliverable", "milestone", "issue"]),
        "state": _f(_S, "State"),
        "description": _f(_S, "Description"),
        "start_date": _f(_DATE, "Start date"),
        "due_date": _f(_DATE, "Due date"),
        "budget_estimate_in_cents": _f(_INT, "Budget estimate (cents)"),
        "time_estimate_in_minutes": _f(_INT, "Time estimate (minutes)"),
        "percentage_complete": _f(_INT, "Percent complete", minimum=0, maximum=100),
        "billable": _f(_BOOL, "Billable"),
    },
    "time_entries": {
        "workspace_id": _f(_REF, "Workspace id"),
        "story_id": _f(_REF, "Task (story) id"),
        "user_id": _f(_REF, "User id"),
        "date_performed": _f(_DATE, "Date"),
        "time_in_minutes": _f(_INT, "Minutes", minimum=0),
        "billable": _f(_BOOL, "Billable"),
        "notes": _f(_S, "Notes"),
        "rate_in_cents": _f(_INT, "Rate (cents)"),
        "cost_rate_in_cents": _f(_INT, "Cost rate (cents)"),
        "approved": _f(_BOOL, "Approved"),
    },
    "expenses": {
        "workspace_id": _f(_REF, "Workspace id"),
        "user_id": _f(_REF, "User id"),
        "date": _f(_DATE, "Date"),
        "category": _f(_S, "Category"),
        "amount_in_cents": _f(_INT, "Amount (cents)"),
        "currency": _f(_S, "Currency", pattern="^[A-Z]{3}$"),
        "notes": _f(_S, "Notes"),
        "billable": _f(_BOOL, "Billable"),
        "reimbursable": _f(_BOOL, "Reimbursable"),
    },
}
REQUIRED_ON_CREATE = {
    "workspaces": ["title"],
    "stories": ["title", "workspace_id"],
    "time_entries": ["workspace_id", "date_performed", "time_in_minutes"],
    "expenses": ["workspace_id", "date", "category", "amount_in_cents"],
}
LIST_FILTERS: dict[str, dict[str, Any]] = {
    "workspaces": {"search": _f(_S, "Title contains"), "archived": _f(_BOOL, "Archived")},
    "stories": {"workspace_id": _f(_REF, "Workspace id"), "parent_id": _f(_REF, "Parent story id")},
    "time_entries": {
        "workspace_id": _f(_REF, "Workspace id"),
        "user_id": _f(_REF, "User id"),
        "date_performed_between": _f(_S, "Dates (YYYY-MM-DD:YYYY-MM-DD)"),
        "approved": _f(_BOOL, "Approved"),
    },
    "expenses": {"workspace_id": _f(_REF, "Workspace id"), "user_id": _f(_REF, "User id")},
    "users": {"search": _f(_S, "Name contains")},
}
LABELS = {
    "workspaces": "workspace",
    "stories": "task (story)",
    "time_entries": "time entry",
    "expenses": "expense",
    "users": "user",
}
PLURAL_LABELS = {
    "workspaces": "workspaces",
    "stories": "tasks (stories)",
    "time_entries": "time entries",
    "expenses": "expenses",
    "users": "users",
}


def _list_input(coll: str) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **LIST_FILTERS[coll],
            "updated_after": _f(_S, "Updated after (ISO date-time)"),
            "include": _f(_S, "Include associations", description="e.g. workspace,user"),
            "max_records": _f(_INT, "Maximum records", minimum=1, default=2000),
        },
    }


ID_INPUT = {
    "type": "object",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {"id": _f(_REF, "Id"), "include": _f(_S, "Include associations")},
}


def _record_schema(coll: str) -> dict[str, Any]:
    props = {"id": _S, "created_at": _S, "updated_at": _S, **WRITE_FIELDS.get(coll, {})}
    return {"type": "object", "properties": props}


def _write_input(coll: str, *, update: bool) -> dict[str, Any]:
    props = dict(WRITE_FIELDS[coll])
    if update:
        return {
            "type": "object",
            "required": ["id"],
            "additionalProperties": False,
            "properties": {"id": _f(_REF, "Id"), **props},
        }
    return {
        "type": "object",
        "required": REQUIRED_ON_CREATE[coll],
        "additionalProperties": False,
        "properties": props,
    }


def list_records(coll: str, ctx: ActionContext, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    query = {k: v for k, v in params.items() if k != "max_records" and v not in (None, "")}
    query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in query.items()}
    return list(client.list_records(ctx, coll, query, max_records=int(params.get("max_records", 2000))))


def get(coll: str, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return client.get_record(ctx, coll, params["id"], str(params.get("include") or ""))


def create(coll: str, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return client.create_record(ctx, coll, params)


def update(coll: str, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    attrs = {k: v for k, v in params.items() if k != "id"}
    return client.update_record(ctx, coll, params["id"], attrs)


def delete(coll: str, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return client.delete_record(ctx, coll, params["id"])


DELETE_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "additionalProperties": False,
    "properties": {"id": _f(_REF, "Id")},
}
DELETABLE = ("time_entries", "expenses")

# One row per verb; users are provisioned in Kantata itself, so only collections with WRITE_FIELDS
# get create/update (names: coll, one, label, labels).
VERBS: tuple[Verb[str], ...] = (
    Verb(
        "list_{coll}",
        "List {labels}",
        "List {labels}, following every page (page/per_page).",
        run=list_records,
        input_schema=_list_input,
        output_schema=_record_schema,
    ),
    Verb(
        "get_{one}",
        "Get {label}",
        "Read one {label} by id.",
        run=get,
        input_schema=lambda coll: ID_INPUT,
        output_schema=_record_schema,
    ),
    Verb(
        "create_{one}",
        "Create {label}",
        "Create a {label}. Kantata has no idempotency key: a replay creates another.",
        run=create,
        input_schema=partial(_write_input, update=False),
        output_schema=_record_schema,
        writes=True,
        applies_to=WRITE_FIELDS.__contains__,
    ),
    Verb(
        "update_{one}",
        "Update {label}",
        "Change attributes of a {label} (PUT with only the given attributes).",
        run=update,
        input_schema=partial(_write_input, update=True),
        output_schema=_record_schema,
        writes=True,
        applies_to=WRITE_FIELDS.__contains__,
    ),
    Verb(
        "delete_{one}",
        "Delete {label}",
        "Delete a {label} by id.",
        run=delete,
        input_schema=lambda coll: DELETE_INPUT,
        output_schema=lambda coll: {"type": "object"},
        writes=True,
        applies_to=DELETABLE.__contains__,
    ),
)


def _names(coll: str) -> dict[str, str]:
    return {"coll": coll, "one": client.SINGULAR[coll], "label": LABELS[coll], "labels": PLURAL_LABELS[coll]}


TRIGGER_CONFIG: dict[str, Any] = {
    "type": "object",
    "required": ["collection"],
    "additionalProperties": False,
    "properties": {
        "collection": {
            "type": "string",
            "title": "Records",
            "enum": list(client.COLLECTIONS),
            "default": "time_entries",
        },
        "workspace_id": _f(_REF, "Only in workspace (id)"),
        "since": _f(_S, "Start from (ISO date-time)", description="Empty: changes from now on"),
        "max_records": _f(_INT, "Maximum records per poll", minimum=1, default=500),
    },
}


def poll_record_updated(ctx: ActionContext, config: Mapping[str, Any], cursor: Any) -> PollResult:
    coll = str(config["collection"])
    filters = {"workspace_id": config["workspace_id"]} if config.get("workspace_id") else {}
    if coll in ("workspaces", "users"):
        filters = {}
    return client.poll_updated(
        ctx,
        coll,
        cursor=cursor,
        filters=filters,
        since=config.get("since") or None,
        max_records=int(config.get("max_records", 500)),
    )


class KantataConnector(Connector):
    key = "kantata"
    name = "Kantata OX"
    category = "PSA"
    icon = "kantata"
    version = "1.0.0"
    description = "Kantata OX (Mavenlink) workspaces, tasks, time entries, expenses and users."
    docs = "connectors/psa/kantata/README.md"
    credential_types = (BEARER, OAUTH2_REFRESH_TOKEN, OAUTH2_CLIENT_CREDENTIALS)
    config_schema = {
        "type": "object",
        "required": ["base_url"],
        "additionalProperties": False,
        "properties": {
            "base_url": {
                "type": "string",
                "title": "API base URL",
                "format": "uri",
                "pattern": "^https?://",
                "default": "https://api.mavenlink.com",
            },
        },
    }
    rate_limit = RateLimit(rate=5.0, burst=10, max_concurrency=4)
    canonical_mappings = canonical.MAPPINGS
    actions = object_actions(client.COLLECTIONS, VERBS, names=_names, record_object=str)
    triggers = (
        Trigger(
            key="record_updated",
            name="Record created or updated",
            description="Poll with updated_after for workspaces, tasks, time entries, expenses or users.",
            poll=poll_record_updated,
            config_schema=TRIGGER_CONFIG,
            output_schema={"type": "object", "properties": {"id": _S, "updated_at": _S}},
        ),
    )

    def probe(self, ctx: ActionContext) -> str:
        client.request(ctx, "GET", "workspaces", params={"per_page": 1})
        return "Connected to Kantata OX."
