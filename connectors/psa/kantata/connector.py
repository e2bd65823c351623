"""Kantata OX (formerly Mavenlink) API v1: workspaces, stories (tasks), time entries, expenses, users and
custom field values.
Node ids: ``psa.kantata.<action>`` (e.g. ``psa.kantata.create_time_entry``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from itertools import islice
from typing import Any

from connectors.base import (
    Action,
    ActionContext,
    Connector,
    PollResult,
    Trigger,
)
from connectors.http.ratelimit import RateLimit
from connectors.object_actions import Verb, object_actions

from . import auth, canonical, client, custom_fields

_S = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_DATE = {"type": "string", "format": "date"}
_REF = {"type": ["string", "integer"], "pattern": "^[0-9]+$"}


def _f(base: dict[str, Any], title: str, **extra: Any) -> dict[str, Any]:
    return {**base, "title": title, **extra}


_EXTERNAL_REFERENCE = {
    "type": "object",
    "title": "External reference",
    "description": (
        "The record this one comes from (e.g. service_name Salesforce, service_model Opportunity, "
        "service_model_ref its id). A create with a reference Kantata already holds answers the existing "
        "record. Empty: the node's idempotency key is the reference (a replay creates nothing new)."
    ),
    "required": ["service_name", "service_model", "service_model_ref"],
    "additionalProperties": False,
    "properties": {
        "service_name": _f(_S, "Service name"),
        "service_model": _f(_S, "Service model"),
        "service_model_ref": _f(_S, "Id in that system", pattern="^[^,]+$"),
        "status": _f(_S, "Status", enum=["successful", "pending", "failed"]),
        "external_link": _f(_S, "Link"),
        "external_message": _f(_S, "Message"),
        "external_status": _f(_S, "Status in that system"),
    },
}
_IDS = {"type": "array", "items": _REF}
_ITEM = {
    "type": "object",
    "additionalProperties": False,
    "required": ["amount"],
    "properties": {
        "notes": _f(_S, "Notes"),
        "amount": {"type": "number", "title": "Amount (main currency unit)"},
        "taxable": _f(_BOOL, "Taxable"),
        "workspace_id": _f(_REF, "Workspace id"),
    },
}

# Writable attributes per collection, as the create/update request bodies document them
# (developer.kantata.com: Workspaces, Stories, Time Entries, Expenses, Invoices).
WRITE_FIELDS: dict[str, dict[str, Any]] = {
    "workspaces": {
        "title": _f(_S, "Title"),
        "creator_role": _f(
            _S,
            "Creator's team",
            enum=["maven", "consultant", "buyer", "client"],
            default="maven",
            description="Which team the connection's user joins (maven/consultant: the provider team).",
        ),
        "description": _f(_S, "Description"),
        "budgeted": _f(_BOOL, "Budgeted"),
        "price": _f(_INT, "Budget (main currency unit)", description="Required for budgeted projects."),
        "currency": _f(_S, "Currency", pattern="^[A-Z]{3}$"),
        "start_date": _f(_DATE, "Start date"),
        "due_date": _f(_DATE, "Due date"),
        "archived": _f(_BOOL, "Archived"),
        "client_role_name": _f(_S, "Client team name"),
        "consultant_role_name": _f(_S, "Provider team name"),
        "rate_card_id": _f(_REF, "Rate card id"),
        "status_key": _f(_INT, "Status key"),
        "require_time_approvals": _f(_BOOL, "Time needs approval"),
        "require_expense_approvals": _f(_BOOL, "Expenses need approval"),
        "stories_are_fixed_fee_by_default": _f(_BOOL, "Tasks fixed fee by default"),
    },
    "stories": {
        "title": _f(_S, "Title"),
        "workspace_id": _f(_REF, "Workspace id"),
        "story_type": _f(_S, "Type", enum=["task", "deliverable", "milestone", "issue"], default="task"),
        "parent_id": _f(_REF, "Parent story id"),
        "state": _f(_S, "State", enum=["not started", "started", "needs info", "completed"]),
        "description": _f(_S, "Description"),
        "start_date": _f(_DATE, "Start date"),
        "due_date": _f(_DATE, "Due date"),
        "budget_estimate_in_cents": _f(_INT, "Budget estimate (cents)"),
        "time_estimate_in_minutes": _f(_INT, "Time estimate (minutes)"),
        "percentage_complete": _f(_INT, "Percent complete", minimum=0, maximum=100),
        "billable": _f(_BOOL, "Billable"),
        "fixed_fee": _f(_BOOL, "Fixed fee"),
        "archived": _f(_BOOL, "Archived"),
    },
    "time_entries": {
        "workspace_id": _f(_REF, "Workspace id"),
        "story_id": _f(_REF, "Task (story) id"),
        "user_id": _f(_REF, "User id"),
        "role_id": _f(_REF, "Role id"),
        "date_performed": _f(_DATE, "Date"),
        "time_in_minutes": _f(_INT, "Minutes", minimum=0),
        "billable": _f(_BOOL, "Billable"),
        "notes": _f(_S, "Notes"),
        "rate_in_cents": _f(_INT, "Rate (cents per hour)"),
        "location": _f(_S, "Location"),
    },
    "expenses": {
        "workspace_id": _f(_REF, "Workspace id"),
        "user_id": _f(_REF, "User id"),
        "story_id": _f(_REF, "Task (story) id"),
        "date": _f(_DATE, "Date"),
        "expense_category_id": _f(_REF, "Expense category id"),
        "category": _f(_S, "Category"),
        "amount_in_cents": _f(_INT, "Amount (cents)"),
        "notes": _f(_S, "Notes"),
        "billable": _f(_BOOL, "Billable", description="Read back as is_billable."),
        "reimbursable": _f(_BOOL, "Reimbursable"),
    },
    "invoices": {
        "workspace_id": _f(_REF, "Workspace id"),
        "workspace_ids": {**_IDS, "title": "Workspace ids (multi-project invoice)"},
        "time_entry_ids": {**_IDS, "title": "Time entry ids"},
        "expense_ids": {**_IDS, "title": "Expense ids"},
        "additional_items": {"type": "array", "title": "Additional items", "items": _ITEM},
        "fixed_fee_items": {
            "type": "array",
            "title": "Fixed fee items",
            "items": {**_ITEM, "properties": {**_ITEM["properties"], "story_id": _f(_REF, "Task id")}},
        },
        "payment_schedule": _f(_INT, "Payment terms (days)", minimum=0, default=30),
        "invoice_date": _f(_DATE, "Invoice date"),
        "draft": _f(_BOOL, "Draft"),
        "message": _f(_S, "Message"),
        "user_invoice_number": _f(_INT, "Invoice number"),
        "user_invoice_title": _f(_S, "Invoice title"),
        "purchase_order": _f(_S, "Purchase order"),
        "project_code": _f(_S, "Project code"),
        "suppress_emails": _f(_BOOL, "Send no emails"),
    },
}
# What a create needs. Kantata also requires creator_role (workspaces), story_type (stories) and
# payment_schedule (invoices): the actions send their documented defaults when the input leaves them out.
REQUIRED_ON_CREATE = {
    "workspaces": ["title"],
    "stories": ["title", "workspace_id"],
    "time_entries": ["workspace_id", "date_performed", "time_in_minutes"],
    "expenses": ["workspace_id", "date", "expense_category_id", "category", "amount_in_cents"],
    "invoices": [],
}
CREATE_DEFAULTS = {
    "workspaces": {"creator_role": "maven"},
    "stories": {"story_type": "task"},
    "invoices": {"payment_schedule": 30},
}
UPDATABLE = ("workspaces", "stories", "time_entries", "expenses")
# Attributes read back that no request may send (Kantata sets them: approval is a timesheet decision,
# invoicing happens through POST /invoices).
READ_ONLY = {
    "workspaces": {"price_in_cents": _INT, "status": {"type": "object"}, "creator_id": _S},
    "time_entries": {"approved": _BOOL, "is_invoiced": _BOOL, "cost_rate_in_cents": _INT, "currency": _S},
    "expenses": {"is_billable": _BOOL, "is_invoiced": _BOOL, "currency": _S},
    "invoices": {
        "balance_in_cents": _INT,
        "due_date": _S,
        "status": _S,
        "title": _S,
        "currency": _S,
        "additional_item_ids": _IDS,
        "fixed_fee_item_ids": _IDS,
    },
    "users": {"full_name": _S, "email_address": _S, "headline": _S},
    "roles": {"name": _S},
    "rate_cards": {"currency": _S, "title": _S, "rate_card_version_ids": _IDS},
    "rate_card_roles": {"rate": _INT, "role_id": _S, "rate_card_version_id": _S},
    "expense_categories": {"name": _S},
}
_APPROVED = _f(_BOOL, "Approved", description="true: on approved timesheets (Kantata filters only for true).")
_INVOICED = _f(_BOOL, "Invoiced", description="true: invoiced only; false: not yet invoiced.")
LIST_FILTERS: dict[str, dict[str, Any]] = {
    "workspaces": {
        "search": _f(_S, "Search"),
        "archived": _f(_S, "Archived projects", enum=["exclude", "include", "only"], default="exclude"),
        "budgeted": _f(_BOOL, "Budgeted"),
    },
    "stories": {"workspace_id": _f(_REF, "Workspace id")},
    "time_entries": {
        "workspace_id": _f(_REF, "Workspace id"),
        "with_user_ids": _f(_S, "User ids (comma-separated)"),
        "date_performed_between": _f(_S, "Dates (YYYY-MM-DD:YYYY-MM-DD)"),
        "approved": _APPROVED,
        "invoiced": _INVOICED,
        "billable": _f(_BOOL, "Billable"),
        "from_archived_workspaces": _f(_BOOL, "Include archived projects"),
    },
    "expenses": {
        "workspace_id": _f(_REF, "Workspace id"),
        "invoiced": _INVOICED,
        "reimbursable": _f(_BOOL, "Reimbursable"),
        "from_archived_workspaces": _f(_BOOL, "Include archived projects"),
    },
    "invoices": {"workspace_id": _f(_REF, "Workspace id")},
    "users": {"search": _f(_S, "Search")},
    "roles": {},
    "rate_cards": {},
    "rate_card_roles": {},
    "expense_categories": {},
}
LABELS = {
    "workspaces": "workspace",
    "stories": "task (story)",
    "time_entries": "time entry",
    "expenses": "expense",
    "invoices": "invoice",
    "users": "user",
    "roles": "role",
    "rate_cards": "rate card",
    "rate_card_roles": "rate card role (rate per role)",
    "expense_categories": "expense category",
}
PLURAL_LABELS = {
    "workspaces": "workspaces",
    "stories": "tasks (stories)",
    "time_entries": "time entries",
    "expenses": "expenses",
    "invoices": "invoices",
    "users": "users",
    "roles": "roles",
    "rate_cards": "rate cards",
    "rate_card_roles": "rate card roles (rates per role)",
    "expense_categories": "expense categories",
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
    props = {
        "id": _S,
        "created_at": _S,
        "updated_at": _S,
        **{k: v for k, v in WRITE_FIELDS.get(coll, {}).items() if k not in ("creator_role", "billable")},
        **READ_ONLY.get(coll, {}),
    }
    if coll == "workspaces":
        props["price"] = _f(_S, "Budget")  # read back as text; price_in_cents is exact
    if coll == "time_entries":
        props["billable"] = WRITE_FIELDS["time_entries"]["billable"]
    return {"type": "object", "properties": props}


def _write_input(coll: str, *, update: bool) -> dict[str, Any]:
    props = dict(WRITE_FIELDS[coll])
    if update:
        props.pop("creator_role", None)
        return {
            "type": "object",
            "required": ["id"],
            "additionalProperties": False,
            "properties": {"id": _f(_REF, "Id"), **props},
        }
    schema: dict[str, Any] = {
        "type": "object",
        "required": REQUIRED_ON_CREATE[coll],
        "additionalProperties": False,
        "properties": {**props, "external_reference": _EXTERNAL_REFERENCE},
    }
    if coll == "invoices":
        schema["anyOf"] = [{"required": ["workspace_id"]}, {"required": ["workspace_ids"]}]
    return schema


def list_records(coll: str, ctx: ActionContext, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    query = {k: v for k, v in params.items() if k != "max_records" and v not in (None, "")}
    keep: dict[str, Any] = {}
    if query.get("approved") is False:  # Kantata's approved filter only ever means true
        query.pop("approved")
        keep["approved"] = False
    if "invoiced" in query and coll in ("time_entries", "expenses"):
        query["uninvoiced" if query.pop("invoiced") is False else "invoiced"] = True
    query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in query.items()}
    records = client.list_records(
        ctx, coll, query, max_records=None if keep else int(params.get("max_records", 2000))
    )
    kept = (r for r in records if all(r.get(k) == v for k, v in keep.items()))
    return islice(kept, int(params.get("max_records", 2000)))  # paged in as read


def get(coll: str, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return client.get_record(ctx, coll, params["id"], str(params.get("include") or ""))


def create(coll: str, ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Create once: the external reference (given, or made from the idempotency key) is looked up first."""
    attrs = {
        **CREATE_DEFAULTS.get(coll, {}),
        **{k: v for k, v in params.items() if k != "external_reference"},
    }
    ref = client.reference_for(ctx, coll, params.get("external_reference"))
    return client.create_once(ctx, coll, attrs, ref)


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

