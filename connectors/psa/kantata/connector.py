"""Kantata OX (formerly Mavenlink) API v1: workspaces, stories (tasks), time entries, expenses and users.
Node ids: ``psa.kantata.<action>`` (e.g. ``psa.kantata.create_time_entry``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.base import (
    BEARER,
    OAUTH2_CLIENT_CREDENTIALS,
    OAUTH2_REFRESH_TOKEN,
    Action,
    ActionContext,
    Connector,
    PollResult,
    Trigger,
)
from connectors.http.ratelimit import RateLimit

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


Run = Callable[[ActionContext, Mapping[str, Any]], Any]


def _make_list(coll: str) -> Run:
    def run(ctx: ActionContext, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        query = {k: v for k, v in params.items() if k != "max_records" and v not in (None, "")}
        query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in query.items()}
        return list(client.list_records(ctx, coll, query, max_records=int(params.get("max_records", 2000))))

    return run


def _make_get(coll: str) -> Run:
    def run(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
        return client.get_record(ctx, coll, params["id"], str(params.get("include") or ""))

    return run


def _make_create(coll: str) -> Run:
    def run(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
        return client.create_record(ctx, coll, params)

    return run


def _make_update(coll: str) -> Run:
    def run(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
        attrs = {k: v for k, v in params.items() if k != "id"}
        return client.update_record(ctx, coll, params["id"], attrs)

    return run


def _make_delete(coll: str) -> Run:
    def run(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
        return client.delete_record(ctx, coll, params["id"])

    return run


def _actions() -> tuple[Action, ...]:
    actions: list[Action] = []
    for coll in client.COLLECTIONS:
        one, label = client.SINGULAR[coll], LABELS[coll]
        actions.append(
            Action(
                key=f"list_{coll}",
                name=f"List {PLURAL_LABELS[coll]}",
                description=f"List {PLURAL_LABELS[coll]}, following every page (page/per_page).",
                run=_make_list(coll),
                input_schema=_list_input(coll),
                output_schema=_record_schema(coll),
            )
        )
        actions.append(
            Action(
                key=f"get_{one}",
                name=f"Get {label}",
                description=f"Read one {label} by id.",
                run=_make_get(coll),
                input_schema=ID_INPUT,
                output_schema=_record_schema(coll),
            )
        )
        if coll not in WRITE_FIELDS:
            continue  # users are provisioned in Kantata itself
        actions += [
            Action(
                key=f"create_{one}",
                name=f"Create {label}",
                description=f"Create a {label}. Kantata has no idempotency key: a replay creates another.",
                run=_make_create(coll),
                input_schema=_write_input(coll, update=False),
                output_schema=_record_schema(coll),
                writes=True,
            ),
            Action(
                key=f"update_{one}",
                name=f"Update {label}",
                description=f"Change attributes of a {label} (PUT with only the given attributes).",
                run=_make_update(coll),
                input_schema=_write_input(coll, update=True),
                output_schema=_record_schema(coll),
                writes=True,
            ),
        ]
        if coll in ("time_entries", "expenses"):
            actions.append(
                Action(
                    key=f"delete_{one}",
                    name=f"Delete {label}",
                    description=f"Delete a {label} by id.",
                    run=_make_delete(coll),
                    input_schema={
                        "type": "object",
                        "required": ["id"],
                        "additionalProperties": False,
                        "properties": {"id": _f(_REF, "Id")},
                    },
                    output_schema={"type": "object"},
                    writes=True,
                )
            )
    return tuple(actions)


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
    actions = _actions()
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
