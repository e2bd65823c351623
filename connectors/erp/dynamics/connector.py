"""Dynamics 365 Business Central (API v2.0): customers, projects, sales invoices (+ lines) and customer
payments in one company. Node ids: ``erp.dynamics.<action>`` (e.g. ``erp.dynamics.list_records``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
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
    object_schema,
)
from connectors.errors import InvalidInput, NotFound
from connectors.http.ratelimit import RateLimit
from connectors.polling import Position, collect, iso_millis, parse_timestamp

from . import canonical, client

ENTITY_SET = {"type": "string", "title": "Entity", "enum": list(client.ENTITY_SETS), "default": "customers"}
RECORD_ID = {"type": "string", "title": "Id (GUID)", "pattern": "^'?[0-9a-fA-F-]{36}'?$"}
FIELDS = {
    "type": "object",
    "title": "Fields",
    "description": 'Properties as the API names them, e.g. {"displayName": "Acme", "email": "ap@acme.com"}',
}
ETAG = {
    "type": "string",
    "title": "ETag (@odata.etag)",
    "description": "From the record you read; a changed record then fails instead of being overwritten. "
    "Empty: the current version is read first.",
}
ENTITY_OUT = {"type": "object", "properties": {"id": {"type": "string"}, "@odata.etag": {"type": "string"}}}
POLLABLE = ("customers", "salesInvoices", "customerPayments")


def run_list(ctx: ActionContext, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    query: dict[str, Any] = {}
    for name in ("filter", "orderby", "select", "expand", "top", "skip"):
        if params.get(name) not in (None, ""):
            query[f"${name}"] = params[name]
    rows = client.list_entities(
        ctx,
        params["entity_set"],
        params=query,
        max_records=int(params.get("max_records", 5000)),
        page_size=params.get("page_size"),
    )
    return [client.clean(r) for r in rows]


def run_get(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    query = {"$expand": params["expand"]} if params.get("expand") else None
    url = client.path(ctx, params["entity_set"], params["id"])
    return client.clean(client.request(ctx, "GET", url, params=query).json())


def run_create(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """``POST`` -> 201 with the new entity (including its ``@odata.etag``)."""
    es = client.entity_set(params["entity_set"])
    if es == "salesInvoiceLines":
        fields = dict(params["fields"])
        invoice = client.guid(fields.pop("documentId", None), "documentId (sales invoice id)")
        url = f"{client.company_path(ctx)}/salesInvoices({invoice})/salesInvoiceLines"
        body = client.request(ctx, "POST", url, json=client.writable(fields)).json()
    else:
        body = client.request(
            ctx, "POST", client.path(ctx, es), json=client.writable(params["fields"])
        ).json()
    return client.clean(body)


def run_update(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """``PATCH`` with ``If-Match``: the given ETag, or the current one (read first) when none is given."""
    url = client.path(ctx, params["entity_set"], params["id"])
    etag = params.get("etag") or client.request(ctx, "GET", url).json().get("@odata.etag") or "*"
    response = client.request(
        ctx, "PATCH", url, json=client.writable(params["fields"]), headers={"If-Match": str(etag)}
    )
    return client.clean(response.json() or {"id": client.guid(params["id"])})


def run_delete(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    url = client.path(ctx, params["entity_set"], params["id"])
    try:
        etag = params.get("etag") or client.request(ctx, "GET", url).json().get("@odata.etag") or "*"
        client.request(ctx, "DELETE", url, headers={"If-Match": str(etag)})
    except NotFound:
        if not params.get("ignore_missing"):
            raise
        return {"id": client.guid(params["id"]), "deleted": False}
    return {"id": client.guid(params["id"]), "deleted": True}


def run_find_or_create_customer(ctx: ActionContext, params: Mapping[str, Any]) -> dict[str, Any]:
    """Look the customer up by ``number`` and create it only when absent: replaying never duplicates."""
    number = str(params["number"])
    flt = f"number eq {client.odata_string(number)}"
    found = list(client.list_entities(ctx, "customers", params={"$filter": flt}, max_records=1))
    if found:
        existing = client.clean(found[0])
        if params.get("update_existing", True) and params.get("fields"):
            existing = run_update(
                ctx,
                {
                    "entity_set": "customers",
                    "id": existing["id"],
                    "etag": existing.get("@odata.etag"),
                    "fields": params["fields"],
                },
            )
        return {**existing, "created": False}
    fields = {**dict(params.get("fields") or {}), "number": number}
    created = client.request(ctx, "POST", client.path(ctx, "customers"), json=client.writable(fields)).json()
    return {**client.clean(created), "created": True}


# --- polling ---------------------------------------------------------------------------------------


def poll_record_updated(ctx: ActionContext, config: Mapping[str, Any], cursor: Any) -> PollResult:
    """``$filter=lastModifiedDateTime ge <ts>`` ordered by it and id; the ``{"ts", "ids"}`` cursor moves
    as ``connectors.polling`` describes."""
    es = str(config["entity_set"])
    if es not in POLLABLE:
        raise InvalidInput(f"Polling needs lastModifiedDateTime; use one of {', '.join(POLLABLE)}.")
    max_records = int(config.get("max_records", 500))
    if not cursor:
        since = config.get("since")
        cursor = {"ts": iso_millis(parse_timestamp(since) if since else datetime.now(UTC)), "ids": []}
    start = Position.load(cursor, parse_timestamp)
    query = {
        "$filter": f"lastModifiedDateTime ge {iso_millis(start.ts)}",
        "$orderby": "lastModifiedDateTime,id",
    }
    return collect(
        client.list_entities(ctx, es, params=query, max_records=max_records + len(start.ids)),
        start,
        limit=max_records,
        timestamp=lambda row: parse_timestamp(row["lastModifiedDateTime"]),
        record_id=lambda row: row["id"],
        item=client.clean,
        fmt=iso_millis,
        object_name=es,
    )


class DynamicsConnector(Connector):
    key = "dynamics"
    name = "Dynamics 365 Business Central"
    category = "ERP"
    icon = "dynamics"
    version = "1.0.0"
    description = "Business Central API v2.0: customers, projects, sales invoices and lines, payments."
    docs = "connectors/erp/dynamics/README.md"
    credential_types = (OAUTH2_CLIENT_CREDENTIALS, OAUTH2_REFRESH_TOKEN, BEARER)
    config_schema = {
        "type": "object",
        "required": ["base_url"],
        "additionalProperties": False,
        "properties": {
            "base_url": {
                "type": "string",
                "title": "Environment URL",
                "format": "uri",
                "pattern": "^https?://",
                "description": "https://api.businesscentral.dynamics.com/v2.0/{tenant id}/{environment}",
            },
            "company_id": {
                "type": "string",
                "title": "Company id (GUID)",
                "pattern": "^[0-9a-fA-F-]{36}$",
            },
            "company_name": {
                "type": "string",
                "title": "Company name",
                "maxLength": 100,
                "description": "Used when no company id is set: the company with this name (looked up "
                "on every call; set the id to save the request).",
            },
        },
    }
    # Business Central allows 5 concurrent OData requests per user (more queue server-side, then 429).
    rate_limit = RateLimit(rate=10.0, burst=20, max_concurrency=5)
    canonical_mappings = canonical.MAPPINGS
    actions = (
        Action(
            key="list_records",
            name="List records",
            description="List customers, projects, invoices, lines or payments with OData options; "
            "follows @odata.nextLink.",
            run=run_list,
            input_schema=object_schema(
                ["entity_set"],
                entity_set=ENTITY_SET,
                filter={"type": "string", "title": "$filter", "description": "e.g. balanceDue gt 0"},
                orderby={"type": "string", "title": "$orderby"},
                select={"type": "string", "title": "$select", "description": "e.g. id,number,displayName"},
                expand={"type": "string", "title": "$expand", "description": "e.g. salesInvoiceLines"},
                top={"type": "integer", "title": "$top", "minimum": 0},
                skip={"type": "integer", "title": "$skip", "minimum": 0},
                max_records={"type": "integer", "title": "Maximum records", "minimum": 1, "default": 5000},
                page_size={"type": "integer", "title": "Page size (odata.maxpagesize)", "minimum": 1},
            ),
            output_schema=ENTITY_OUT,
        ),
        Action(
            key="get_record",
            name="Get record",
            description="Read one record by id (the answer carries its @odata.etag).",
            run=run_get,
            input_schema=object_schema(
                ["entity_set", "id"],
                entity_set=ENTITY_SET,
                id=RECORD_ID,
                expand={"type": "string", "title": "$expand"},
            ),
            output_schema=ENTITY_OUT,
        ),
        Action(
            key="create_record",
            name="Create record",
            description="Create a record (POST, 201). Invoice lines need documentId (the invoice id). "
            "Not replay-safe; for customers prefer Find or create customer.",
            run=run_create,
            input_schema=object_schema(["entity_set", "fields"], entity_set=ENTITY_SET, fields=FIELDS),
            output_schema=ENTITY_OUT,
            writes=True,
        ),
        Action(
            key="update_record",
            name="Update record",
            description="Change properties (PATCH with If-Match). A 412 means the record changed since "
            "it was read.",
            run=run_update,
            input_schema=object_schema(
                ["entity_set", "id", "fields"], entity_set=ENTITY_SET, id=RECORD_ID, etag=ETAG, fields=FIELDS
            ),
            output_schema=ENTITY_OUT,
            writes=True,
        ),
        Action(
            key="delete_record",
            name="Delete record",
            description="Delete a record (DELETE with If-Match).",
            run=run_delete,
            input_schema=object_schema(
                ["entity_set", "id"],
                entity_set=ENTITY_SET,
                id=RECORD_ID,
                etag=ETAG,
                ignore_missing={"type": "boolean", "title": "Succeed if already deleted", "default": False},
            ),
            output_schema={"type": "object"},
            writes=True,
        ),
        Action(
            key="find_or_create_customer",
            name="Find or create customer",
            description="Match a customer on its number; update it, or create it when absent (replay-safe).",
            run=run_find_or_create_customer,
            input_schema=object_schema(
                ["number"],
                number={"type": "string", "title": "Customer number", "minLength": 1, "maxLength": 20},
                fields=FIELDS,
                update_existing={"type": "boolean", "title": "Update when found", "default": True},
            ),
            output_schema=ENTITY_OUT,
            writes=True,
        ),
    )
    triggers = (
        Trigger(
            key="record_updated",
            name="Record created or updated",
            description="Poll for customers, sales invoices or payments by lastModifiedDateTime.",
            poll=poll_record_updated,
            config_schema=object_schema(
                ["entity_set"],
                entity_set={**ENTITY_SET, "enum": list(POLLABLE)},
                since={"type": "string", "title": "Start from (ISO date-time)"},
                max_records={
                    "type": "integer",
                    "title": "Maximum records per poll",
                    "minimum": 1,
                    "default": 500,
                },
            ),
            output_schema=ENTITY_OUT,
        ),
    )

    def base_url(self, config: Mapping[str, Any]) -> str:
        return str(config["base_url"]).rstrip("/")

    def probe(self, ctx: ActionContext) -> str:
        company = client.request(ctx, "GET", client.company_path(ctx)).json() or {}
        return f"Connected to company {company.get('displayName') or company.get('name') or ''}."