# One row per verb; users, roles and rates are managed in Kantata itself, so only collections with
# WRITE_FIELDS get create (and invoices no update) (names: coll, one, label, labels).
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
        "Create a {label} once: it carries an external reference (yours, or the node's idempotency key) "
        "and a create whose reference Kantata already holds answers that record instead.",
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
        applies_to=UPDATABLE.__contains__,
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


POLLED = ("workspaces", "stories", "time_entries", "expenses", "invoices", "users")
TRIGGER_CONFIG: dict[str, Any] = {
    "type": "object",
    "required": ["collection"],
    "additionalProperties": False,
    "properties": {
        "collection": {
            "type": "string",
            "title": "Records",
            "enum": list(POLLED),
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
    if coll == "workspaces":
        filters = {"archived": "include"}  # an archived project is a change too
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
    version = "2.0.0"
    description = (
        "Kantata OX (Mavenlink) workspaces, tasks, time entries, expenses, invoices, users, roles and rates."
    )
    docs = "connectors/psa/kantata/README.md"
    credential_types = auth.CREDENTIAL_TYPES
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
    actions = (
        *object_actions(client.COLLECTIONS, VERBS, names=_names, record_object=str),
        Action(
            key="set_custom_fields",
            name="Set custom field values",
            description="Write a workspace's (project's) or story's (task's) custom fields by name, in one "
            "bulk request; each value overrides the field's current one, so a replay changes nothing more.",
            run=custom_fields.set_custom_fields,
            input_schema=custom_fields.INPUT,
            output_schema=custom_fields.OUTPUT,
            writes=True,
        ),
    )
    triggers = (
        Trigger(
            key="record_updated",
            name="Record created or updated",
            description="updated_after polling: workspaces, tasks, time, expenses, invoices or users.",
            poll=poll_record_updated,
            config_schema=TRIGGER_CONFIG,
            output_schema={"type": "object", "properties": {"id": _S, "updated_at": _S}},
        ),
    )

    def probe(self, ctx: ActionContext) -> str:
        client.request(ctx, "GET", "workspaces", params={"per_page": 1})
        return "Connected to Kantata OX."
